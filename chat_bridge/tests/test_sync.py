"""The sync handlers end to end: a recorded delivery, processed, becomes the right ERPNext records."""

import frappe

from chat_bridge.erpnext import has_erpnext
from chat_bridge.records.conversations import MAPPING_DOCTYPE
from chat_bridge.tests.story import ACCOUNT_ID, Story
from chat_bridge.tests.utils import (
	ALL_FLAGS_ON,
	OTHER_USER,
	PLAIN_USER,
	ChatBridgeTestCase,
	ensure_agent_token,
	ensure_user,
	run_concurrently,
)
from chat_bridge.webhook.log import EVENT_DOCTYPE, insert_event
from chat_bridge.webhook.processing import process_event

AGENT_USER = "ravi.kumar@erp.example"


class SyncTestCase(ChatBridgeTestCase):
	flags = ALL_FLAGS_ON

	def setUp(self):
		super().setUp()
		self.configure(**self.flags)
		self.story = Story()
		self.addCleanup(self.story.clean_up)

	def deliver(self, example_name: str, **top_level) -> str:
		status = self.story.deliver(self.story.payload(example_name, **top_level))
		self.assertIn(status, ("Processed", "Ignored"), self.story.event_error())
		return status


class TestContacts(SyncTestCase):
	def test_contact_created_makes_a_contact_and_its_mapping(self):
		self.assertEqual(self.deliver("contact_created"), "Processed")
		[name] = self.story.contacts()
		contact = frappe.get_doc("Contact", name)
		self.assertEqual((contact.first_name, contact.last_name), ("Jane", "Doe"))
		self.assertEqual(contact.email_id, self.story.email)
		self.assertEqual([p.phone for p in contact.phone_nos], [self.story.phone])
		self.assertEqual(contact.company_name, "Doe Trading LLC")
		mapping = self.story.contact_mapping()
		self.assertEqual((mapping.contact, mapping.sync_direction), (name, "Both"))
		self.assertIsNotNone(mapping.last_synced)

	def test_same_contact_twice_is_one_contact(self):
		self.deliver("contact_created")
		self.deliver("contact_created")
		self.assertEqual(len(self.story.contacts()), 1)

	def test_existing_contact_is_found_by_email_in_another_case(self):
		existing = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Jane",
				"email_ids": [{"email_id": self.story.email.upper(), "is_primary": 1}],
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.deliver("contact_created")
		self.assertEqual(self.story.contact_mapping().contact, existing.name)
		self.assertEqual(self.story.contacts(), [existing.name])

	def test_existing_contact_is_found_by_phone_in_another_format(self):
		digits = self.story.phone[2:]
		formatted = f"+1 ({digits[:3]}) {digits[3:6]}-{digits[6:]}"
		existing = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Janet",
				"phone_nos": [{"phone": formatted, "is_primary_phone": 1}],
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.addCleanup(frappe.delete_doc, "Contact", existing.name, ignore_permissions=True, force=True)
		self.deliver("contact_created", email=None)
		self.assertEqual(self.story.contact_mapping().contact, existing.name)

	def test_contact_without_email_or_phone_is_fine(self):
		self.deliver("contact_created", email=None, phone_number=None, name="Walk-in Visitor")
		contact = frappe.get_doc("Contact", self.story.contact_mapping().contact)
		self.assertEqual((contact.first_name, contact.email_ids, contact.phone_nos), ("Walk-in", [], []))
		frappe.delete_doc("Contact", contact.name, ignore_permissions=True, force=True)

	def test_noise_only_update_is_ignored(self):
		self.deliver("contact_created")
		self.assertEqual(self.deliver("contact_updated"), "Ignored")  # only custom_attributes changed

	def test_rename_is_written(self):
		self.deliver("contact_created")
		self.deliver(
			"contact_updated",
			name="Janet Smith",
			changed_attributes=[{"name": {"previous_value": "Jane Doe", "current_value": "Janet Smith"}}],
		)
		contact = frappe.get_doc("Contact", self.story.contact_mapping().contact)
		self.assertEqual((contact.first_name, contact.last_name), ("Janet", "Smith"))

	def test_direction_erpnext_to_chatwoot_keeps_erpnext_values(self):
		self.deliver("contact_created")
		mapping = self.story.contact_mapping()
		mapping.db_set("sync_direction", "ERPNext to Chatwoot")
		frappe.db.commit()
		self.deliver(
			"contact_updated",
			name="Other Name",
			changed_attributes=[{"name": {"previous_value": "Jane Doe", "current_value": "Other Name"}}],
		)
		self.assertEqual(frappe.db.get_value("Contact", mapping.contact, "first_name"), "Jane")

	def test_contact_sync_off_ignores_contact_events(self):
		self.configure(**{**ALL_FLAGS_ON, "enable_contact_sync": 0})
		self.assertEqual(self.deliver("contact_created"), "Ignored")
		self.assertEqual(self.story.contacts(), [])


