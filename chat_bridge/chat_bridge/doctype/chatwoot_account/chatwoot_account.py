# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from chat_bridge.accounts import first_account_id
from chat_bridge.chatwoot.errors import ConfigurationError
from chat_bridge.chatwoot.urls import normalize_base_url
from chat_bridge.exceptions import IncompleteConfigurationError
from chat_bridge.settings_cache import clear_flags_cache
from chat_bridge.website import account_widget_inputs, refresh_widget_pages


class ChatwootAccount(Document):
	def validate(self):
		first = self.flags.first_account or self.account_id == first_account_id()
		if self.enabled and not self.api_access_token and not first:
			frappe.throw(
				_("Give Chatwoot account {0} an administrator's API Access Token to connect it.").format(
					self.account_id
				),
				IncompleteConfigurationError,
			)
		if self.chatwoot_url:
			try:
				self.chatwoot_url = normalize_base_url(self.chatwoot_url)
			except ConfigurationError as error:
				frappe.throw(_("Chatwoot URL: {0}").format(error), IncompleteConfigurationError)

	def on_update(self):
		# Every process keeps the webhook secrets it read until the settings' generation moves.
		frappe.db.after_commit.add(clear_flags_cache)
		before = self.get_doc_before_save()
		if before is None or account_widget_inputs(before) != account_widget_inputs(self):
			refresh_widget_pages()  # the pages carry the inbox each route showed

	def on_trash(self):
		frappe.db.after_commit.add(clear_flags_cache)
		if self.widget_website_token:
			refresh_widget_pages()
