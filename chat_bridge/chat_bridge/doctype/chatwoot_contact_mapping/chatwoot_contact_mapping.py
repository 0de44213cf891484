# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from chat_bridge.accounts import stamp_company
from chat_bridge.permissions import require_chatwoot_admin
from chat_bridge.records.contacts import link_to_customer


class ChatwootContactMapping(Document):
	def validate(self):
		stamp_company(self)

	@frappe.whitelist()
	def confirm_customer(self) -> str:
		"""Link the Contact to the Customer an agent named in Chatwoot, as a System Manager decided."""
		require_chatwoot_admin()
		if not self.claimed_customer or not frappe.db.exists("Customer", self.claimed_customer):
			frappe.throw(_("There is no Customer named in Chatwoot to confirm."))
		if self.reference_name:
			frappe.throw(
				_("This contact already belongs to {0} {1}.").format(
					_(self.reference_doctype), self.reference_name
				)
			)
		link_to_customer(self, self.claimed_customer)
		self.save()
		return self.reference_name


def on_doctype_update():
	# Concurrent webhook jobs may try to map the same Chatwoot record at the same moment:
	# the database, not a lookup before insert, is what keeps it to one row.
	frappe.db.add_unique(
		"Chatwoot Contact Mapping",
		["account_id", "chatwoot_contact_id"],
		constraint_name="unique_chatwoot_contact",
	)
