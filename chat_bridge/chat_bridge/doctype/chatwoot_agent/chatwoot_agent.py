# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

from frappe.model.document import Document

from chat_bridge.accounts import stamp_company


class ChatwootAgent(Document):
	"""An ERPNext user's progress as a Chatwoot agent: written by chat_bridge.provisioning.agents."""

	def validate(self):
		stamp_company(self)
