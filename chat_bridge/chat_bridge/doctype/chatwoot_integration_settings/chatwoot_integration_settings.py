# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from chat_bridge.accounts import ensure_account_record
from chat_bridge.chatwoot.errors import ConfigurationError
from chat_bridge.chatwoot.urls import normalize_base_url
from chat_bridge.exceptions import IncompleteConfigurationError
from chat_bridge.features import Feature, configuration_problems, is_enabled
from chat_bridge.settings import sync_workspace_visibility
from chat_bridge.settings_cache import on_settings_saved
from chat_bridge.webhook.processing import wake_processing
from chat_bridge.website import refresh_widget_pages, widget_inputs


class ChatwootIntegrationSettings(Document):
	def validate(self):
		self.normalize_chatwoot_url()
		problems = configuration_problems(self.as_dict(), f"bench --site {frappe.local.site}")
		if problems:
			frappe.throw(
				problems,
				IncompleteConfigurationError,
				title=_("Chatwoot Integration Settings not saved"),
				as_list=True,
			)

	def normalize_chatwoot_url(self):
		if not self.chatwoot_url:
			return
		try:
			self.chatwoot_url = normalize_base_url(self.chatwoot_url)
		except ConfigurationError:
			pass  # reported, with everything else that is wrong, by configuration_problems()

	def on_update(self):
		on_settings_saved(self)
		sync_workspace_visibility()
		if self.account_id:
			ensure_account_record(self.account_id)  # where the first account's Company is kept
		before = self.get_doc_before_save()
		if is_enabled(self.as_dict(), Feature.SYNC) and not (
			before and is_enabled(before.as_dict(), Feature.SYNC)
		):
			wake_processing()  # for the events that waited, Queued, while sync was off
		if before is None or widget_inputs(before) != widget_inputs(self):
			refresh_widget_pages()
