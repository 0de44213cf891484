"""Two Chatwoot accounts on one site, on the mock Chatwoot: each with its own administrator, token,
webhook secret and inbox, and (with ERPNext) its own Company."""

import json

import frappe
from frappe.utils import get_url

from chat_bridge.accounts import (
	ACCOUNT_DOCTYPE,
	AccountNotConnectedError,
	connected_accounts,
	get_account,
)
from chat_bridge.analytics.analysis import account_options, inbox_options
from chat_bridge.api import agents as agents_api
from chat_bridge.api import rest_api
from chat_bridge.card.api import account as card_account
from chat_bridge.chat_bridge.page.chatwoot_dashboard.chatwoot_dashboard import get_dashboard_context
from chat_bridge.chat_bridge.report.chatwoot_conversation_analysis.chatwoot_conversation_analysis import (
	execute as conversation_analysis,
)
from chat_bridge.clients import system_client, user_client
from chat_bridge.commands.registration import connect_account, register_site_webhook
from chat_bridge.doctor import account_checks, gather_checks_by_account, status_report
from chat_bridge.documents.api import document_account
from chat_bridge.erpnext import has_erpnext
from chat_bridge.exceptions import AgentLimitReached
from chat_bridge.patches import name_agents_by_account, stamp_company_on_chat_records
from chat_bridge.provisioning.agents import (
	AGENT_DOCTYPE,
	agent_accounts,
	deprovision_agent,
	provision_agent,
	sign_in_agent_id,
)
from chat_bridge.records.accounts import COMPANY_ERROR_TITLE
from chat_bridge.records.conversations import TODO_PREFIX
from chat_bridge.rollout import stage_blockers
from chat_bridge.settings import SETTINGS_DOCTYPE
from chat_bridge.tests.test_agents import AgentsTestCase
from chat_bridge.tests.test_webhook import EXAMPLES, WEBHOOK, answer, signed_post
from chat_bridge.tests.test_widget import WidgetTestCase
from chat_bridge.tests.test_with_chatwoot import WithChatwoot
from chat_bridge.tests.utils import ACCOUNT_ID, ALL_FLAGS_ON, ensure_user
from chat_bridge.webhook.handlers import dispatch
from chat_bridge.webhook.log import EVENT_DOCTYPE
from chat_bridge.webhook.processing import process_event
from chat_bridge.webhook.replay import events_to_replay
from chat_bridge.website import CONFIG_ELEMENT

OTHER_ACCOUNT = 2_000_000_004
OTHER_TOKEN = "brand-b-admin-token"
SHARED_EMAIL = "pat.both@customers.example.test"
RESTRICTED_USER = "chat-bridge-brand-a@example.com"
AGENT_IN_BOTH = "agent.both@brands.example.test"


def contact_created(account_id: int, contact_id: int, email: str) -> bytes:
	payload = json.loads((EXAMPLES / "contact_created.json").read_text())
	payload.update({"account": {"id": account_id, "name": "Brand"}, "id": contact_id, "email": email})
	payload.update({"identifier": None, "phone_number": None, "custom_attributes": {}})
	return json.dumps(payload).encode()


