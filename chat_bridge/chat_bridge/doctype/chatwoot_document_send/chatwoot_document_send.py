# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

from frappe.model.document import Document


class ChatwootDocumentSend(Document):
	pass
