"""The sync against a Chatwoot: the mock Chatwoot of tests/mock_chatwoot_api, running on loopback.

ERPNext → Chatwoot pushes, the backfill and the reconciliation here; and, when this site is the one
the bench serves on 127.0.0.1:8000 with a worker running, the whole chain: the mock posting real
signed webhooks to the site for a scripted conversation.
"""

import sys
import time
from pathlib import Path

import frappe
import requests

from chat_bridge.clients import system_client
from chat_bridge.pull.backfill import backfill
from chat_bridge.pull.reconcile import reconcile
from chat_bridge.records.outbound import link_to_chatwoot
from chat_bridge.rollout import WEBHOOK_EVENTS
from chat_bridge.settings import SETTINGS_DOCTYPE
from chat_bridge.tests.story import Story
from chat_bridge.tests.utils import (
	ACCOUNT_ID,
	ALL_FLAGS_ON,
	CUSTOMER_EMAIL,
	EXAMPLES_CUSTOMER,
	ChatBridgeTestCase,
	delete_made_since,
	ensure_agent_token,
	ensure_user,
)
from chat_bridge.webhook.log import EVENT_DOCTYPE

REPOSITORY = Path(__file__).resolve().parents[2]
# Where the bench serves this site, for the tests that go through HTTP: `chat_bridge_test_url` in the
# site's config, else loopback port 8000, bench's own, for the bench's default site.
SITE_URL = frappe.conf.get("chat_bridge_test_url") or "http://127.0.0.1:8000"
AGENT_USER = "sam.agent@erp.example"


def start_mock():
	if str(REPOSITORY) not in sys.path:
		sys.path.insert(0, str(REPOSITORY))
	from tests.mock_chatwoot_api import MockChatwoot

	# The site is on loopback: Chatwoot delivers there only with SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true.
	return MockChatwoot(allow_private_network=True).start()


def move_to_the_tests_account(mock) -> None:
	"""The mock's seed, account 3 and its customer Jane Doe, as the tests' own (tests/utils)."""
	mock.renumber_account(mock.account["id"], ACCOUNT_ID)
	for contact in mock.contacts.values():
		for key, (example, own) in EXAMPLES_CUSTOMER.items():
			if contact.get(key) == example:
				contact[key] = own


def skip_unless_served(test) -> None:
	"""Skip `test` unless the bench serves this very site, with the app, at SITE_URL."""
	if not frappe.conf.get("chat_bridge_test_url") and frappe.conf.default_site != frappe.local.site:
		test.skipTest(f"{SITE_URL} serves {frappe.conf.default_site}, not this site")
	try:
		answer = requests.get(f"{SITE_URL}/api/method/chat_bridge.webhook.handle", timeout=5)
	except requests.RequestException:
		test.skipTest(f"no site answers on {SITE_URL}")
	if answer.status_code != 200:
		test.skipTest(f"{SITE_URL} does not serve chat_bridge")


