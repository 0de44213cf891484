"""The REST methods against the mock Chatwoot: off, as a System Manager, as a plain user, as an agent."""

import frappe

from chat_bridge.api import rest_api
from chat_bridge.exceptions import ChatwootRequestError, ChatwootUnavailableError, FeatureDisabledError
from chat_bridge.tests.test_with_chatwoot import WithChatwoot
from chat_bridge.tests.utils import (
	ACCOUNT_ID,
	ALL_FLAGS_ON,
	CUSTOMER_EMAIL,
	PLAIN_USER,
	SYSTEM_MANAGER,
	ensure_user,
)
from chat_bridge.tests.utils import AGENT_USER as AGENT

READS = [
	(rest_api.get_conversations, {}),
	(rest_api.get_conversation, {"id": 58}),
	(rest_api.get_messages, {"conversation_id": 58}),
	(rest_api.get_contacts, {}),
	(rest_api.get_contact, {"id": 1042}),
]
WRITES = [
	(rest_api.send_message, {"conversation_id": 58, "content": "Hello"}),
	(rest_api.update_conversation_status, {"id": 58, "status": "pending"}),
	(rest_api.assign_conversation, {"id": 58}),
	(rest_api.add_labels, {"id": 58, "labels": "vip"}),
]


class RestTestCase(WithChatwoot):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		ensure_user(PLAIN_USER)
		ensure_user(AGENT, ("Chatwoot Agent",))
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		self.delete_tokens()
		self.addCleanup(self.delete_tokens)

	def delete_tokens(self):
		frappe.set_user("Administrator")
		frappe.db.delete("Chatwoot User Token", {"user": ("in", (AGENT, PLAIN_USER))})
		frappe.db.commit()

	def as_agent_with_own_token(self):
		frappe.get_doc(
			{
				"doctype": "Chatwoot User Token",
				"user": AGENT,
				"chatwoot_user_id": 12,
				"api_access_token": "agent-token",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		frappe.set_user(AGENT)


class TestApiOff(RestTestCase):
	def test_every_method_refuses_with_a_clear_4xx(self):
		self.configure(
			**{**ALL_FLAGS_ON, "enable_api": 0}, chatwoot_url=self.mock.url, api_access_token="admin-token"
		)
		for method, kwargs in [
			*READS,
			*WRITES,
			(rest_api.get_sync_metrics, {}),
			(rest_api.link_contact, {"contact": "x", "chatwoot_contact_id": 1}),
		]:
			with self.subTest(method.__name__), self.assertRaises(FeatureDisabledError) as caught:
				method(**kwargs)
			self.assertIn("Chatwoot API access is not enabled", str(caught.exception))
			self.assertIn("Enable API Access", str(caught.exception))
		self.assertEqual(FeatureDisabledError.http_status_code, 403)
		self.assertEqual(len(self.mock.requests), 0)  # nothing reached Chatwoot


class TestAsSystemManager(RestTestCase):
	def setUp(self):
		super().setUp()
		frappe.set_user(SYSTEM_MANAGER)

	def test_conversations_list_with_the_erpnext_contact(self):
		from chat_bridge.records.outbound import link_to_chatwoot

		contact = frappe.get_doc({"doctype": "Contact", "first_name": "Jane", "last_name": "Seed"}).insert(
			ignore_permissions=True
		)
		self.addCleanup(frappe.delete_doc, "Contact", contact.name, ignore_permissions=True, force=True)
		link_to_chatwoot(contact.name, ACCOUNT_ID, 1042)
		result = rest_api.get_conversations()
		self.assertEqual(len(result.get("data", [])), 1)  # the rollout guide's console check
		[row] = result["data"]
		self.assertEqual((row["id"], row["erpnext_contact"], row["status"]), (58, contact.name, "open"))
		self.assertTrue(row["chatwoot_url"].endswith(f"/app/accounts/{ACCOUNT_ID}/conversations/58"))

	def test_conversation_messages_and_replies(self):
		conversation = rest_api.get_conversation(58)["data"]
		self.assertEqual(conversation["id"], 58)
		self.assertNotIn("pubsub_token", frappe.as_json(conversation))
		reply = rest_api.send_message(58, "We are on it.")["data"]
		note = rest_api.send_message(58, "Internal only", private="1")["data"]
		self.assertTrue(note["private"])
		messages = rest_api.get_messages(58)["data"]
		self.assertEqual([m["id"] for m in messages][-2:], [reply["id"], note["id"]])
		self.assertEqual(messages[-2]["message_type_name"], "outgoing")

	def test_status_assignment_and_labels(self):
		rest_api.update_conversation_status(58, "resolved")
		self.assertEqual(self.mock.conversations[58]["status"], "resolved")
		ensure_user("sam@acme.example")
		rest_api.assign_conversation(
			58, "sam@acme.example"
		)  # an ERPNext user, found by email among the agents
		self.assertEqual(self.mock.conversations[58]["assignee_id"], 12)
		rest_api.assign_conversation(58)
		self.assertIsNone(self.mock.conversations[58]["assignee_id"])
		self.assertEqual(rest_api.add_labels(58, "vip, billing")["data"], ["vip", "billing"])
		self.assertEqual(rest_api.add_labels(58, '["urgent"]')["data"], ["vip", "billing", "urgent"])

	def test_an_agent_who_reopens_does_not_take_the_conversation_from_a_colleague(self):
		conversation = self.mock.conversations[58]
		conversation.update(assignee_id=1, status="resolved")  # Ada's
		self.as_agent_with_own_token()  # Sam, an agent in Chatwoot
		rest_api.update_conversation_status(58, "open")
		frappe.set_user("Administrator")
		self.assertEqual((conversation["status"], conversation["assignee_id"]), ("open", 1))
		conversation.update(assignee_id=None, status="resolved")  # nobody's stays nobody's
		frappe.set_user(AGENT)
		rest_api.update_conversation_status(58, "open")
		frappe.set_user("Administrator")
		self.assertIsNone(conversation["assignee_id"])

	def test_an_assignee_who_is_not_an_agent_of_the_account_is_refused(self):
		self.mock.conversations[58]["assignee_id"] = 12
		stranger = self.mock.add_user("Other Account", "other@elsewhere.example")
		self.mock.add_membership(stranger, 99)
		for assignee in (stranger["id"], 424242, "nobody@erp.example"):
			with self.subTest(assignee), self.assertRaises(frappe.ValidationError):
				rest_api.assign_conversation(58, assignee)
		self.assertEqual(self.mock.conversations[58]["assignee_id"], 12)  # not unassigned

	def test_contacts_search_and_link(self):
		self.assertEqual([c["id"] for c in rest_api.get_contacts(q="jane")["data"]], [1042])
		self.assertEqual(rest_api.get_contact(1042)["data"]["email"], CUSTOMER_EMAIL)
		contact = frappe.get_doc({"doctype": "Contact", "first_name": "Link", "last_name": "Me"}).insert(
			ignore_permissions=True
		)
		self.addCleanup(frappe.delete_doc, "Contact", contact.name, ignore_permissions=True, force=True)
		mapping = rest_api.link_contact(contact.name, 1042)["data"]
		self.assertEqual((mapping["chatwoot_contact_id"], mapping["contact"]), (1042, contact.name))
		with self.assertRaises(frappe.DoesNotExistError):
			rest_api.link_contact(contact.name, 999999)

	def test_record_conversations_for_a_form(self):
		from chat_bridge.records.outbound import link_to_chatwoot

		contact = frappe.get_doc({"doctype": "Contact", "first_name": "Form", "last_name": "View"}).insert(
			ignore_permissions=True
		)
		self.addCleanup(frappe.delete_doc, "Contact", contact.name, ignore_permissions=True, force=True)
		self.assertEqual(rest_api.get_record_conversations("Contact", contact.name)["data"]["mappings"], [])
		link_to_chatwoot(contact.name, ACCOUNT_ID, 1042)
		data = rest_api.get_record_conversations("Contact", contact.name)["data"]
		self.assertEqual([c["id"] for c in data["conversations"]], [58])
		with self.assertRaises(frappe.ValidationError):
			rest_api.get_record_conversations("ToDo", "x")

	def test_bad_arguments_get_clear_errors(self):
		for method, kwargs, fragment in [
			(rest_api.get_conversation, {"id": "abc"}, "id must be a positive whole number"),
			(rest_api.update_conversation_status, {"id": 58, "status": "closed"}, "status must be one of"),
			(rest_api.send_message, {"conversation_id": 58, "content": "  "}, "needs some text"),
			(rest_api.add_labels, {"id": 58, "labels": ""}, "at least one label"),
			(
				rest_api.assign_conversation,
				{"id": 58, "assignee": "nobody@example.com"},
				"is not a Chatwoot agent",
			),
		]:
			with self.subTest(method.__name__), self.assertRaises(frappe.ValidationError) as caught:
				method(**kwargs)
			self.assertIn(fragment, str(caught.exception))

	def test_chatwoot_failures_become_messages(self):
		with self.assertRaises(frappe.DoesNotExistError):
			rest_api.get_conversation(4242)
		self.mock.fail_next(429, times=10)
		with self.assertRaises(ChatwootUnavailableError) as caught:
			rest_api.get_contacts()
		self.assertIn("rate limiting", str(caught.exception))
		self.mock.faults.clear()
		self.configure(**ALL_FLAGS_ON, chatwoot_url=self.mock.url, api_access_token="wrong-token")
		with self.assertRaises(ChatwootRequestError) as caught:
			rest_api.get_conversations()
		self.assertIn("rejected the access token", str(caught.exception))
		self.configure(**ALL_FLAGS_ON, chatwoot_url="http://127.0.0.1:9", api_access_token="admin-token")
		with self.assertRaises(ChatwootUnavailableError) as caught:
			rest_api.get_conversations()
		self.assertIn("unreachable at http://127.0.0.1:9", str(caught.exception))

	def test_no_token_ever_comes_back(self):
		everything = frappe.as_json(
			[
				rest_api.get_conversations(status="all"),
				rest_api.get_conversation(58),
				rest_api.get_contacts(),
				rest_api.get_messages(58),
			]
		)
		for secret in ("admin-token", "agent-token", "pubsub_token", "access_token"):
			self.assertNotIn(secret, everything)


class TestTokenVerification(RestTestCase):
	def test_agent_id_comes_from_chatwoot_not_from_the_user(self):
		frappe.set_user(AGENT)
		token = frappe.get_doc(
			{
				"doctype": "Chatwoot User Token",
				"user": AGENT,
				"chatwoot_user_id": 1,
				"api_access_token": "agent-token",
			}
		).insert()
		self.assertEqual(token.chatwoot_user_id, 12)  # Sam, whose token it is; not Ada (1), as typed

	def test_a_token_chatwoot_rejects_is_refused(self):
		frappe.set_user(AGENT)
		with self.assertRaises(frappe.ValidationError) as caught:
			frappe.get_doc(
				{"doctype": "Chatwoot User Token", "user": AGENT, "api_access_token": "not-a-token"}
			).insert()
		self.assertIn("Chatwoot rejects this token", str(caught.exception))

	def test_unreachable_chatwoot_saves_without_an_agent(self):
		self.configure(**ALL_FLAGS_ON, chatwoot_url="http://127.0.0.1:9", api_access_token="admin-token")
		frappe.set_user(AGENT)
		token = frappe.get_doc(
			{
				"doctype": "Chatwoot User Token",
				"user": AGENT,
				"chatwoot_user_id": 12,
				"api_access_token": "agent-token",
			}
		).insert()
		self.assertFalse(token.chatwoot_user_id)


class TestAsOtherUsers(RestTestCase):
	def test_plain_user_is_refused(self):
		frappe.set_user(PLAIN_USER)
		for method, kwargs in [*READS, *WRITES]:
			with self.subTest(method.__name__), self.assertRaises(frappe.PermissionError):
				method(**kwargs)
		with self.assertRaises(frappe.PermissionError):
			rest_api.get_sync_metrics()

	def test_a_token_does_not_make_a_plain_user_a_chatwoot_user(self):
		token = frappe.get_doc(
			{"doctype": "Chatwoot User Token", "user": PLAIN_USER, "api_access_token": "agent-token"}
		)
		token.flags.ignore_validate = True
		token.insert(ignore_permissions=True)
		frappe.db.commit()
		frappe.set_user(PLAIN_USER)
		for method, kwargs in [*READS, *WRITES]:
			with self.subTest(method.__name__), self.assertRaises(frappe.PermissionError) as caught:
				method(**kwargs)
			self.assertIn("for System Managers and Chatwoot Agents", str(caught.exception))
		self.assertEqual(len(self.mock.requests), 0)

	def test_plain_users_cannot_store_a_chatwoot_token(self):
		frappe.set_user(PLAIN_USER)
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc(
				{"doctype": "Chatwoot User Token", "user": PLAIN_USER, "api_access_token": "agent-token"}
			).insert()

	def test_user_with_own_token_acts_as_their_agent(self):
		self.as_agent_with_own_token()
		reply = rest_api.send_message(58, "Sent by Sam himself")["data"]
		self.assertEqual(
			self.mock.messages[reply["id"]]["sender_id"], 12
		)  # the agent's own token, not the admin's
		self.assertEqual([c["id"] for c in rest_api.get_conversations()["data"]], [58])
		with self.assertRaises(frappe.PermissionError):
			rest_api.get_sync_metrics()
