import frappe

from chat_bridge.tests.utils import ChatBridgeTestCase


class TestMappingUniqueness(ChatBridgeTestCase):
	def insert(self, doctype: str, **values):
		return frappe.get_doc({"doctype": doctype, **values}).insert(ignore_permissions=True)

	def test_contact_mapping_is_unique_per_account_in_the_database(self):
		self.insert("Chatwoot Contact Mapping", account_id=9001, chatwoot_contact_id=1042)
		self.insert("Chatwoot Contact Mapping", account_id=9002, chatwoot_contact_id=1042)
		with self.assertRaises(frappe.UniqueValidationError):
			self.insert("Chatwoot Contact Mapping", account_id=9001, chatwoot_contact_id=1042)

	def test_conversation_mapping_is_unique_per_account_in_the_database(self):
		self.insert("Chatwoot Conversation Mapping", account_id=9001, chatwoot_conversation_id=58)
		with self.assertRaises(frappe.UniqueValidationError):
			self.insert("Chatwoot Conversation Mapping", account_id=9001, chatwoot_conversation_id=58)

	def test_the_guard_is_a_database_index(self):
		# Skipping Python entirely: a raw insert of the same pair must still fail.
		for doctype, column, constraint in (
			("Chatwoot Contact Mapping", "chatwoot_contact_id", "unique_chatwoot_contact"),
			("Chatwoot Conversation Mapping", "chatwoot_conversation_id", "unique_chatwoot_conversation"),
		):
			indexes = frappe.db.sql(
				f"SHOW INDEX FROM `tab{doctype}` WHERE Key_name = %s", constraint, as_dict=True
			)
			self.assertEqual({i.Column_name for i in indexes}, {"account_id", column})
			self.assertTrue(all(i.Non_unique == 0 for i in indexes))