class WithChatwoot(ChatBridgeTestCase):
	"""A fresh mock Chatwoot for every test, and the settings pointing at it."""

	def setUp(self):
		super().setUp()
		# What the site remembers of the last Chatwoot it asked (its agents, that it was away) is
		# not true of this one.
		self.forget_chatwoot()
		self.addCleanup(self.forget_chatwoot)
		self.mock = start_mock()
		self.addCleanup(self.mock.stop)
		move_to_the_tests_account(self.mock)
		self.started = frappe.utils.now_datetime()
		self.addCleanup(delete_made_since, self.started)
		self.configure(
			**ALL_FLAGS_ON, chatwoot_url=self.mock.url, api_access_token="admin-token", last_sync_at=None
		)

	def forget_chatwoot(self):
		from chat_bridge.analytics.performance import REPORT_CACHE_KEY
		from chat_bridge.card.data import CARD_KEY
		from chat_bridge.records.agents import AGENTS_CACHE_KEY, UNAVAILABLE_KEY

		frappe.cache.delete_value(
			[key.format(account_id=ACCOUNT_ID) for key in (AGENTS_CACHE_KEY, UNAVAILABLE_KEY)]
		)
		for kept in (CARD_KEY, REPORT_CACHE_KEY):  # cards and reports read from the last one
			frappe.cache.delete_keys(kept.split("{", 1)[0])

	def register_site_webhook(self) -> dict:
		"""The site's webhook in the mock, and every flag on with the webhook's secret."""
		webhook = system_client().create_webhook(
			f"{SITE_URL}/api/method/chat_bridge.webhook.handle", WEBHOOK_EVENTS
		)["payload"]["webhook"]
		self.configure(
			**ALL_FLAGS_ON,
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			webhook_secret=webhook["secret"],
			chatwoot_webhook_id=webhook["id"],
		)
		return webhook

	def counts(self) -> dict:
		"""What the sync wrote during this test."""
		frappe.db.rollback()
		since = {"creation": (">=", self.started)}
		return {
			"contacts": frappe.db.count("Chatwoot Contact Mapping", since),
			"conversations": frappe.db.count("Chatwoot Conversation Mapping", since),
			"communications": frappe.db.count(
				"Communication", {"name": ("like", f"CW-{ACCOUNT_ID}-%"), **since}
			),
			"comments": frappe.db.count("Comment", {"name": ("like", f"CW-{ACCOUNT_ID}-%"), **since}),
		}