class TwoAccounts(WithChatwoot):
	"""The tests' account (the first, in the settings) and brand B, connected as a Chatwoot Account."""

	def setUp(self):
		super().setUp()
		self.mock.add_account("Brand B", account_id=OTHER_ACCOUNT)
		admin = self.mock.add_user("Bea Admin", "bea@brand-b.example", access_token=OTHER_TOKEN)
		self.mock.add_membership(admin, OTHER_ACCOUNT, "administrator")
		self.other_inbox = self.mock.add_inbox(
			{"name": "Brand B site", "channel_type": "Channel::Api", "account_id": OTHER_ACCOUNT}
		)
		self.companies = self.make_companies() if has_erpnext() else (None, None)
		if has_erpnext():
			company_before = frappe.db.get_value(ACCOUNT_DOCTYPE, str(ACCOUNT_ID), "company")
			frappe.db.set_value(ACCOUNT_DOCTYPE, str(ACCOUNT_ID), "company", self.companies[0])
			self.addCleanup(frappe.db.set_value, ACCOUNT_DOCTYPE, str(ACCOUNT_ID), "company", company_before)
		self.connect_other_account()
		self.addCleanup(self.forget_other_account)
		self.addCleanup(self.delete_events)

	def make_companies(self) -> tuple[str, str]:
		"""Two Companies, as far as User Permissions read them (ERPNext's accounting is not needed)."""
		for name, abbr in (("Chat Bridge Brand A", "CBBA"), ("Chat Bridge Brand B", "CBBB")):
			if not frappe.db.exists("Company", name):
				company = frappe.get_doc(
					{
						"doctype": "Company",
						"company_name": name,
						"abbr": abbr,
						"default_currency": "USD",
						"country": "United States",
					}
				)
				company.name = name
				company.db_insert()
		frappe.db.commit()
		return ("Chat Bridge Brand A", "Chat Bridge Brand B")

	def connect_other_account(self):
		frappe.get_doc(
			{
				"doctype": ACCOUNT_DOCTYPE,
				"account_id": OTHER_ACCOUNT,
				"account_name": "Brand B",
				"enabled": 1,
				"api_access_token": OTHER_TOKEN,
				"company": self.companies[1],
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()

	def forget_other_account(self):
		frappe.db.rollback()
		frappe.delete_doc(ACCOUNT_DOCTYPE, str(OTHER_ACCOUNT), ignore_permissions=True, force=True)
		frappe.db.commit()

	def delete_events(self):
		frappe.db.delete(EVENT_DOCTYPE, {"creation": (">=", self.started)})
		frappe.db.commit()

	def register_both(self) -> tuple[dict, dict]:
		"""Each account's webhook, as `chatwoot register-webhook` makes them, its secret stored."""
		self.configure(**ALL_FLAGS_ON, chatwoot_url=self.mock.url, api_access_token="admin-token")
		first = register_site_webhook(get_url(WEBHOOK))
		other = register_site_webhook(get_url(WEBHOOK), get_account(OTHER_ACCOUNT))
		return first, other

	def deliver(self, body: bytes, secret: str, path: str = WEBHOOK) -> dict:
		response = signed_post(body, delivery=frappe.generate_hash(length=20), secret=secret, path=path)
		return {"code": response.status_code, **answer(response)}

	@property
	def company_field(self) -> list[str]:
		"""The records' Company field, which only a site with ERPNext has."""
		return ["company"] if has_erpnext() else []

	@property
	def company_of_b(self) -> dict:
		return {"company": self.companies[1]} if has_erpnext() else {}

	def process(self, event: str) -> tuple[str, str | None]:
		frappe.db.commit()  # the request committed the event on its own connection
		status = process_event(event)
		return status, frappe.db.get_value(EVENT_DOCTYPE, event, "error")

	def secret_of(self, webhook: dict) -> str:
		return self.mock.webhooks[webhook["id"]]["secret"]


class TestRouting(TwoAccounts):
	def test_each_account_gets_its_own_webhook_secret_and_client(self):
		first, other = self.register_both()
		self.assertEqual(first["url"], get_url(WEBHOOK))
		self.assertEqual(other["url"], f"{get_url(WEBHOOK)}?account={OTHER_ACCOUNT}")
		self.assertEqual(self.mock.webhooks[other["id"]]["account_id"], OTHER_ACCOUNT)
		self.assertEqual(
			frappe.get_doc(ACCOUNT_DOCTYPE, str(OTHER_ACCOUNT)).get_password("webhook_secret"),
			self.secret_of(other),
		)
		self.assertNotEqual(self.secret_of(first), self.secret_of(other))
		self.assertEqual(system_client(account_id=OTHER_ACCOUNT).get_account()["name"], "Brand B")
		self.assertEqual([a.account_id for a in connected_accounts()], [ACCOUNT_ID, OTHER_ACCOUNT])
		with self.assertRaises(AccountNotConnectedError):
			system_client(account_id=OTHER_ACCOUNT + 1)
		self.assertEqual(card_account(str(OTHER_ACCOUNT)), OTHER_ACCOUNT)  # its Dashboard App's card
		self.assertEqual(card_account(None), ACCOUNT_ID)
		with self.assertRaises(AccountNotConnectedError):
			card_account(OTHER_ACCOUNT + 1)

	def test_a_delivery_reaches_its_account_and_a_borrowed_secret_is_refused(self):
		first, other = self.register_both()
		to_other = f"{WEBHOOK}?account={OTHER_ACCOUNT}"
		body = contact_created(OTHER_ACCOUNT, 501, "only.b@customers.example.test")

		signed_by_first = self.deliver(body, self.secret_of(first), to_other)
		self.assertEqual(signed_by_first["code"], 401, signed_by_first)
		claims_other = self.deliver(body, self.secret_of(first))  # the first account's own URL
		self.assertEqual(claims_other["code"], 401, claims_other)
		self.assertIn(
			f"signed for Chatwoot account {ACCOUNT_ID} but is about account", claims_other["message"]
		)
		unknown = self.deliver(body, self.secret_of(other), f"{WEBHOOK}?account={OTHER_ACCOUNT + 1}")
		self.assertEqual(unknown["code"], 401, unknown)  # no account there, so no secret to match
		bad = self.deliver(body, self.secret_of(other), f"{WEBHOOK}?account=brand-b")
		self.assertEqual(bad["code"], 400, bad)
		self.assertEqual(frappe.db.count(EVENT_DOCTYPE, {"creation": (">=", self.started)}), 0)

		accepted = self.deliver(body, self.secret_of(other), to_other)
		self.assertEqual((accepted["code"], accepted["status"]), (200, "queued"), accepted)
		self.assertEqual(self.process(accepted["message"]), ("Processed", None))
		mapping = frappe.get_all(
			"Chatwoot Contact Mapping",
			filters={"chatwoot_contact_id": 501},
			fields=["account_id", *self.company_field],
		)
		self.assertEqual(mapping, [{"account_id": OTHER_ACCOUNT, **self.company_of_b}])
		if has_erpnext():
			self.assertEqual(
				frappe.db.get_value(EVENT_DOCTYPE, accepted["message"], "company"), self.companies[1]
			)
		# `chatwoot replay --account` takes that account's events only.
		recent = {"failed_only": False, "since": self.started}
		self.assertEqual(events_to_replay(**recent, account_id=OTHER_ACCOUNT), [accepted["message"]])
		self.assertEqual(events_to_replay(**recent, account_id=ACCOUNT_ID), [])

	def test_an_account_switched_off_is_not_synced(self):
		_first, other = self.register_both()
		frappe.db.set_value(ACCOUNT_DOCTYPE, str(OTHER_ACCOUNT), "enabled", 0)
		frappe.db.commit()
		accepted = self.deliver(
			contact_created(OTHER_ACCOUNT, 502, "off.b@customers.example.test"),
			self.secret_of(other),
			f"{WEBHOOK}?account={OTHER_ACCOUNT}",
		)
		self.assertEqual(self.process(accepted["message"])[0], "Ignored")
		self.assertFalse(frappe.db.exists("Chatwoot Contact Mapping", {"chatwoot_contact_id": 502}))
		self.assertEqual([a.account_id for a in connected_accounts()], [ACCOUNT_ID])

	def test_the_same_email_in_both_accounts_is_one_contact_with_two_mappings(self):
		first, other = self.register_both()
		for account_id, contact_id, webhook, path in (
			(ACCOUNT_ID, 601, first, WEBHOOK),
			(OTHER_ACCOUNT, 602, other, f"{WEBHOOK}?account={OTHER_ACCOUNT}"),
		):
			accepted = self.deliver(
				contact_created(account_id, contact_id, SHARED_EMAIL), self.secret_of(webhook), path
			)
			self.assertEqual(self.process(accepted["message"]), ("Processed", None))
		mappings = frappe.get_all(
			"Chatwoot Contact Mapping",
			filters={"chatwoot_contact_id": ("in", (601, 602))},
			fields=["account_id", "contact"],
			order_by="chatwoot_contact_id asc",
		)
		self.assertEqual([m.account_id for m in mappings], [ACCOUNT_ID, OTHER_ACCOUNT])
		self.assertEqual(len({m.contact for m in mappings}), 1)


class TestWidgetPerAccount(TwoAccounts, WidgetTestCase):
	"""Brand B's website inbox beside the first account's (the mock's inbox 7): which one a page
	shows, and which one a signed-in customer is identified for."""

	def setUp(self):
		super().setUp()
		self.brand_b = self.mock.add_inbox(
			{"name": "Brand B website", "channel_type": "Channel::WebWidget", "account_id": OTHER_ACCOUNT}
		)
		record = frappe.get_doc(ACCOUNT_DOCTYPE, str(OTHER_ACCOUNT))
		record.update(
			{
				"widget_website_token": self.brand_b["website_token"],
				"widget_hmac_token": self.brand_b["hmac_token"],
				"widget_routes": "/contact",
			}
		)
		record.save(ignore_permissions=True)
		frappe.db.commit()

	def shown_token(self, path: str) -> str:
		html = self.page(path)
		config = html[html.index(f'id="{CONFIG_ELEMENT}">') + len(f'id="{CONFIG_ELEMENT}">') :]
		return json.loads(config.split("</script>")[0])["website_token"]

	def test_a_page_under_an_accounts_routes_shows_its_inbox(self):
		self.assertEqual(self.shown_token("/contact"), self.brand_b["website_token"])
		self.assertEqual(self.shown_token("/login"), "widget-token")
		record = frappe.get_doc(ACCOUNT_DOCTYPE, str(OTHER_ACCOUNT))
		record.enabled = 0
		record.save(ignore_permissions=True)
		frappe.db.commit()
		self.assertEqual(self.shown_token("/contact"), "widget-token")  # a switched-off account has none

	def test_the_identity_on_an_accounts_page_is_good_for_its_inbox_only(self):
		given = self.identity_as(self.user, OTHER_ACCOUNT)
		self.assertNotIn("inbox", given)
		b_token = self.brand_b["website_token"]
		self.assertEqual(
			self.chatwoot_accepts(given["identifier"], given["attributes"], b_token).status_code, 200
		)
		self.assertEqual(self.chatwoot_accepts(given["identifier"], given["attributes"]).status_code, 401)
		first = self.identity_as(self.user)
		self.assertEqual(self.chatwoot_accepts(first["identifier"], first["attributes"]).status_code, 200)

	def test_a_customer_of_brand_b_gets_its_inbox_on_every_page(self):
		if not has_erpnext():
			self.skipTest("Customers and Companies are ERPNext's")
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": "Brand B Buyer",
				"companies": [{"company": self.companies[1]}],
			}
		).insert(ignore_permissions=True)
		contact = frappe.get_doc("Contact", self.contact)
		contact.append("links", {"link_doctype": "Customer", "link_name": customer.name})
		contact.save(ignore_permissions=True)
		frappe.db.commit()
		self.addCleanup(self.remove_customer, customer.name)
		given = self.identity_as(self.user)  # asked by a page of the first account
		self.assertEqual(
			given["inbox"],
			{
				"account": OTHER_ACCOUNT,
				"base_url": self.mock.url,
				"website_token": self.brand_b["website_token"],
			},
		)
		accepted = self.chatwoot_accepts(
			given["identifier"], given["attributes"], self.brand_b["website_token"]
		)
		self.assertEqual(accepted.status_code, 200)
		self.assertEqual(self.mock.contacts[accepted.json()["id"]]["account_id"], OTHER_ACCOUNT)

	def remove_customer(self, customer: str):
		frappe.db.rollback()
		frappe.db.delete("Dynamic Link", {"link_doctype": "Customer", "link_name": customer})
		frappe.delete_doc("Customer", customer, ignore_permissions=True, force=True)
		frappe.db.commit()