class TestConversations(SyncTestCase):
	def setUp(self):
		super().setUp()
		self.agent = ensure_agent_token(AGENT_USER, 12)

	def test_conversation_before_its_contact_creates_the_contact(self):
		self.deliver("conversation_created")
		mapping = self.story.conversation_mapping()
		self.assertEqual(mapping.status, "open")
		self.assertEqual(mapping.inbox_id, 7)
		self.assertEqual(self.story.contacts(), [mapping.contact])
		self.assertEqual(self.story.contact_mapping().contact, mapping.contact)

	def test_assignment_opens_a_todo_and_resolving_closes_it(self):
		self.deliver("conversation_created")
		self.deliver("conversation_updated")
		mapping = self.story.conversation_mapping()
		self.assertEqual((mapping.assignee, mapping.chatwoot_assignee_id), (self.agent, 12))
		[todo] = self.story.todos("Open")
		self.assertEqual(
			(todo.allocated_to, todo.reference_type, todo.reference_name),
			(self.agent, "Contact", mapping.contact),
		)

		self.deliver("conversation_status_changed")
		self.assertEqual(self.story.conversation_mapping().status, "resolved")
		self.assertEqual(self.story.todos("Open"), [])
		self.assertEqual([t.status for t in self.story.todos()], ["Closed"])

	def test_reassignment_moves_the_todo(self):
		other = ensure_agent_token("other.agent@erp.example", 99)
		self.deliver("conversation_updated")
		payload = self.story.payload("conversation_updated")
		payload["meta"]["assignee"] = {"id": 99, "name": "Other Agent", "type": "user"}
		payload["updated_at"] += 60
		self.story.deliver(payload)
		self.assertEqual([t.allocated_to for t in self.story.todos("Open")], [other])
		self.assertEqual([t.allocated_to for t in self.story.todos("Cancelled")], [self.agent])

	def test_a_contact_deleted_behind_the_mapping_is_linked_again(self):
		self.deliver("conversation_created")
		frappe.delete_doc(
			"Contact", self.story.conversation_mapping().contact, force=True
		)  # skips link checks
		frappe.db.commit()
		self.assertEqual(self.deliver("message_created_incoming"), "Processed")
		self.assertEqual(self.deliver("conversation_updated"), "Processed")
		mapping = self.story.conversation_mapping()
		self.assertTrue(frappe.db.exists("Contact", mapping.contact))
		self.assertEqual(self.story.contact_mapping().contact, mapping.contact)

	def test_an_older_update_arriving_late_does_not_win(self):
		self.deliver("conversation_status_changed")  # resolved, newer
		self.deliver("conversation_updated")  # open, older
		self.assertEqual(self.story.conversation_mapping().status, "resolved")

	def test_labels_priority_and_team(self):
		self.deliver(
			"conversation_updated",
			labels=["vip", "billing"],
			priority="high",
			meta={**self.story.payload("conversation_updated")["meta"], "team": {"id": 4, "name": "Sales"}},
		)
		mapping = self.story.conversation_mapping()
		self.assertEqual(
			(mapping.labels, mapping.priority, mapping.team, mapping.chatwoot_team_id),
			("vip, billing", "high", "Sales", 4),
		)


class TestTimingOfConversationsSyncedBefore(SyncTestCase):
	def test_the_patch_fills_timing_from_the_newest_delivery_in_the_log(self):
		from chat_bridge.patches import fill_conversation_timing

		self.deliver("conversation_created")
		self.deliver("conversation_status_changed")  # resolved, newer
		timing = ("chatwoot_created_at", "first_reply_at", "waiting_since", "resolved_at")
		synced = frappe.db.get_value(
			"Chatwoot Conversation Mapping", self.story.conversation_mapping().name, timing, as_dict=True
		)
		self.assertIsNotNone(synced.chatwoot_created_at)
		self.assertIsNotNone(synced.resolved_at)
		name = self.story.conversation_mapping().name
		frappe.db.set_value("Chatwoot Conversation Mapping", name, dict.fromkeys(timing))  # as before
		fill_conversation_timing.execute()
		self.assertEqual(
			frappe.db.get_value("Chatwoot Conversation Mapping", name, timing, as_dict=True), synced
		)