class TestBackfillAndReconcile(WithChatwoot):
	def test_backfill_twice_creates_nothing_new(self):
		api = system_client()
		contact = api.create_contact(name="Backfill Customer", email="backfill@example.test")["payload"][
			"contact"
		]
		conversation = api.create_conversation(inbox_id=8, contact_id=contact["id"])
		api.send_message(conversation["id"], "Question", message_type="incoming")
		api.send_message(conversation["id"], "Answer")
		api.send_message(conversation["id"], "Internal", private=True)

		first = backfill(api)
		after_first = self.counts()
		self.assertEqual(first.failures, [])
		self.assertEqual(after_first, {"contacts": 2, "conversations": 2, "communications": 3, "comments": 1})

		second = backfill(api)
		self.assertEqual(second.failures, [])
		self.assertEqual(self.counts(), after_first)
		self.assertEqual({key.split()[1] for key in second.counts}, {"unchanged"}, second.counts)

	def test_backfill_since_skips_what_is_older(self):
		summary = backfill(system_client(), since=frappe.utils.add_days(frappe.utils.now_datetime(), 1))
		self.assertEqual(summary.counts, {})

	def test_reconciliation_fills_a_gap_below_a_message_that_arrived(self):
		from chat_bridge.chatwoot.events import MessageView
		from chat_bridge.records.messages import sync_message

		backfill(system_client(), contacts=False)
		before = self.counts()["communications"]
		self.mock.customer_says(58, "Lost: the site was away when this came")  # no webhook is registered
		arrived = self.mock.customer_says(58, "This one was delivered")
		sync_message(MessageView.from_payload(self.mock.presenters.message_webhook(arrived)))
		frappe.db.commit()
		self.assertEqual(self.counts()["communications"], before + 1)
		reconcile()
		self.assertEqual(self.counts()["communications"], before + 2)

	def test_reconciliation_fills_the_gap_of_a_lost_delivery(self):
		backfill(system_client(), contacts=False)
		before = self.counts()["communications"]
		self.mock.customer_says(58, "This delivery never reached ERPNext")  # no webhook is registered
		reconcile()
		self.assertEqual(self.counts()["communications"], before + 1)
		self.assertIsNotNone(frappe.db.get_single_value(SETTINGS_DOCTYPE, "last_sync_at"))
		reconcile()  # nothing new: nothing more
		self.assertEqual(self.counts()["communications"], before + 1)

	def test_doctor_says_so_when_chatwoot_drops_the_sites_deliveries(self):
		from chat_bridge.tests.utils import first_account_checks

		self.register_site_webhook()
		backfill(
			system_client(), contacts=False
		)  # a reconciliation has run before: what is missing now was lost
		self.mock.allow_private_network = False  # as Chatwoot runs by default
		lost = self.mock.customer_says(58, "Posted to a private address, and dropped")
		self.mock.wait_for_deliveries(1)
		self.assertTrue(any("has no public ip addresses" in line for line in self.mock.log))
		lost["created_at"] -= 300  # long enough ago that its delivery should have come
		reconcile()
		self.assertEqual(frappe.db.get_single_value(SETTINGS_DOCTYPE, "missed_deliveries"), 1)
		checks = first_account_checks()
		self.assertFalse(checks["deliveries"].ok)
		self.assertIn("1 message", checks["deliveries"].detail)
		self.assertEqual(checks["delivery"].verdict, "WARN")
		self.assertIn("SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true", checks["delivery"].detail)

		# Delivered again: the next run finds the message already there, and the misses end.
		from chat_bridge.chatwoot.events import MessageView
		from chat_bridge.records.messages import sync_message

		delivered = self.mock.customer_says(58, "This one came")
		sync_message(MessageView.from_payload(self.mock.presenters.message_webhook(delivered)))
		frappe.db.commit()
		delivered["created_at"] -= 300
		reconcile()
		self.assertEqual(frappe.db.get_single_value(SETTINGS_DOCTYPE, "missed_deliveries"), 0)
		self.assertTrue(first_account_checks()["deliveries"].ok)

	def test_the_first_reconciliation_counts_nothing_as_lost(self):
		old = self.mock.customer_says(58, "Said before the site had a webhook")
		old["created_at"] -= 300
		reconcile()  # no reconciliation before this one
		self.assertGreater(self.counts()["communications"], 0)
		self.assertFalse(frappe.db.get_single_value(SETTINGS_DOCTYPE, "missed_deliveries"))

	def test_what_the_channel_reports_and_an_edit_reach_the_reply(self):
		from chat_bridge.webhook.handlers import dispatch

		def written(message: dict) -> frappe._dict:
			frappe.db.commit()
			return frappe.db.get_value(
				"Communication",
				{"message_id": f"chatwoot:{ACCOUNT_ID}:{message['id']}"},
				["content", "delivery_status", "read_by_recipient"],
				as_dict=True,
			)

		def deliver(message: dict, event: str) -> frappe._dict:
			payload = {**self.mock.presenters.message_webhook(message), "event": event}
			self.assertEqual(dispatch(event, payload).status, "Processed")
			return written(message)

		backfill(system_client(), contacts=False)
		reply = self.mock.messages[system_client().send_message(58, "It ships today")["id"]]
		self.assertFalse(deliver(reply, "message_created").delivery_status)  # webhooks carry no status
		self.mock.update_message_status(reply, "read")
		reconcile()  # Chatwoot's REST messages do
		self.assertEqual((written(reply).delivery_status, written(reply).read_by_recipient), ("Read", 1))
		self.mock.update_message(reply, content="It ships tomorrow")
		edited = deliver(reply, "message_updated")
		self.assertIn("It ships tomorrow", edited.content)
		self.assertEqual(edited.delivery_status, "Read")
		refused = self.mock.messages[system_client().send_message(58, "Your invoice")["id"]]
		deliver(refused, "message_created")
		self.mock.update_message_status(refused, "failed", "131047: Re-engagement message")
		self.assertEqual(deliver(refused, "message_updated").delivery_status, "Error")

	def test_what_reconciliation_could_not_pull_is_in_the_error_log(self):
		from unittest.mock import patch

		from chat_bridge.pull.reconcile import RECONCILE_ERROR_TITLE

		self.mock.customer_says(58, "Arrives while ERPNext cannot write it")
		with patch("chat_bridge.pull.items.sync_message", side_effect=RuntimeError("disk full")):
			summary = reconcile()
		self.assertTrue(summary.failures)
		logged = frappe.get_all(
			"Error Log",
			filters={"method": RECONCILE_ERROR_TITLE, "creation": (">=", self.started)},
			pluck="error",
		)
		self.assertEqual(len(logged), 1)
		self.assertIn("disk full", logged[0])


