# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

from frappe.model.document import Document

from chat_bridge.documents.notify import forget_notified_doctypes, validate_notification


class ChatwootNotification(Document):
	def validate(self):
		validate_notification(self)

	def on_update(self):
		forget_notified_doctypes()

	def on_trash(self):
		forget_notified_doctypes()