class TestAgentInTwoAccounts(TwoAccounts, AgentsTestCase):
	"""One ERPNext user, one Chatwoot user, an agent of both accounts: a record for each."""

	def setUp(self):
		super().setUp()
		ensure_user(AGENT_IN_BOTH, ("Sales User",))

	def provision_in(self, account_id: int, **kwargs):
		record = provision_agent(AGENT_IN_BOTH, account_id, **kwargs)
		frappe.db.commit()
		self.assertEqual(record.status, "Provisioned", record.last_error)
		return record

	def test_an_agent_of_both_accounts_then_of_one(self):
		first = self.provision_in(ACCOUNT_ID, inboxes=[7])
		other = self.provision_in(OTHER_ACCOUNT, inboxes=[self.other_inbox["id"]])
		self.assertEqual(first.chatwoot_user_id, other.chatwoot_user_id)  # one Chatwoot user
		self.assertEqual(
			(first.name, other.name), (f"{AGENT_IN_BOTH}-{ACCOUNT_ID}", f"{AGENT_IN_BOTH}-{OTHER_ACCOUNT}")
		)
		if has_erpnext():
			self.assertEqual((first.company, other.company), self.companies)
		chatwoot = self.mock.users[first.chatwoot_user_id]
		self.assertEqual(set(chatwoot["accounts"]), {ACCOUNT_ID, OTHER_ACCOUNT})
		self.assertEqual(chatwoot["inbox_ids"], {7, self.other_inbox["id"]})
		self.assertEqual(agent_accounts(AGENT_IN_BOTH), [ACCOUNT_ID, OTHER_ACCOUNT])

		deprovision_agent(AGENT_IN_BOTH, OTHER_ACCOUNT)
		frappe.db.commit()
		self.assertEqual(set(self.mock.users[first.chatwoot_user_id]["accounts"]), {ACCOUNT_ID})
		self.assertEqual(agent_accounts(AGENT_IN_BOTH), [ACCOUNT_ID])
		# Still an agent of the first account: their token and role stay.
		self.assertTrue(frappe.db.exists("Chatwoot User Token", AGENT_IN_BOTH))
		self.assertIn("Chatwoot Agent", frappe.get_roles(AGENT_IN_BOTH))
		self.assertEqual(sign_in_agent_id(AGENT_IN_BOTH, ACCOUNT_ID), first.chatwoot_user_id)
		self.assertIsNone(sign_in_agent_id(AGENT_IN_BOTH, OTHER_ACCOUNT))

		deprovision_agent(AGENT_IN_BOTH, ACCOUNT_ID)
		frappe.db.commit()
		self.assertFalse(frappe.db.exists("Chatwoot User Token", AGENT_IN_BOTH))
		self.assertNotIn("Chatwoot Agent", frappe.get_roles(AGENT_IN_BOTH))

	def test_each_account_has_its_own_max_agents_and_platform_token(self):
		frappe.db.set_value(ACCOUNT_DOCTYPE, str(OTHER_ACCOUNT), "max_agents", 1)  # Bea is the one
		frappe.db.commit()
		with self.assertRaises(AgentLimitReached):
			provision_agent(AGENT_IN_BOTH, OTHER_ACCOUNT)
		self.provision_in(ACCOUNT_ID)  # the first account keeps the settings' limit (none)
		# On the settings' Chatwoot the settings' platform app serves; on another, only its own.
		self.assertEqual(get_account(OTHER_ACCOUNT).platform_token(), "platform-token")
		record = frappe.get_doc(ACCOUNT_DOCTYPE, str(OTHER_ACCOUNT))
		record.chatwoot_url = "https://chat.other-installation.example"
		record.save(ignore_permissions=True)
		frappe.db.commit()
		self.assertIsNone(get_account(OTHER_ACCOUNT).platform_token())
		record.platform_api_token = "other-platform-token"
		record.save(ignore_permissions=True)
		frappe.db.commit()  # secrets are read as committed
		self.assertEqual(get_account(OTHER_ACCOUNT).platform_token(), "other-platform-token")

	def test_an_agents_own_token_serves_every_account_they_were_made_a_member_of(self):
		self.provision_in(ACCOUNT_ID)
		with self.assertRaises(frappe.PermissionError):
			user_client(AGENT_IN_BOTH, account_id=OTHER_ACCOUNT)  # not a member of brand B yet
		self.provision_in(OTHER_ACCOUNT, inboxes=[self.other_inbox["id"]])
		client = user_client(AGENT_IN_BOTH, account_id=OTHER_ACCOUNT)
		self.assertEqual(client.account_id, OTHER_ACCOUNT)
		self.assertEqual(client.get_profile()["email"], AGENT_IN_BOTH)  # as themselves, in brand B
		self.assertEqual(client.list_inboxes()["payload"][0]["id"], self.other_inbox["id"])

	def test_the_desks_conversation_methods_act_in_the_account_asked_for(self):
		contact = self.mock.store_contact(
			{"account_id": OTHER_ACCOUNT, "name": "Bo", "email": "bo@customers.example.test"},
			self.mock.clock(),
		)
		self.mock.visitor_says(contact["id"], "Hello brand B", inbox_id=self.other_inbox["id"])
		[conversation] = self.mock.all_conversations(OTHER_ACCOUNT)
		self.provision_in(OTHER_ACCOUNT, inboxes=[self.other_inbox["id"]])
		for user in ("Administrator", AGENT_IN_BOTH):  # the administrator's token, then their own
			frappe.set_user(user)
			try:
				listed = rest_api.get_conversations(status="all", account=OTHER_ACCOUNT)["data"]
				reply = rest_api.send_message(conversation["id"], f"Hi from {user}", account=OTHER_ACCOUNT)
			finally:
				frappe.set_user("Administrator")
			self.assertEqual([c["id"] for c in listed], [conversation["id"]], user)
			self.assertIn(f"/accounts/{OTHER_ACCOUNT}/", listed[0]["chatwoot_url"])
			self.assertEqual(reply["data"]["content"], f"Hi from {user}")
		with self.assertRaises(AccountNotConnectedError):
			rest_api.get_conversations(account=OTHER_ACCOUNT + 1)
		page = get_dashboard_context(account=OTHER_ACCOUNT)
		self.assertEqual(page["account_id"], OTHER_ACCOUNT)
		self.assertIn(f"/accounts/{OTHER_ACCOUNT}/", page["dashboard_url"])
		self.assertEqual([a["value"] for a in page["accounts"]], [ACCOUNT_ID, OTHER_ACCOUNT])

	def test_the_rest_methods_act_in_the_account_asked_for(self):
		self.provision_in(OTHER_ACCOUNT)
		self.assertIsNone(agents_api.get_agent(AGENT_IN_BOTH)["data"])  # the first account: none
		self.assertEqual(
			agents_api.get_agent(AGENT_IN_BOTH, account=OTHER_ACCOUNT)["data"]["status"], "Provisioned"
		)
		both = agents_api.get_user_agents(AGENT_IN_BOTH)["data"]
		self.assertEqual([a["value"] for a in both["accounts"]], [ACCOUNT_ID, OTHER_ACCOUNT])
		self.assertEqual([a["account_id"] for a in both["agents"]], [OTHER_ACCOUNT])
		listed = agents_api.get_agents(account=OTHER_ACCOUNT)["data"]
		self.assertEqual(listed["account"], OTHER_ACCOUNT)
		self.assertIn(AGENT_IN_BOTH, [agent["user"] for agent in listed["agents"]])
		self.assertEqual([i["id"] for i in listed["inboxes"]], [self.other_inbox["id"]])

	def test_the_upgrade_names_an_agent_by_its_user_and_account(self):
		record = self.provision_in(ACCOUNT_ID)
		frappe.rename_doc(AGENT_DOCTYPE, record.name, AGENT_IN_BOTH, force=True)  # as named before
		frappe.db.set_value(AGENT_DOCTYPE, AGENT_IN_BOTH, "account_id", 0)  # none recorded
		frappe.db.commit()
		name_agents_by_account.execute()
		frappe.db.commit()
		records = frappe.get_all(
			AGENT_DOCTYPE, filters={"user": AGENT_IN_BOTH}, fields=["name", "account_id"]
		)
		self.assertEqual(
			[(r.name, r.account_id) for r in records], [(f"{AGENT_IN_BOTH}-{ACCOUNT_ID}", ACCOUNT_ID)]
		)


