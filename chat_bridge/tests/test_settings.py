import frappe

from chat_bridge.exceptions import FeatureDisabledError, IncompleteConfigurationError
from chat_bridge.features import Feature
from chat_bridge.settings import (
	SETTINGS_DOCTYPE,
	WORKSPACE,
	feature_enabled,
	get_flags,
	get_secret,
	read_flags,
	require_feature,
)
from chat_bridge.settings_cache import FLAG_FIELDS
from chat_bridge.tests.utils import ACCOUNT_ID, ALL_FLAGS_ON, ChatBridgeTestCase


class TestSettingsValidation(ChatBridgeTestCase):
	def test_complete_configuration_saves_and_url_is_normalised(self):
		settings = self.configure(**ALL_FLAGS_ON, chatwoot_url="HTTPS://Chat.Example.com/")
		self.assertEqual(settings.chatwoot_url, "https://chat.example.com")
		self.assertEqual(
			frappe.db.get_single_value(SETTINGS_DOCTYPE, "chatwoot_url"), "https://chat.example.com"
		)

	def test_sync_without_secret_is_refused_with_what_is_missing(self):
		with self.assertRaises(IncompleteConfigurationError) as caught:
			self.configure(**ALL_FLAGS_ON, webhook_secret="")
		self.assertIn("Webhook Secret is required while Enable Sync is on", str(caught.exception))

	def test_bad_url_and_account_are_both_reported(self):
		with self.assertRaises(IncompleteConfigurationError) as caught:
			self.configure(enabled=1, enable_dashboard=1, chatwoot_url="ftp://x.example", account_id=-2)
		message = str(caught.exception)
		self.assertIn("http:// or https://", message)
		self.assertIn("positive whole number", message)

	def test_rollback_saves_even_when_configuration_is_incomplete(self):
		self.configure(**ALL_FLAGS_ON)
		settings = frappe.get_single(SETTINGS_DOCTYPE)
		settings.enabled = 0
		settings.webhook_secret = ""
		settings.save()
		self.assertFalse(feature_enabled(Feature.SYNC))

	def test_secrets_are_stored_encrypted_and_read_back(self):
		self.configure()
		stored = frappe.db.get_single_value(SETTINGS_DOCTYPE, "api_access_token")
		self.assertNotIn("admin-token", stored or "")
		self.assertEqual(get_secret("api_access_token"), "admin-token-xyz")