class TestOnASiteInUse(WithChatwoot):
	def test_the_tests_meet_none_of_the_records_a_site_holds_for_account_3(self):
		"""The mock's customer is contact 1042 of account 3, as a real site's first customer may be."""
		own = frappe.db.get_value(  # a site in use may hold it already
			"Chatwoot Contact Mapping", {"account_id": 3, "chatwoot_contact_id": 1042}, "contact"
		)
		if not own:
			own = (
				frappe.get_doc(
					{"doctype": "Contact", "first_name": "Jane", "last_name": "Doe (the site's own)"}
				)
				.insert(ignore_permissions=True)
				.name
			)
			link_to_chatwoot(own, 3, 1042)
			frappe.db.commit()
		before = frappe.db.get_value("Contact", own, ["first_name", "last_name", "modified"])
		backfill(system_client())
		self.assertEqual(frappe.db.get_value("Contact", own, ["first_name", "last_name", "modified"]), before)
		theirs = frappe.get_all(
			"Chatwoot Contact Mapping",
			filters={"chatwoot_contact_id": 1042},
			fields=["account_id", "contact"],
		)
		self.assertEqual(
			sorted((row.account_id, row.contact == own) for row in theirs),
			[(3, True), (ACCOUNT_ID, False)],
		)


class TestPushToChatwoot(WithChatwoot):
	def make_contact(self, **values):
		contact = frappe.get_doc(
			{"doctype": "Contact", "first_name": "Erp", "last_name": "Person", **values}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.addCleanup(frappe.delete_doc, "Contact", contact.name, ignore_permissions=True, force=True)
		return contact

	def test_create_the_chatwoot_contact_of_an_unmapped_contact(self):
		from chat_bridge.api.rest_api import create_chatwoot_contact

		contact = self.make_contact(email_ids=[{"email_id": "erp.person@example.test", "is_primary": 1}])
		mapping = create_chatwoot_contact(contact.name)["data"]
		created = self.mock.contacts[mapping["chatwoot_contact_id"]]
		self.assertEqual((created["name"], created["email"]), ("Erp Person", "erp.person@example.test"))
		self.assertEqual(create_chatwoot_contact(contact.name)["data"]["name"], mapping["name"])

	def test_an_email_chatwoot_already_has_is_linked_not_duplicated(self):
		from chat_bridge.api.rest_api import create_chatwoot_contact

		email = CUSTOMER_EMAIL.upper()  # Chatwoot has Jane's address in lower case
		contact = self.make_contact(email_ids=[{"email_id": email, "is_primary": 1}])
		mapping = create_chatwoot_contact(contact.name)["data"]
		self.assertEqual(mapping["chatwoot_contact_id"], 1042)

	def test_erpnext_change_is_pushed_and_chatwoot_change_is_not_bounced(self):
		from chat_bridge.api.rest_api import create_chatwoot_contact

		contact = self.make_contact(email_ids=[{"email_id": "push@example.test", "is_primary": 1}])
		chatwoot_id = create_chatwoot_contact(contact.name)["data"]["chatwoot_contact_id"]
		contact.reload()
		contact.first_name = "Renamed"
		contact.save()
		frappe.db.commit()
		self.assertEqual(self.mock.contacts[chatwoot_id]["name"], "Renamed Person")

		puts = len([r for r in self.mock.requests if r[0] == "PUT"])
		from chat_bridge.chatwoot.events import ContactView
		from chat_bridge.records.contacts import sync_contact

		sync_contact(
			ContactView(
				id=chatwoot_id, name="Changed In Chatwoot", email="push@example.test", account_id=ACCOUNT_ID
			),
			None,
		)
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value("Contact", contact.name, "first_name"), "Changed In")
		self.assertEqual(len([r for r in self.mock.requests if r[0] == "PUT"]), puts)  # the loop guard held

	def test_direction_chatwoot_to_erpnext_never_pushes(self):
		from chat_bridge.api.rest_api import create_chatwoot_contact

		contact = self.make_contact(email_ids=[{"email_id": "nopush@example.test", "is_primary": 1}])
		mapping = create_chatwoot_contact(contact.name)["data"]
		frappe.db.set_value(
			"Chatwoot Contact Mapping", mapping["name"], "sync_direction", "Chatwoot to ERPNext"
		)
		frappe.db.commit()
		contact.reload()
		contact.first_name = "Local"
		contact.save()
		frappe.db.commit()
		self.assertEqual(self.mock.contacts[mapping["chatwoot_contact_id"]]["name"], "Erp Person")


