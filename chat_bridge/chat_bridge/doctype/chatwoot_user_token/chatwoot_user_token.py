# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from chat_bridge.chatwoot.errors import AuthenticationError, ChatwootError, describe_for_user
from chat_bridge.clients import INTERACTIVE_RETRY, token_client
from chat_bridge.features import MASTER_FLAG
from chat_bridge.permissions import is_chatwoot_admin
from chat_bridge.provisioning.agents import link_accepted_invitation
from chat_bridge.settings import get_flags, get_settings


class ChatwootUserToken(Document):
	def on_update(self):
		link_accepted_invitation(self)

	def validate(self):
		# The permission hook already refuses this; checked again here because a token stored
		# under someone else's name would let its owner act in Chatwoot as that person.
		if self.user != frappe.session.user and not is_chatwoot_admin():
			frappe.throw(_("You can only store your own Chatwoot token."), frappe.PermissionError)
		if self.api_access_token and not self.is_dummy_password(self.api_access_token):
			self.chatwoot_user_id = self.agent_id_from_chatwoot()

	def agent_id_from_chatwoot(self) -> int | None:
		"""Which Chatwoot agent the new token belongs to, asked of Chatwoot itself.

		The agent id decides whose assignments become this user's ToDos, so it is never taken from
		what the user typed: an unverified token gets no agent id until it is saved again.
		"""
		settings = get_settings()
		if not (get_flags().get(MASTER_FLAG) and settings.chatwoot_url and settings.account_id):
			frappe.msgprint(
				_("Saved. The token will be checked with Chatwoot once the integration is switched on.")
			)
			return None
		account_id = self.account_id or settings.account_id
		api = token_client(self.api_access_token, account_id, retry=INTERACTIVE_RETRY)
		try:
			profile = api.get_profile()
		except AuthenticationError:
			frappe.throw(
				_(
					"Chatwoot rejects this token: copy it again from Chatwoot → Profile Settings → Access Token."
				)
			)
		except ChatwootError as error:
			frappe.msgprint(
				_("Saved, but not verified: {0}").format(describe_for_user(error, settings.chatwoot_url)[1]),
				indicator="orange",
			)
			return None
		if not any(str(a.get("id")) == str(account_id) for a in profile.get("accounts") or []):
			frappe.throw(
				_(
					"This token's Chatwoot user ({0}) is not a member of account {1}: add them to the account in Chatwoot, or use their token for it."
				).format(profile.get("email") or profile.get("id"), account_id)
			)
		return profile.get("id")