class TestMessages(SyncTestCase):
	def test_incoming_message_is_one_received_communication(self):
		self.deliver("message_created_incoming")
		[name] = self.story.communications()
		communication = frappe.get_doc("Communication", name)
		mapping = self.story.conversation_mapping()
		self.assertEqual(
			(communication.communication_medium, communication.sent_or_received, communication.sender),
			("Chat", "Received", self.story.email),
		)
		self.assertEqual(
			(communication.reference_doctype, communication.reference_name),
			("Chatwoot Conversation Mapping", mapping.name),
		)
		self.assertIn(
			("Contact", mapping.contact),
			[(link.link_doctype, link.link_name) for link in communication.timeline_links],
		)
		self.assertIn("SO-0042", communication.content)
		self.assertEqual(mapping.last_message_id, self.story.message_id(0))

	def test_same_message_ten_times_in_a_row_is_one_communication(self):
		for _ in range(10):
			self.deliver("message_created_incoming")
		self.assertEqual(len(self.story.communications()), 1)
		self.assertEqual(len(self.story.contacts()), 1)

	def test_same_message_ten_times_at_once_is_one_communication(self):
		names = [
			insert_event(
				{
					"delivery_id": f"story-{self.story.base}-{n}",
					"event": "message_created",
					"account_id": ACCOUNT_ID,
					"received_at": frappe.utils.now_datetime(),
					"payload": frappe.as_json(self.story.payload("message_created_incoming")),
					"status": "Queued",
				}
			)
			for n in range(10)
		]
		frappe.db.commit()
		outcomes = run_concurrently([lambda n=name: process_event(n) for name in names])
		self.assertEqual(
			outcomes,
			["Processed"] * 10,
			frappe.get_all(EVENT_DOCTYPE, filters={"name": ("in", names)}, pluck="error"),
		)
		frappe.db.rollback()  # see what the other connections committed
		self.assertEqual(len(self.story.communications()), 1)
		self.assertEqual(len(self.story.contacts()), 1)
		self.assertEqual(
			frappe.db.count(
				"Chatwoot Conversation Mapping", {"chatwoot_conversation_id": self.story.conversation_id}
			),
			1,
		)

	def test_message_before_its_conversation_is_linked_right(self):
		self.deliver("message_created_incoming")
		mapping = self.story.conversation_mapping()
		self.assertIsNotNone(mapping)
		self.assertEqual(mapping.contact, self.story.contact_mapping().contact)
		self.deliver("conversation_created")
		self.assertEqual(self.story.conversation_mapping().name, mapping.name)

	def test_private_note_becomes_a_comment_never_a_communication(self):
		self.deliver("message_created_private_note")
		self.assertEqual(self.story.communications(), [])
		[name] = self.story.comments()
		comment = frappe.get_doc("Comment", name)
		self.assertEqual(
			(comment.comment_type, comment.reference_doctype, comment.reference_name),
			("Comment", "Chatwoot Conversation Mapping", self.story.conversation_mapping().name),
		)
		self.assertIn("Gold customer", comment.content)

	def test_a_private_note_is_read_by_the_support_team_only(self):
		"""A Sales User reads the Contact and its chat messages, not the agents' notes."""
		from frappe.desk.form.load import get_docinfo

		self.deliver("message_created_incoming")
		self.deliver("message_created_private_note")
		contact = self.story.contact_mapping().contact
		mapping = self.story.conversation_mapping().name
		[note] = self.story.comments()
		ensure_user(PLAIN_USER, ("Sales User",))
		ensure_user(OTHER_USER, ("Website Manager",))  # reads every Comment through Frappe's REST API
		ensure_user(AGENT_USER, ("Chatwoot Agent",))

		def timeline(user, doctype, name) -> dict:
			frappe.set_user(user)
			try:
				get_docinfo(frappe.get_doc(doctype, name))
				return frappe.response["docinfo"]
			finally:
				frappe.set_user("Administrator")

		seen = timeline(PLAIN_USER, "Contact", contact)
		self.assertEqual([c.name for c in seen.comments], [])
		self.assertEqual(seen.additional_timeline_content, [])
		self.assertEqual(len(seen.communications), 1)  # the customer's message, as an e-mail would be
		remark = frappe.get_doc("Contact", contact).add_comment("Comment", "Prefers e-mail")
		self.addCleanup(frappe.delete_doc, "Comment", remark.name, force=True)
		frappe.set_user(OTHER_USER)
		try:
			listed = frappe.get_list("Comment", pluck="name", limit=0)
		finally:
			frappe.set_user("Administrator")
		self.assertIn(remark.name, listed)  # the Website Manager's Comments, without the note
		self.assertNotIn(note, listed)
		for user in (PLAIN_USER, OTHER_USER):
			frappe.set_user(user)
			try:
				self.assertFalse(frappe.has_permission("Comment", doc=note))
				self.assertFalse(frappe.has_permission(MAPPING_DOCTYPE, "read", mapping))
			finally:
				frappe.set_user("Administrator")
		self.assertEqual([c.name for c in timeline(AGENT_USER, MAPPING_DOCTYPE, mapping).comments], [note])
		[shown] = timeline(AGENT_USER, "Contact", contact).additional_timeline_content
		self.assertIn("Gold customer", shown["content"])

	def test_agent_reply_is_sent(self):
		self.deliver("message_created_outgoing")
		communication = frappe.get_doc("Communication", self.story.communications()[0])
		self.assertEqual(
			(communication.sent_or_received, communication.sender_full_name), ("Sent", "Ravi Kumar")
		)

	def test_message_updated_updates_the_same_record(self):
		self.deliver("message_created_incoming")
		self.deliver(
			"message_created_incoming", event="message_updated", content="Edited: when will SO-0042 ship?"
		)
		[name] = self.story.communications()
		self.assertIn("Edited:", frappe.db.get_value("Communication", name, "content"))

	def test_html_in_a_message_is_escaped(self):
		self.deliver("message_created_incoming", content='<img src=x onerror="alert(1)">hi')
		content = frappe.db.get_value("Communication", self.story.communications()[0], "content")
		self.assertNotIn("<img", content)

	def test_attachments_are_links_and_nothing_is_downloaded(self):
		attachment = {
			"id": 5,
			"file_type": "image",
			"data_url": "https://chat.example.com/rails/active_storage/x.png",
			"extension": "png",
		}
		self.deliver("message_created_incoming", attachments=[attachment])
		content = frappe.db.get_value("Communication", self.story.communications()[0], "content")
		self.assertIn('href="https://chat.example.com/rails/active_storage/x.png"', content)
		self.assertFalse(frappe.db.exists("File", {"file_url": attachment["data_url"]}))


