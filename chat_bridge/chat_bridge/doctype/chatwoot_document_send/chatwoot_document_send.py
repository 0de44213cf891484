# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

from frappe.model.document import Document

from chat_bridge.accounts import stamp_company


class ChatwootDocumentSend(Document):
	def validate(self):
		stamp_company(self)