class TestFlags(ChatBridgeTestCase):
	def test_flag_reader_follows_each_save(self):
		self.configure(enabled=1, enable_dashboard=1)
		get_flags()  # warm the cache
		self.assertTrue(feature_enabled(Feature.DASHBOARD))
		self.assertFalse(feature_enabled(Feature.API))

		self.configure(enabled=1, enable_dashboard=1, enable_api=1)
		self.assertTrue(feature_enabled(Feature.API))

		self.configure(enabled=0, enable_dashboard=1, enable_api=1)
		self.assertFalse(feature_enabled(Feature.DASHBOARD))
		self.assertFalse(feature_enabled(Feature.API))

	def test_sub_flags_need_sync(self):
		self.configure(enabled=1, enable_contact_sync=1)
		self.assertFalse(feature_enabled(Feature.CONTACT_SYNC))
		self.configure(enabled=1, enable_sync=1, enable_contact_sync=1)
		self.assertTrue(feature_enabled(Feature.CONTACT_SYNC))
		self.assertFalse(feature_enabled(Feature.MESSAGE_SYNC))

	def test_a_job_in_an_older_snapshot_cannot_put_the_old_flags_back(self):
		self.assert_flags_survive_a_stale_reader(lose_the_cache=False)

	def test_flags_lost_from_redis_are_read_as_committed_even_from_an_older_snapshot(self):
		self.assert_flags_survive_a_stale_reader(lose_the_cache=True)

	def assert_flags_survive_a_stale_reader(self, *, lose_the_cache: bool):
		"""A worker whose transaction began before a save reads the flags after it committed: the
		interleaving that once left the site's flags all off, with no expiry."""
		self.configure()  # everything off
		worker = self.worker_connection()
		with worker:
			self.assertEqual(enable_sync_in_this_snapshot(), 0)  # the worker's snapshot begins
		self.configure(**ALL_FLAGS_ON)
		if lose_the_cache:
			# As FLUSHALL would, for these keys only: the bench's Redis may hold the job queue too.
			frappe.cache.delete(*(frappe.cache.make_key(key) for key in FLAG_CACHE_KEYS))
		with worker:
			self.assertEqual(enable_sync_in_this_snapshot(), 0, "the worker still sees the old row")
			self.assertTrue(feature_enabled(Feature.SYNC), "the worker reads what was committed")
		frappe.local.cache.clear()  # as another process: nothing of this one's memory
		self.assertTrue(feature_enabled(Feature.SYNC))
		self.assertEqual(
			get_flags(), {**dict.fromkeys(FLAG_FIELDS, 0), **ALL_FLAGS_ON, "account_id": ACCOUNT_ID}
		)

	def test_a_delivery_in_an_older_snapshot_reads_the_new_webhook_secret(self):
		"""A request whose transaction began before the secret was changed reads the new one: kept
		under the new generation, the old one refused every delivery for a minute."""
		self.configure(webhook_secret="Old7pZ2mN4vB8cR1tY6uW3eK")
		self.assertEqual(get_secret("webhook_secret"), "Old7pZ2mN4vB8cR1tY6uW3eK")
		worker = self.worker_connection()
		with worker:
			enable_sync_in_this_snapshot()  # the request's snapshot begins
		self.configure(webhook_secret="New7pZ2mN4vB8cR1tY6uW3eK")
		with worker:
			self.assertEqual(get_secret("webhook_secret"), "New7pZ2mN4vB8cR1tY6uW3eK")
		self.assertEqual(get_secret("webhook_secret"), "New7pZ2mN4vB8cR1tY6uW3eK")

	def test_the_transaction_that_saves_reads_its_own_flags_and_secret_in_one_read(self):
		"""The webhook gates a delivery and checks its signature from one read of the flags."""
		self.configure(webhook_secret="Old7pZ2mN4vB8cR1tY6uW3eK")
		committed = read_flags()
		self.assertIsNotNone(committed.generation)
		self.assertEqual(get_secret("webhook_secret", committed), "Old7pZ2mN4vB8cR1tY6uW3eK")
		settings = frappe.get_single(SETTINGS_DOCTYPE)
		settings.update({**ALL_FLAGS_ON, "webhook_secret": "New7pZ2mN4vB8cR1tY6uW3eK"})
		settings.save(ignore_permissions=True)  # not committed
		saving = read_flags()
		self.assertIsNone(saving.generation, "nothing read in this transaction may be kept")
		self.assertEqual(saving.flags["enable_sync"], 1)
		self.assertEqual(get_secret("webhook_secret", saving), "New7pZ2mN4vB8cR1tY6uW3eK")
		frappe.db.rollback()
		self.assertEqual(get_secret("webhook_secret", read_flags()), "Old7pZ2mN4vB8cR1tY6uW3eK")

	def test_a_cleared_cache_does_not_bring_back_the_generation_a_secret_was_kept_under(self):
		"""Frappe's clear-cache deletes the generation: counted from nothing again, the next save
		came back to a value a process had kept the old secret under."""
		for secret in ("One7pZ2mN4vB8cR1tY6uW3eK", "Two7pZ2mN4vB8cR1tY6uW3eK"):
			frappe.clear_cache()  # as `bench clear-cache`, or a migrate
			self.configure(webhook_secret=secret)
			self.assertEqual(get_secret("webhook_secret"), secret)

	def worker_connection(self):
		"""A second connection to the site's database, as a worker has; `with` it to use it.

		Not FrappeTestCase.secondary_connection(), which leaves the second connection in place when
		it makes one.
		"""
		primary = frappe.local.db
		frappe.connect()
		worker = frappe.local.db
		frappe.local.db = primary
		self.addCleanup(worker.close)
		self.addCleanup(worker.rollback)
		return using(worker)

	def test_the_saving_transaction_reads_its_own_flags_until_it_commits(self):
		self.configure()
		settings = frappe.get_single(SETTINGS_DOCTYPE)
		settings.update({"enabled": 1, "enable_dashboard": 1})
		settings.save()
		self.assertTrue(feature_enabled(Feature.DASHBOARD))
		frappe.db.rollback()
		self.assertFalse(feature_enabled(Feature.DASHBOARD))

	def test_require_feature_names_the_flag_that_is_off(self):
		self.configure(enabled=1)
		with self.assertRaises(FeatureDisabledError) as caught:
			require_feature(Feature.API)
		self.assertIn("Enable API Access", str(caught.exception))
		self.assertEqual(FeatureDisabledError.http_status_code, 403)


class TestWorkspaceVisibility(ChatBridgeTestCase):
	def test_workspace_follows_master_switch(self):
		self.assertTrue(frappe.db.exists("Workspace", WORKSPACE))
		self.configure(enabled=0)
		self.assertEqual(frappe.db.get_value("Workspace", WORKSPACE, "is_hidden"), 1)
		self.configure(enabled=1, enable_dashboard=1)
		self.assertEqual(frappe.db.get_value("Workspace", WORKSPACE, "is_hidden"), 0)
		self.configure(enabled=0)
		self.assertEqual(frappe.db.get_value("Workspace", WORKSPACE, "is_hidden"), 1)

	def test_workspace_is_for_system_managers_and_support_leads(self):
		roles = [r.role for r in frappe.get_doc("Workspace", WORKSPACE).roles]
		self.assertEqual(roles, ["System Manager", "Support Analytics"])


FLAG_CACHE_KEYS = ("chat_bridge:flags", "chat_bridge:flags_generation")


def enable_sync_in_this_snapshot() -> int:
	rows = frappe.db.sql(
		"select value from `tabSingles` where doctype = %s and field = 'enable_sync'", SETTINGS_DOCTYPE
	)
	return int(rows[0][0]) if rows else 0


class using:
	"""Run the block on database connection `db`, then go back to the one before."""

	def __init__(self, db):
		self.db = db

	def __enter__(self):
		self.before, frappe.local.db = frappe.local.db, self.db

	def __exit__(self, *exc):
		frappe.local.db = self.before
