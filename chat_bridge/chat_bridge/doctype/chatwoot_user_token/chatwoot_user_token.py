# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from chat_bridge.permissions import is_chatwoot_admin


class ChatwootUserToken(Document):
	def validate(self):
		# The permission hook already refuses this; checked again here because a token stored
		# under someone else's name would let its owner act in Chatwoot as that person.
		if self.user != frappe.session.user and not is_chatwoot_admin():
			frappe.throw(_("You can only store your own Chatwoot token."), frappe.PermissionError)
