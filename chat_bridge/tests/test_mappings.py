import json
import random
import unittest

import frappe

from chat_bridge.chatwoot.events import ContactView
from chat_bridge.erpnext import has_erpnext
from chat_bridge.records.contacts import MAPPING_DOCTYPE, sync_contact
from chat_bridge.tests.utils import ACCOUNT_ID, PLAIN_USER, ChatBridgeTestCase, ensure_user


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


@unittest.skipUnless(has_erpnext(), "needs ERPNext")
class TestCustomerNamedInChatwoot(ChatBridgeTestCase):
	"""Any Chatwoot agent can type a contact's erpnext_customer: only what the bridge wrote is trusted."""

	def setUp(self):
		super().setUp()
		self.base = random.randint(100_000, 899_999)  # noqa: S311 -- test ids
		self.customer = frappe.get_doc(
			{"doctype": "Customer", "customer_name": f"Claimed {self.base}"}
		).insert(ignore_permissions=True)
		self.addCleanup(self.remove_customer)

	def remove_customer(self):
		frappe.db.rollback()
		frappe.db.delete("Dynamic Link", {"link_doctype": "Customer", "link_name": self.customer.name})
		frappe.delete_doc("Customer", self.customer.name, ignore_permissions=True, force=True)
		frappe.db.commit()

	def chatwoot_says(self, number: int, **custom_attributes) -> frappe._dict:
		contact = ContactView(
			id=self.base + number,
			name=f"Named Person {number}",
			email=f"named{self.base}-{number}@example.test",
			account_id=ACCOUNT_ID,
			custom_attributes=custom_attributes,
		)
		sync_contact(contact)
		return frappe.get_doc(MAPPING_DOCTYPE, {"account_id": ACCOUNT_ID, "chatwoot_contact_id": contact.id})

	def test_a_customer_an_agent_typed_waits_for_a_system_manager(self):
		mapping = self.chatwoot_says(1, erpnext_customer=self.customer.name)
		self.assertEqual((mapping.reference_name, mapping.claimed_customer), (None, self.customer.name))
		self.assertFalse(frappe.get_doc("Contact", mapping.contact).has_link("Customer", self.customer.name))

		ensure_user(PLAIN_USER, ("Sales User",))
		frappe.set_user(PLAIN_USER)
		with self.assertRaises(frappe.PermissionError):
			mapping.confirm_customer()
		frappe.set_user("Administrator")
		self.assertEqual(mapping.confirm_customer(), self.customer.name)
		mapping.reload()
		self.assertEqual((mapping.reference_name, mapping.claimed_customer), (self.customer.name, None))
		self.assertTrue(frappe.get_doc("Contact", mapping.contact).has_link("Customer", self.customer.name))

	def test_the_customer_the_bridge_wrote_is_linked(self):
		mapping = self.chatwoot_says(2)
		mapping.db_set("context_pushed", json.dumps({"erpnext_customer": self.customer.name}))
		mapping = self.chatwoot_says(2, erpnext_customer=self.customer.name)
		self.assertEqual(mapping.reference_name, self.customer.name)
		self.assertTrue(frappe.get_doc("Contact", mapping.contact).has_link("Customer", self.customer.name))

	def test_a_customer_the_contact_already_belongs_to_is_linked(self):
		mapping = self.chatwoot_says(3)
		contact = frappe.get_doc("Contact", mapping.contact)
		contact.append("links", {"link_doctype": "Customer", "link_name": self.customer.name})
		contact.save(ignore_permissions=True)
		mapping = self.chatwoot_says(
			3, erpnext_customer=self.customer.name
		)  # the widget's own identity says so
		self.assertEqual((mapping.reference_name, mapping.claimed_customer), (self.customer.name, None))