class TestCommands(TwoAccounts):
	def test_doctor_and_status_speak_of_each_account(self):
		self.register_both()
		checks = account_checks(get_account(OTHER_ACCOUNT))
		for name in ("token", "account", "webhook", "secret"):
			self.assertTrue(checks[name].ok, checks[name].line())
		self.assertIn(str(OTHER_ACCOUNT), checks["account"].line())
		report = status_report()
		self.assertEqual([a["account_id"] for a in report["accounts"]], [ACCOUNT_ID, OTHER_ACCOUNT])
		self.assertTrue(report["accounts"][1]["webhook_url"].endswith(f"?account={OTHER_ACCOUNT}"))

	def test_the_sync_stage_waits_for_every_accounts_webhook(self):
		self.configure(**ALL_FLAGS_ON, chatwoot_url=self.mock.url, api_access_token="admin-token")
		register_site_webhook(get_url(WEBHOOK))  # the first account's only
		frappe.db.commit()
		stage_checks = gather_checks_by_account()
		failing = [check.name for check in stage_blockers("sync", *stage_checks)]
		self.assertIn(f"webhook (account {OTHER_ACCOUNT})", failing)
		self.assertNotIn(f"webhook (account {ACCOUNT_ID})", failing)
		register_site_webhook(get_url(WEBHOOK), get_account(OTHER_ACCOUNT))
		frappe.db.commit()
		failing = [check.name for check in stage_blockers("sync", *gather_checks_by_account())]
		self.assertFalse([name for name in failing if name.startswith(("webhook", "secret"))], failing)

	def test_add_account_keeps_nothing_when_the_token_does_not_open_the_account(self):
		third = self.mock.add_account("Brand C")["id"]
		self.addCleanup(frappe.db.delete, ACCOUNT_DOCTYPE, {"account_id": third})
		refused = connect_account(third, "admin-token")  # the first account's administrator only
		self.assertFalse(all(check.ok for check in refused))
		self.assertFalse(frappe.db.exists(ACCOUNT_DOCTYPE, str(third)))
		user = self.mock.add_user("Cy Admin", "cy@brand-c.example", access_token="brand-c-token")
		self.mock.add_membership(user, third, "administrator")
		self.assertTrue(all(check.ok for check in connect_account(third, "brand-c-token")))
		self.assertEqual(get_account(third).token, "brand-c-token")