class TestAgents(WithChatwoot):
	def test_an_assignee_without_email_is_found_through_the_agent_list(self):
		from chat_bridge.chatwoot.events import AgentView
		from chat_bridge.records.agents import user_for_agent

		self.assertFalse(frappe.db.exists("Chatwoot User Token", {"chatwoot_user_id": 1}))
		user = ensure_user("ada@acme.example")  # agent 1 of the mock's account
		# Conversation payloads describe the assignee with an id and a name only.
		self.assertEqual(user_for_agent(AgentView(id=1, kind="user", name="Ada"), ACCOUNT_ID), user)

	def test_an_assignment_made_while_chatwoot_is_away_is_found_by_the_reconciliation(self):
		from chat_bridge.records.agents import UNAVAILABLE_KEY

		user = ensure_user("ada@acme.example")  # agent 1 of the mock's account, no token
		story = Story()
		self.addCleanup(story.clean_up)
		payload = story.payload("conversation_updated")
		payload["meta"]["assignee"] = {"id": 1, "name": "Ada", "type": "user"}

		self.mock.stop()  # Chatwoot is away when the assignment arrives
		self.assertEqual(story.deliver(payload), "Processed", story.event_error())
		mapping = story.conversation_mapping()
		self.assertEqual(
			(mapping.assignee, mapping.chatwoot_assignee_id, mapping.assignee_pending), (None, 1, 1)
		)
		self.assertEqual(mapping.status, "open")  # the rest of the event was applied

		self.mock = start_mock()
		self.addCleanup(self.mock.stop)
		move_to_the_tests_account(self.mock)
		self.configure(**ALL_FLAGS_ON, chatwoot_url=self.mock.url, api_access_token="admin-token")
		frappe.cache.delete_value(
			UNAVAILABLE_KEY.format(account_id=ACCOUNT_ID)
		)  # as five minutes later, when the reconciliation runs
		reconcile()
		mapping = story.conversation_mapping()
		self.assertEqual((mapping.assignee, mapping.assignee_pending), (user, 0))
		self.assertEqual([t.allocated_to for t in story.todos("Open")], [user])


