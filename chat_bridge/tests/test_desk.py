"""The dashboard page, the boot flags and the rollout commands' workings on a real site."""

from unittest.mock import patch

import frappe

from chat_bridge.chat_bridge.page.chatwoot_dashboard.chatwoot_dashboard import get_dashboard_context
from chat_bridge.commands.registration import register_site_webhook
from chat_bridge.commands.rollout import apply_stage
from chat_bridge.desk import boot_session
from chat_bridge.doctor import site_webhook_url, status_report
from chat_bridge.rollout import STAGES
from chat_bridge.settings import get_flags
from chat_bridge.tests.test_with_chatwoot import WithChatwoot
from chat_bridge.tests.utils import (
	ACCOUNT_ID,
	AGENT_USER,
	ALL_FLAGS_ON,
	PLAIN_USER,
	SYSTEM_MANAGER,
	ChatBridgeTestCase,
	ensure_user,
	first_account_checks,
)


class TestDashboardPage(ChatBridgeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		ensure_user(PLAIN_USER)
		ensure_user(AGENT_USER, ("Chatwoot Agent",))

	def test_page_is_for_system_managers_and_chatwoot_agents(self):
		page = frappe.get_doc("Page", "chatwoot-dashboard")
		self.assertEqual([r.role for r in page.roles], ["System Manager", "Chatwoot Agent"])
		self.configure(enabled=1, enable_dashboard=1)
		for user in (SYSTEM_MANAGER, AGENT_USER):
			frappe.set_user(user)
			self.assertTrue(page.is_permitted(), user)
			self.assertTrue(get_dashboard_context()["enabled"], user)
		frappe.set_user(PLAIN_USER)
		self.assertFalse(page.is_permitted())
		with self.assertRaises(frappe.PermissionError):
			get_dashboard_context()

	def test_context_names_the_flag_that_is_off(self):
		self.configure(enabled=1, enable_dashboard=0)
		frappe.set_user(SYSTEM_MANAGER)
		context = get_dashboard_context()
		self.assertFalse(context["enabled"])
		self.assertIn("Enable Dashboard", context["message"])
		self.configure(enabled=0, enable_dashboard=1)
		self.assertIn("Enable Integration", get_dashboard_context()["message"])

	def test_context_when_on(self):
		self.configure(enabled=1, enable_dashboard=1, enable_api=1)
		frappe.set_user(SYSTEM_MANAGER)
		context = get_dashboard_context()
		self.assertTrue(context["enabled"] and context["api_enabled"])
		self.assertEqual(
			context["dashboard_url"], f"https://chat.example.com/app/accounts/{ACCOUNT_ID}/dashboard"
		)
		self.assertNotIn("admin-token", frappe.as_json(context))

	def test_boot_tells_the_forms_what_is_on(self):
		self.configure(enabled=1, enable_dashboard=1, enable_api=1)
		bootinfo = frappe._dict()
		boot_session(bootinfo)
		self.assertEqual(
			bootinfo.chat_bridge,
			{
				"dashboard": True,
				"api": True,
				"sync": False,
				"documents": False,
				"can_use": True,
				"can_sign_in": False,
				"widget": None,
			},
		)

	def test_boot_offers_the_forms_section_to_nobody_it_is_not_for(self):
		self.configure(enabled=1, enable_dashboard=1, enable_api=1)
		for user, can_use in ((PLAIN_USER, False), (AGENT_USER, True), (SYSTEM_MANAGER, True)):
			frappe.set_user(user)
			bootinfo = frappe._dict()
			boot_session(bootinfo)
			self.assertIs(bootinfo.chat_bridge["can_use"], can_use, user)

	def test_old_address_redirects_to_the_page(self):
		from chat_bridge import hooks

		self.assertIn(
			{"source": "/chatwoot-dashboard", "target": "/app/chatwoot-dashboard"}, hooks.website_redirects
		)


class TestRollout(WithChatwoot):
	def test_sync_on_a_misconfigured_site_says_what_to_fix_and_changes_nothing(self):
		self.configure(**STAGES["api"], chatwoot_url=self.mock.url, api_access_token="admin-token")
		before = get_flags()
		failing = apply_stage("sync")
		names = [check.name for check in failing]
		self.assertIn("webhook", names)
		self.assertIn("secret", names)
		webhook = next(c for c in failing if c.name == "webhook")
		self.assertIn("register-webhook", webhook.fix)
		self.assertEqual(get_flags(), before)

	def test_register_webhook_then_every_check_but_the_bench_processes_passes(self):
		self.configure(**STAGES["api"], chatwoot_url=self.mock.url, api_access_token="admin-token")
		result = register_site_webhook()
		self.assertTrue(result["created"] and result["signed"])
		[webhook] = self.mock.webhooks.values()
		self.assertEqual(webhook["url"], site_webhook_url())
		self.assertEqual(
			frappe.get_single("Chatwoot Integration Settings").get_password("webhook_secret"),
			webhook["secret"],
		)
		self.assertFalse(register_site_webhook()["created"])  # a second run updates the same webhook
		checks = first_account_checks()
		for name in ("reachable", "token", "account", "webhook", "secret"):
			self.assertTrue(checks[name].ok, checks[name].line())

	def test_before_a_webhook_is_registered_the_sites_address_is_called_a_guess(self):
		self.configure(**STAGES["api"], chatwoot_url=self.mock.url, api_access_token="admin-token")
		with patch.dict(frappe.local.conf, {"host_name": None}):
			self.assertTrue(status_report()["webhook_url_guessed"])
			check = first_account_checks()["webhook"]
			self.assertIn("guess", check.detail)
			self.assertIn("register-webhook --url https://", check.fix)
			self.assertFalse(
				first_account_checks("https://erp.example.com/hook")["webhook"].fix.count("<address>")
			)
		with patch.dict(frappe.local.conf, {"host_name": "https://erp.example.com"}):
			self.assertFalse(status_report()["webhook_url_guessed"])  # the site says what it is called
		register_site_webhook("http://erp.localhost:8001/api/method/chat_bridge.webhook.handle")
		with patch.dict(frappe.local.conf, {"host_name": None}):
			self.assertFalse(status_report()["webhook_url_guessed"])

	def test_doctor_checks_the_webhook_that_was_registered_not_the_sites_own_address(self):
		"""Registered where Chatwoot can reach the site (another port, a proxy), the webhook must
		still be what doctor, rollout and a second register-webhook look at."""
		self.configure(**STAGES["api"], chatwoot_url=self.mock.url, api_access_token="admin-token")
		reachable_at = "http://erp.localhost:8001/api/method/chat_bridge.webhook.handle"
		first = register_site_webhook(reachable_at)
		secret = frappe.get_single("Chatwoot Integration Settings").get_password("webhook_secret")
		checks = first_account_checks()
		self.assertTrue(checks["webhook"].ok, checks["webhook"].line())
		self.assertTrue(checks["secret"].ok, checks["secret"].line())
		self.assertEqual(status_report()["webhook_url"], reachable_at)

		again = register_site_webhook()  # as doctor's advice would have it run
		self.assertEqual((again["created"], again["id"], again["url"]), (False, first["id"], reachable_at))
		self.assertFalse(again["secret_replaced"])
		self.assertEqual(len(self.mock.webhooks), 1)
		self.assertEqual(
			frappe.get_single("Chatwoot Integration Settings").get_password("webhook_secret"), secret
		)

	def test_a_run_of_refused_deliveries_shows_in_doctor_and_status(self):
		from chat_bridge.webhook import REFUSALS_KEY, note_refusal, refused_delivery_count

		# The site's own refusals are put back afterwards: they are what doctor reports on it.
		kept = frappe.cache.lrange(REFUSALS_KEY, 0, -1)
		frappe.cache.delete_value(REFUSALS_KEY)

		def put_back():
			frappe.cache.delete_value(REFUSALS_KEY)
			for entry in kept:
				frappe.cache.rpush(REFUSALS_KEY, entry)

		self.addCleanup(put_back)
		self.configure(**STAGES["api"], chatwoot_url=self.mock.url, api_access_token="admin-token")
		self.assertTrue(first_account_checks()["refusals"].ok)
		for _ in range(3):
			note_refusal("Invalid webhook signature: the signature does not match.")
		check = first_account_checks()["refusals"]
		self.assertFalse(check.ok)
		self.assertIn("3 deliveries refused as unauthenticated in the last hour", check.detail)
		self.assertEqual(status_report()["refused_last_hour"], 3)
		self.assertEqual(refused_delivery_count(), 3)

	def apps_jobs_last_ran(self, moment) -> None:
		"""The API stage, with each of the app's scheduled jobs last run at `moment` (this test only)."""
		self.configure(**STAGES["api"], chatwoot_url=self.mock.url, api_access_token="admin-token")
		self.addCleanup(frappe.db.rollback)
		frappe.db.set_value(
			"Scheduled Job Type",
			{"method": ("like", "chat_bridge.%")},
			"last_execution",
			moment,
			update_modified=False,
		)

	def test_doctor_fails_when_the_apps_scheduled_jobs_are_gone(self):
		# As a running scheduler leaves them, whatever this site's scheduler has been doing.
		self.apps_jobs_last_ran(frappe.utils.now_datetime())
		self.assertNotEqual(first_account_checks()["scheduled_jobs"].verdict, "FAIL")
		frappe.db.delete("Scheduled Job Type", {"method": "chat_bridge.pull.reconcile.reconcile"})
		check = first_account_checks()["scheduled_jobs"]
		self.assertFalse(check.ok)
		self.assertIn("chat_bridge.pull.reconcile.reconcile", check.detail)
		self.assertIn(f"bench --site {frappe.local.site} migrate", check.fix)

	def test_doctor_says_when_the_apps_jobs_have_never_run(self):
		self.apps_jobs_last_ran(None)
		check = first_account_checks()["scheduled_jobs"]
		self.assertEqual(check.verdict, "WARN", check.line())
		self.assertIn("not run yet", check.detail)

	def test_doctor_finds_an_agent_token_and_a_wrong_account(self):
		self.configure(**STAGES["api"], chatwoot_url=self.mock.url, api_access_token="agent-token")
		checks = first_account_checks()
		self.assertFalse(checks["token"].ok)
		self.assertIn("not an administrator", checks["token"].detail)
		self.configure(
			**STAGES["api"], chatwoot_url=self.mock.url, api_access_token="admin-token", account_id=77
		)
		self.assertFalse(first_account_checks()["account"].ok)

	def test_stages_and_instant_rollback(self):
		self.configure(**STAGES["dashboard"], chatwoot_url=self.mock.url, api_access_token="admin-token")
		self.assertEqual(apply_stage("api"), [])
		self.assertEqual(status_report()["stage"], "api")
		self.assertEqual(apply_stage("off"), [])
		self.assertEqual(status_report()["stage"], "off")
		self.assertEqual(frappe.db.get_value("Workspace", "Customer Support", "is_hidden"), 1)
		self.assertEqual(apply_stage("dashboard"), [])
		self.assertEqual(status_report()["stage"], "dashboard")

	def test_status_report(self):
		self.configure(**ALL_FLAGS_ON, chatwoot_url=self.mock.url, api_access_token="admin-token")
		report = status_report()
		self.assertEqual((report["stage"], report["account_id"]), ("sync", ACCOUNT_ID))
		self.assertTrue(report["webhook_url"].endswith("/api/method/chat_bridge.webhook.handle"))
		self.assertNotIn("admin-token", frappe.as_json(report))