class TestAccountCreated(TwoAccounts):
	def test_account_created_twice_makes_one_record_and_tells_once(self):
		from chat_bridge.webhook.handlers import dispatch

		payload = {"event": "account_created", "id": 2_000_000_009, "name": "Chat Bridge Brand D"}
		self.addCleanup(frappe.db.delete, ACCOUNT_DOCTYPE, {"account_id": payload["id"]})
		self.configure(**ALL_FLAGS_ON, chatwoot_url=self.mock.url, create_companies=1)
		if has_erpnext():  # a new Company takes the default one's currency and country
			default = frappe.db.get_single_value("Global Defaults", "default_company")
			frappe.db.set_single_value("Global Defaults", "default_company", self.companies[0])
			self.addCleanup(frappe.db.set_single_value, "Global Defaults", "default_company", default)
		before = frappe.db.count("Notification Log", {"document_type": ACCOUNT_DOCTYPE})
		dispatch("account_created", payload)
		dispatch("account_created", payload)
		record = frappe.get_doc(ACCOUNT_DOCTYPE, str(payload["id"]))
		self.assertEqual(record.enabled, 0)  # not connected until it has a token
		self.assertNotIn(payload["id"], [a.account_id for a in connected_accounts()])
		if has_erpnext() and record.company:
			self.assertEqual(frappe.db.get_value("Company", record.company, "company_name"), payload["name"])
		elif has_erpnext():  # ERPNext refused (a site never set up has no Warehouse Type "Transit")
			self.assertTrue(frappe.db.exists("Error Log", {"method": COMPANY_ERROR_TITLE}))
		users = frappe.db.count("Has Role", {"role": "System Manager", "parenttype": "User"}) - 1
		self.assertEqual(
			frappe.db.count("Notification Log", {"document_type": ACCOUNT_DOCTYPE}) - before, users
		)