class TestWholeChain(WithChatwoot):
	"""Real signed webhooks from the mock to the site the bench serves, processed by its worker."""

	def setUp(self):
		super().setUp()
		skip_unless_served(self)
		self.agent_user = ensure_agent_token(AGENT_USER, 12)

	def wait_until_processed(self, deliveries: list[dict], timeout: float = 60) -> dict[str, str]:
		ids = [d["delivery_id"] for d in deliveries]
		deadline = time.monotonic() + timeout
		while time.monotonic() < deadline:
			frappe.db.rollback()
			rows = frappe.get_all(
				EVENT_DOCTYPE, filters={"delivery_id": ("in", ids)}, fields=["delivery_id", "status", "error"]
			)
			statuses = {row.delivery_id: row.status for row in rows}
			if len(statuses) == len(ids) and all(
				s in ("Processed", "Ignored", "Failed") for s in statuses.values()
			):
				return {row.delivery_id: (row.status, row.error) for row in rows}
			time.sleep(0.5)
		self.fail(f"events not processed within {timeout}s: {statuses}")

	def test_scripted_conversation_ends_as_the_right_records(self):
		self.register_site_webhook()
		api = system_client()
		contact = api.create_contact(
			name="Chain Customer", email="chain@example.test", phone_number="+4915112345678"
		)["payload"]["contact"]
		conversation = api.create_conversation(inbox_id=8, contact_id=contact["id"])
		api.send_message(conversation["id"], "Where is my order?", message_type="incoming")
		api.send_message(conversation["id"], "It ships today.")
		api.send_message(conversation["id"], "Customer is upset, be kind", private=True)
		api.assign_conversation(conversation["id"], assignee_id=12)
		api.toggle_status(conversation["id"], "resolved")

		# contact_created; conversation_created; the customer's message_created and contact_updated;
		# the reply's message_created and conversation_updated (first reply); the note's
		# message_created; the assignment's conversation_updated; the status change's two events.
		deliveries = self.mock.wait_for_deliveries(10, timeout=30)
		self.assertTrue(
			all(d["status"] == 200 for d in deliveries),
			[(d["event"], d["status"], d["answer"]) for d in deliveries],
		)
		outcome = self.wait_until_processed(deliveries)
		self.assertFalse([v for v in outcome.values() if v[0] == "Failed"], outcome)

		frappe.db.rollback()
		mapping = frappe.get_doc(
			"Chatwoot Conversation Mapping",
			{"account_id": ACCOUNT_ID, "chatwoot_conversation_id": conversation["id"]},
		)
		contact_name = frappe.db.get_value(
			"Chatwoot Contact Mapping", {"chatwoot_contact_id": contact["id"]}, "contact"
		)
		self.assertEqual(
			frappe.get_all("Contact Email", filters={"email_id": "chain@example.test"}, pluck="parent"),
			[contact_name],
		)
		self.assertEqual(
			(mapping.status, mapping.assignee, mapping.contact), ("resolved", self.agent_user, contact_name)
		)
		communications = frappe.get_all(
			"Communication",
			filters=[
				["name", "like", f"CW-{ACCOUNT_ID}-%"],
				["Communication Link", "link_name", "=", contact_name],
			],
			fields=["sent_or_received", "content"],
			order_by="communication_date asc",
		)
		self.assertEqual([c.sent_or_received for c in communications], ["Received", "Sent"])
		self.assertEqual(
			frappe.db.count(
				"Comment", {"name": ("like", f"CW-{ACCOUNT_ID}-%"), "reference_name": mapping.name}
			),
			1,
		)
		# Chatwoot builds each payload when its delivery job runs, so the assignment may first be
		# seen on a conversation already resolved: then there is no ToDo to open. None stays open.
		todos = frappe.get_all(
			"ToDo",
			filters={"reference_name": contact_name, "description": ("like", "Chatwoot conversation #%")},
			pluck="status",
		)
		self.assertNotIn("Open", todos)

		# The backfill also brings the mock's seeded story, which no webhook carried; of the
		# scripted conversation it must create nothing.
		chain_items = {("contact", str(contact["id"])), ("conversation", str(conversation["id"]))}
		actions = []
		summary = backfill(api, report=lambda kind, item, action: actions.append((kind, item, action)))
		self.assertEqual(summary.failures, [])
		chain_actions = [
			a for a in actions if (a[0], a[1]) in chain_items or a[1].startswith(f"{conversation['id']}/")
		]
		# The contact, the conversation, its three messages and the two activity messages Chatwoot
		# added (the assignment and the resolution).
		self.assertEqual(len(chain_actions), 2 + 3 + 2)
		self.assertNotIn("created", [a[2] for a in chain_actions], chain_actions)
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.count(
				"Communication", {"name": ("like", f"CW-{ACCOUNT_ID}-%"), "reference_name": mapping.name}
			),
			2,
		)