class TestIssues(SyncTestCase):
	flags = {**ALL_FLAGS_ON, "issue_creation": "Every new conversation"}

	def test_issue_follows_the_conversation_when_erpnext_is_installed(self):
		if not has_erpnext():
			self.skipTest("ERPNext is not installed on this site")
		self.deliver("conversation_created")
		mapping = self.story.conversation_mapping()
		self.assertEqual(mapping.reference_doctype, "Issue")
		issue = frappe.get_doc("Issue", mapping.reference_name)
		self.assertEqual((issue.status, issue.contact), ("Open", mapping.contact))
		self.deliver("conversation_status_changed")
		self.assertEqual(frappe.db.get_value("Issue", issue.name, "status"), "Resolved")
		reopened = self.story.payload("conversation_updated", status="open")
		reopened["updated_at"] = self.story.payload("conversation_status_changed")["updated_at"] + 60
		self.story.deliver(reopened)
		self.assertEqual(frappe.db.get_value("Issue", issue.name, "status"), "Open")
		self.deliver("message_created_incoming")
		self.assertEqual(
			frappe.db.get_value("Communication", self.story.communications()[0], "reference_doctype"), "Issue"
		)

	def test_without_erpnext_the_setting_changes_nothing(self):
		if has_erpnext():
			self.skipTest("ERPNext is installed on this site")
		self.assertEqual(self.deliver("conversation_created"), "Processed")
		self.assertFalse(self.story.conversation_mapping().reference_doctype)