class TestUpgrade(TwoAccounts):
	def test_the_patch_makes_the_first_account_and_changes_nothing_the_site_does(self):
		from chat_bridge.patches import make_first_chatwoot_account

		self.configure(**ALL_FLAGS_ON, chatwoot_url=self.mock.url, api_access_token="admin-token")
		system_client().create_contact(name="Before", email="before.upgrade@customers.example.test")
		from chat_bridge.pull.backfill import backfill

		backfill(system_client(), conversations=False, messages=False)
		# A site as it was before accounts were records: none for the first, no Company anywhere.
		frappe.db.delete(ACCOUNT_DOCTYPE, {"account_id": ACCOUNT_ID})
		if has_erpnext():
			frappe.db.set_value(
				"Chatwoot Contact Mapping", {"account_id": ACCOUNT_ID}, "company", None, update_modified=False
			)
		frappe.db.delete("__Auth", {"doctype": ACCOUNT_DOCTYPE, "name": str(OTHER_ACCOUNT)})
		settings_before = frappe.db.get_singles_dict(SETTINGS_DOCTYPE)
		mapped_before = frappe.db.count("Chatwoot Contact Mapping", {"account_id": ACCOUNT_ID})

		make_first_chatwoot_account.execute()
		frappe.db.commit()

		record = frappe.get_doc(ACCOUNT_DOCTYPE, str(ACCOUNT_ID))
		self.assertEqual(record.enabled, 1)
		if record.get("company"):  # the site's Company, with ERPNext
			company_of_mappings = {"account_id": ACCOUNT_ID, "company": record.company}
			self.assertEqual(frappe.db.count("Chatwoot Contact Mapping", company_of_mappings), mapped_before)
		self.assertEqual(frappe.db.get_singles_dict(SETTINGS_DOCTYPE), settings_before)
		client = system_client()
		self.assertEqual((client.base_url, client.account_id), (self.mock.url, ACCOUNT_ID))
		self.assertEqual(client.get_account()["id"], ACCOUNT_ID)
		# An account Chatwoot announced earlier, with no token, is not taken for a connected one.
		self.assertEqual([a.account_id for a in connected_accounts()], [ACCOUNT_ID])


