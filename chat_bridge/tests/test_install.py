import frappe

from chat_bridge.install import CHAT_MESSAGES_INDEX, CONTACT_EMAILS_INDEX, MODULE, before_uninstall
from chat_bridge.settings import SETTINGS_DOCTYPE
from chat_bridge.tests.utils import ChatBridgeTestCase, ensure_user

EXPECTED_DOCTYPES = {
	"Chatwoot Integration Settings",
	"Chatwoot User Token",
	"Chatwoot Contact Mapping",
	"Chatwoot Conversation Mapping",
	"Chatwoot Webhook Event",
	"Chatwoot Account",
	"Chatwoot Account User",
}


class TestInstall(ChatBridgeTestCase):
	def test_module_and_doctypes_are_installed(self):
		self.assertEqual(frappe.db.get_value("Module Def", MODULE, "app_name"), "chat_bridge")
		installed = set(frappe.get_all("DocType", filters={"module": MODULE}, pluck="name"))
		self.assertLessEqual(EXPECTED_DOCTYPES, installed)

	def test_the_support_reports_index_is_on_communications(self):
		self.assertTrue(frappe.db.has_index("tabCommunication", CHAT_MESSAGES_INDEX))

	def test_chat_messages_synced_before_know_their_agent_after_the_upgrade(self):
		from chat_bridge.patches.attribute_chat_messages_to_agents import execute

		self.assertTrue(frappe.db.has_column("Communication", "chatwoot_sender_id"))
		ensure_user("kept.agent@example.test", ("Chatwoot Agent",))
		token = frappe.get_doc(
			{
				"doctype": "Chatwoot User Token",
				"user": "kept.agent@example.test",
				"api_access_token": "kept-token",
			}
		).insert(ignore_permissions=True)
		self.addCleanup(frappe.delete_doc, "Chatwoot User Token", token.name, force=True)
		token.db_set("chatwoot_user_id", 4321)  # as Chatwoot would have said when it was saved
		names = []
		for number, sender in enumerate(("kept.agent@example.test", "no.user@example.test")):
			message = frappe.get_doc(
				{
					"doctype": "Communication",
					"communication_type": "Communication",
					"communication_medium": "Chat",
					"sent_or_received": "Sent",
					"subject": "Chatwoot conversation",
					"content": "Before the upgrade",
					"sender": sender,
				}
			).insert(ignore_permissions=True, set_name=f"CW-987654-{number}")
			names.append(message.name)
			self.addCleanup(frappe.delete_doc, "Communication", message.name, force=True)
		execute()
		self.assertEqual(
			[frappe.db.get_value("Communication", name, "chatwoot_sender_id") for name in names], [4321, 0]
		)

	def test_private_notes_synced_before_move_to_their_conversations(self):
		from chat_bridge.patches.move_private_notes_to_conversations import execute

		contact = frappe.get_doc({"doctype": "Contact", "first_name": "Noted"}).insert(
			ignore_permissions=True
		)
		self.addCleanup(frappe.delete_doc, "Contact", contact.name, force=True)
		mapping = frappe.get_doc(
			{
				"doctype": "Chatwoot Conversation Mapping",
				"account_id": 987654,
				"chatwoot_conversation_id": 77,
				"contact": contact.name,
			}
		).insert(ignore_permissions=True)
		self.addCleanup(frappe.delete_doc, "Chatwoot Conversation Mapping", mapping.name, force=True)
		note = frappe.get_doc(
			{
				"doctype": "Comment",
				"comment_type": "Comment",
				"reference_doctype": "Contact",
				"reference_name": contact.name,
				"content": "<p><strong>Nota de Chatwoot</strong> (conversación #77)</p><p>Cliente VIP</p>",
			}
		).insert(ignore_permissions=True, set_name="CW-987654-5")
		self.addCleanup(frappe.delete_doc, "Comment", note.name, force=True)
		execute()
		self.assertEqual(
			frappe.db.get_value("Comment", note.name, ["reference_doctype", "reference_name"]),
			("Chatwoot Conversation Mapping", mapping.name),
		)

	def test_contacts_are_found_by_email_through_an_index(self):
		self.assertTrue(frappe.db.has_index("tabContact Email", CONTACT_EMAILS_INDEX))
		plan = frappe.db.sql(
			"explain select parent from `tabContact Email` where email_id = %s",
			"jane@example.com",
			as_dict=True,
		)
		self.assertIn(CONTACT_EMAILS_INDEX, plan[0].possible_keys or "")

	def test_erpnext_is_not_required(self):
		from chat_bridge import hooks

		self.assertNotIn("erpnext", hooks.required_apps)

	def test_before_uninstall_removes_stored_secrets_and_settings(self):
		self.configure()
		jobs = app_job_count()
		self.assertTrue(count_rows("__Auth", SETTINGS_DOCTYPE))
		# Registered after configure(), so it runs before the settings are restored (and committed):
		# what before_uninstall deleted must come back. Uninstall proper is checked on a scratch site.
		self.addCleanup(lambda: self.assertEqual(app_job_count(), jobs, "the app's scheduled jobs are gone"))
		self.addCleanup(frappe.db.rollback)
		before_uninstall()
		self.assertEqual(count_rows("__Auth", SETTINGS_DOCTYPE), 0)
		self.assertEqual(count_rows("tabSingles", SETTINGS_DOCTYPE), 0)
		self.assertFalse(frappe.db.exists("Scheduled Job Type", {"method": ("like", "chat_bridge.%")}))


def app_job_count() -> int:
	return frappe.db.count("Scheduled Job Type", {"method": ("like", "chat_bridge.%")})


def count_rows(table: str, doctype: str) -> int:
	return frappe.db.sql(f"select count(*) from `{table}` where doctype = %s", doctype)[0][0]
