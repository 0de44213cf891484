# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

import frappe
from frappe.model.document import Document

from chat_bridge.accounts import stamp_company


class ChatwootConversationMapping(Document):
	def validate(self):
		stamp_company(self)

	def on_communication_update(self, communication) -> None:
		"""A chat message filed under the conversation. Frappe would otherwise treat it as a
		document's email: load this mapping, stamp its modified time and announce it to every open
		form, on every message. The sync keeps the mapping's own message fields and tells the desk
		itself."""


def on_doctype_update():
	# Concurrent webhook jobs may try to map the same Chatwoot record at the same moment:
	# the database, not a lookup before insert, is what keeps it to one row.
	frappe.db.add_unique(
		"Chatwoot Conversation Mapping",
		["account_id", "chatwoot_conversation_id"],
		constraint_name="unique_chatwoot_conversation",
	)