class TestCompanyPermissions(TwoAccounts):
	"""A user kept to Brand A's Company by a User Permission sees nothing of Brand B: not its
	records, not the Communications of its messages or the ToDos of its conversations."""

	def setUp(self):
		super().setUp()
		if not has_erpnext():
			self.skipTest("Companies need ERPNext")
		ensure_user(RESTRICTED_USER, ("Chatwoot Agent", "Support Analytics", "System Manager"))
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": RESTRICTED_USER,
				"allow": "Company",
				"for_value": self.companies[0],
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.addCleanup(self.forget_permission)

	def forget_permission(self):
		frappe.set_user("Administrator")
		frappe.db.delete("User Permission", {"user": RESTRICTED_USER})
		frappe.db.commit()

	def test_records_of_the_other_company_are_out_of_sight(self):
		first, other = self.register_both()
		for account_id, contact_id, webhook, path in (
			(ACCOUNT_ID, 701, first, WEBHOOK),
			(OTHER_ACCOUNT, 702, other, f"{WEBHOOK}?account={OTHER_ACCOUNT}"),
		):
			body = contact_created(account_id, contact_id, f"c{contact_id}@customers.example.test")
			accepted = self.deliver(body, self.secret_of(webhook), path)
			self.assertEqual(self.process(accepted["message"]), ("Processed", None))
		other_mapping = frappe.db.get_value("Chatwoot Contact Mapping", {"chatwoot_contact_id": 702})
		other_event = frappe.db.get_value(EVENT_DOCTYPE, {"account_id": OTHER_ACCOUNT})
		made = {
			doctype: frappe.get_all(doctype, filters={"creation": (">=", self.started)}, fields=["company"])
			for doctype in ("Chatwoot Contact Mapping", "Chatwoot Webhook Event")
		}
		quotation_of_b = frappe.get_doc({"doctype": "Quotation", "company": self.companies[1]})
		self.assertEqual(document_account(quotation_of_b), OTHER_ACCOUNT)  # sent through brand B
		frappe.set_user(RESTRICTED_USER)
		for doctype in made:
			seen = frappe.get_list(doctype, filters={"creation": (">=", self.started)}, fields=["company"])
			self.assertTrue(seen, (doctype, made[doctype], frappe.get_roles()))
			self.assertEqual({row.company for row in seen}, {self.companies[0]}, doctype)
		self.assertFalse(frappe.has_permission("Chatwoot Contact Mapping", "read", other_mapping))
		self.assertFalse(frappe.has_permission(EVENT_DOCTYPE, "read", other_event))
		# The reports offer only brand A's account, and refuse brand B's when asked by id.
		self.assertEqual([o["value"] for o in account_options()], [str(ACCOUNT_ID)])
		with self.assertRaises(frappe.PermissionError):
			conversation_analysis(
				{"from_date": "2026-01-01", "to_date": "2026-12-31", "account": OTHER_ACCOUNT}
			)
		with self.assertRaises(frappe.PermissionError):
			inbox_options(OTHER_ACCOUNT)
		# The desk's methods refuse brand B's account, and a document goes out through its Company's.
		with self.assertRaises(frappe.PermissionError):
			rest_api.get_conversations(account=OTHER_ACCOUNT)
		self.assertEqual(
			document_account(frappe.get_doc({"doctype": "Quotation", "company": self.companies[0]})),
			ACCOUNT_ID,
		)
		# The card framed in brand B's Chatwoot refuses them; in their own account's it opens.
		self.assertEqual(card_account(ACCOUNT_ID), ACCOUNT_ID)
		with self.assertRaises(frappe.PermissionError):
			card_account(OTHER_ACCOUNT)

	def chat(self, account_id: int, inbox_id: int, email: str, agent_id: int) -> dict:
		"""A customer writes in the account's inbox and the conversation goes to the agent; the
		sync gets what Chatwoot posts."""
		contact = self.mock.store_contact(
			{"account_id": account_id, "name": email.split("@")[0], "email": email}, self.mock.clock()
		)
		message = self.mock.visitor_says(contact["id"], "Where is my order?", inbox_id=inbox_id)
		[conversation] = [
			c for c in self.mock.all_conversations(account_id) if c["contact_id"] == contact["id"]
		]
		conversation["assignee_id"] = agent_id
		for event, payload in (
			("contact_created", self.mock.presenters.contact_webhook(contact)),
			("conversation_created", self.mock.presenters.conversation_webhook(conversation)),
			("message_created", self.mock.presenters.message_webhook(message)),
		):
			outcome = dispatch(event, {**payload, "event": event})
			frappe.db.commit()
			self.assertEqual(outcome.status, "Processed", (event, outcome.reason))
		return conversation

	def test_messages_and_todos_of_the_other_company_are_out_of_sight(self):
		self.configure(**ALL_FLAGS_ON, chatwoot_url=self.mock.url, api_access_token="admin-token")
		ensure_user("sam@acme.example", ("Chatwoot Agent",))  # agent 12 of the first account
		ensure_user("bea@brand-b.example", ("Chatwoot Agent",))  # brand B's administrator
		bea = next(u["id"] for u in self.mock.users.values() if u["email"] == "bea@brand-b.example")
		self.chat(ACCOUNT_ID, 7, "ann.a@customers.example.test", 12)
		self.chat(OTHER_ACCOUNT, self.other_inbox["id"], "bob.b@customers.example.test", bea)
		made = {
			"Communication": frappe.get_all(
				"Communication",
				filters={"creation": (">=", self.started), "communication_medium": "Chat"},
				fields=["name", "chatwoot_company"],
			),
			"ToDo": frappe.get_all(
				"ToDo",
				filters={"creation": (">=", self.started), "description": ("like", f"{TODO_PREFIX}%")},
				fields=["name", "chatwoot_company"],
			),
		}
		self.addCleanup(self.delete_records, made)
		for doctype, rows in made.items():
			self.assertEqual(sorted(row.chatwoot_company for row in rows), sorted(self.companies), doctype)
		frappe.set_user(RESTRICTED_USER)
		for doctype, rows in made.items():
			seen = frappe.get_list(
				doctype, filters={"name": ("in", [row.name for row in rows])}, pluck="name"
			)
			[theirs] = [row.name for row in rows if row.chatwoot_company == self.companies[0]]
			[other] = [row.name for row in rows if row.chatwoot_company == self.companies[1]]
			self.assertEqual(seen, [theirs], doctype)
			self.assertFalse(frappe.has_permission(doctype, "read", other), doctype)
		# Synced before the Company was kept on them, the upgrade gives it to them.
		frappe.set_user("Administrator")
		for doctype, rows in made.items():
			frappe.db.set_value(
				doctype, {"name": ("in", [row.name for row in rows])}, "chatwoot_company", None
			)
		stamp_company_on_chat_records.execute()
		for doctype, rows in made.items():
			again = frappe.get_all(
				doctype,
				filters={"name": ("in", [row.name for row in rows])},
				fields=["name", "chatwoot_company"],
			)
			self.assertEqual(
				{row.name: row.chatwoot_company for row in again},
				{row.name: row.chatwoot_company for row in rows},
				doctype,
			)

	def delete_records(self, made: dict):
		frappe.set_user("Administrator")
		for doctype, rows in made.items():
			frappe.db.delete(doctype, {"name": ("in", [row.name for row in rows])})
		frappe.db.commit()
