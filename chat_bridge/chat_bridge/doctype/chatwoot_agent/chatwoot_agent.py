# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

import frappe
from frappe.model.document import Document

from chat_bridge.accounts import stamp_company


class ChatwootAgent(Document):
	"""An ERPNext user's progress as an agent of one Chatwoot account (a user may be an agent of
	several): written by chat_bridge.provisioning.agents."""

	def validate(self):
		stamp_company(self)


def on_doctype_update():
	# One record per user and account; a second provisioning run finds and finishes the first.
	frappe.db.add_unique("Chatwoot Agent", ["user", "account_id"])
