"""The JSON shapes Chatwoot answers and posts: its jbuilder views and its models' `*_data` methods.

REST answers and webhook payloads are not the same shape. A REST conversation (the
`_conversation` partial) has `uuid`, `muted`, `last_non_activity_message` and a `meta.sender`
without a `type`; the webhook's (`Conversations::EventDataPresenter`) has `contact_inbox`,
`channel` and `account` instead, and its `meta.sender` says `type: contact`. A REST message (the
`_message` partial) has a dozen keys; a message inside a conversation has all its columns
(`push_event_data`); a message event's top level says `message_type` in words.
"""

import re

from tests.mock_chatwoot_api.state import MESSAGE_TYPE_NAMES, iso


def epoch(value: float | None) -> int:
	"""`.to_i` of a time: 0 for none."""
	return int(value) if value else 0


def webhook_text(text: str | None) -> str | None:
	"""Messages::WebhookContentNormalizer: an editor's backslash-newline breaks become newlines and
	trailing newlines go (app/services/messages/webhook_content_normalizer.rb:6-10)."""
	if not text or not text.strip():
		return text
	return re.sub(r"(\r?\n)+\Z", "", re.sub(r"\\\r?\n", "\n", text), count=1)


class Presenters:
	def __init__(self, state):
		self.state = state

	# Accounts, users, bots

	def account_webhook(self, account_id: int) -> dict:
		account = self.state.accounts[account_id]
		return {"id": account["id"], "name": account["name"]}

	def account_rest(self, account: dict) -> dict:
		return {
			"settings": {},
			"created_at": iso(account["created_at"]),
			"custom_attributes": account["custom_attributes"],
			"domain": account["domain"],
			"features": account["features"],
			"id": account["id"],
			"locale": account["locale"],
			"name": account["name"],
			"support_email": account["support_email"],
			"status": account["status"],
			"cache_keys": {},
			"latest_chatwoot_version": "4.15.1",
		}

	def agent(self, user: dict, account_id: int) -> dict:
		"""The `_agent` partial."""
		membership = user["accounts"].get(account_id) or {}
		answer = {
			"id": user["id"],
			"account_id": account_id,
			"availability_status": membership.get("availability", "offline"),
			"auto_offline": membership.get("auto_offline", True),
			"confirmed": user["confirmed"],
			"email": user["email"],
			"provider": "email",
			"available_name": user["display_name"] or user["name"],
			"name": user["name"],
			"role": membership.get("role"),
			"thumbnail": "",
			"custom_role_id": None,
		}
		if user["custom_attributes"]:
			answer["custom_attributes"] = user["custom_attributes"]
		return answer

	def user_push(self, user: dict) -> dict:
		return {
			"id": user["id"],
			"name": user["name"],
			"available_name": user["display_name"] or user["name"],
			"avatar_url": "",
			"type": "user",
			"availability_status": "offline",
			"thumbnail": "",
		}

	def user_webhook(self, user: dict) -> dict:
		return {"id": user["id"], "name": user["name"], "email": user["email"], "type": "user"}

	def bot_push(self, bot: dict) -> dict:
		return {"id": bot["id"], "name": bot["name"], "avatar_url": "", "type": "agent_bot"}

	def bot_webhook(self, bot: dict) -> dict:
		return {"id": bot["id"], "name": bot["name"], "type": "agent_bot"}

	def bot_slim(self, bot: dict) -> dict:
		"""The `_agent_bot_slim` partial: no `type`."""
		return {
			"id": bot["id"],
			"name": bot["name"],
			"description": bot.get("description"),
			"thumbnail": "",
			"outgoing_url": bot.get("outgoing_url"),
			"bot_type": "webhook",
		}

	def team(self, team: dict, viewer: dict | None = None) -> dict:
		return {
			"id": team["id"],
			"name": team["name"],
			"description": team.get("description"),
			"allow_auto_assign": team["allow_auto_assign"],
			"account_id": team["account_id"],
			"is_member": bool(viewer and viewer["id"] in team["member_ids"]),
		}

	def team_record(self, team: dict) -> dict:
		"""`render json: @team`: the row itself."""
		return {
			"id": team["id"],
			"name": team["name"],
			"description": team.get("description"),
			"allow_auto_assign": team["allow_auto_assign"],
			"account_id": team["account_id"],
			"created_at": iso(self.state.clock()),
			"updated_at": iso(self.state.clock()),
		}

	# Contacts

	def contact_rest(self, contact: dict, with_contact_inboxes: bool = False) -> dict:
		"""The `_contact` partial (`last_activity_at` only when set)."""
		answer = {
			"additional_attributes": contact["additional_attributes"],
			"availability_status": "offline",
			"email": contact["email"],
			"id": contact["id"],
			"name": contact["name"],
			"phone_number": contact["phone_number"],
			"blocked": contact["blocked"],
			"identifier": contact["identifier"],
			"thumbnail": contact["avatar_url"],
			"custom_attributes": contact["custom_attributes"],
		}
		if contact["last_activity_at"]:
			answer["last_activity_at"] = int(contact["last_activity_at"])
		answer["created_at"] = int(contact["created_at"])
		if with_contact_inboxes:
			answer["contact_inboxes"] = [
				{"source_id": ci["source_id"], "inbox": self.inbox_slim(self.state.inboxes[ci["inbox_id"]])}
				for ci in self.state.contact_inboxes.values()
				if ci["contact_id"] == contact["id"]
			]
		return answer

	def contact_push(self, contact: dict) -> dict:
		return {
			"additional_attributes": contact["additional_attributes"],
			"custom_attributes": contact["custom_attributes"],
			"email": contact["email"],
			"id": contact["id"],
			"identifier": contact["identifier"],
			"name": contact["name"],
			"phone_number": contact["phone_number"],
			"thumbnail": contact["avatar_url"],
			"blocked": contact["blocked"],
			"type": "contact",
		}

	def contact_webhook(self, contact: dict) -> dict:
		return {
			"account": self.account_webhook(contact["account_id"]),
			"additional_attributes": contact["additional_attributes"],
			"avatar": contact["avatar_url"],
			"custom_attributes": contact["custom_attributes"],
			"email": contact["email"],
			"id": contact["id"],
			"identifier": contact["identifier"],
			"name": contact["name"],
			"phone_number": contact["phone_number"],
			"thumbnail": contact["avatar_url"],
			"blocked": contact["blocked"],
		}

	def contact_inbox_row(self, contact_inbox: dict) -> dict:
		return {
			"id": contact_inbox["id"],
			"contact_id": contact_inbox["contact_id"],
			"inbox_id": contact_inbox["inbox_id"],
			"source_id": contact_inbox["source_id"],
			"created_at": iso(contact_inbox["created_at"]),
			"updated_at": iso(contact_inbox["updated_at"]),
			"hmac_verified": contact_inbox["hmac_verified"],
			"pubsub_token": contact_inbox["pubsub_token"],
		}

	# Inboxes

	def inbox_row(self, inbox: dict) -> dict:
		"""An Inbox record as `to_json` gives it: the inboxes table's columns, no channel's
		(db/schema.rb:886-912)."""
		return {
			"id": inbox["id"],
			"channel_id": inbox["id"],
			"account_id": inbox["account_id"],
			"name": inbox["name"],
			"created_at": iso(inbox["created_at"]),
			"updated_at": iso(inbox["created_at"]),
			"channel_type": inbox["channel_type"],
			"enable_auto_assignment": True,
			"greeting_enabled": inbox["greeting_enabled"],
			"greeting_message": inbox["greeting_message"],
			"email_address": None,
			"working_hours_enabled": False,
			"out_of_office_message": None,
			"timezone": "UTC",
			"enable_email_collect": inbox["enable_email_collect"],
			"csat_survey_enabled": inbox["csat_survey_enabled"],
			"allow_messages_after_resolved": True,
			"auto_assignment_config": {},
			"lock_to_single_conversation": inbox["lock_to_single_conversation"],
			"portal_id": None,
			"sender_name_type": "friendly",
			"business_name": None,
			"csat_config": inbox["csat_config"],
		}

	def inbox_slim(self, inbox: dict) -> dict:
		return {
			"id": inbox["id"],
			"avatar_url": "",
			"channel_id": inbox["id"],
			"name": inbox["name"],
			"channel_type": inbox["channel_type"],
			"provider": inbox.get("provider"),
		}

	def inbox(self, inbox: dict, administrator: bool) -> dict:
		"""The `_inbox` partial, for what chat_bridge reads; secrets for administrators only."""
		answer = {
			**self.inbox_slim(inbox),
			"greeting_enabled": inbox["greeting_enabled"],
			"greeting_message": inbox["greeting_message"],
			"enable_email_collect": inbox["enable_email_collect"],
			"csat_survey_enabled": inbox["csat_survey_enabled"],
			"enable_auto_assignment": True,
			"lock_to_single_conversation": inbox["lock_to_single_conversation"],
			"allowed_domains": inbox.get("allowed_domains"),
			"hmac_mandatory": inbox["hmac_mandatory"]
			if inbox["channel_type"] == "Channel::WebWidget"
			else None,
			"website_token": inbox["website_token"],
			"phone_number": inbox.get("phone_number"),
		}
		if inbox["channel_type"] == "Channel::WebWidget" and administrator:
			answer["hmac_token"] = inbox["hmac_token"]
		if inbox["channel_type"] == "Channel::Api":
			if administrator:
				answer.update(hmac_token=inbox["hmac_token"], secret=inbox["secret"])
			answer.update(
				webhook_url=inbox["webhook_url"],
				inbox_identifier=inbox["inbox_identifier"],
				additional_attributes=inbox["additional_attributes"],
			)
		if inbox["channel_type"] == "Channel::Whatsapp":
			answer["message_templates"] = inbox["message_templates"]
			if administrator:
				answer["provider_config"] = inbox.get("provider_config", {})
		return answer

	# Messages

	def message_push(self, message: dict) -> dict:
		"""`push_event_data`: every column, with an integer `message_type` and an epoch `created_at`."""
		conversation = self.state.conversation_of(message)
		answer = {
			"id": message["id"],
			"content": message["content"],
			"account_id": message["account_id"],
			"inbox_id": message["inbox_id"],
			"conversation_id": conversation["id"],
			"message_type": message["message_type"],
			"created_at": int(message["created_at"]),
			"updated_at": iso(message["updated_at"]),
			"private": message["private"],
			"status": message["status"],
			"source_id": message["source_id"],
			"content_type": message["content_type"],
			"content_attributes": message["content_attributes"],
			"sender_type": message["sender_type"],
			"sender_id": message["sender_id"],
			"external_source_ids": {},
			"additional_attributes": message["additional_attributes"],
			"processed_message_content": message["content"],
			"sentiment": {},
			"conversation": {
				"assignee_id": conversation["assignee_id"],
				"unread_count": self.unread_count(conversation),
				"last_activity_at": int(conversation["last_activity_at"]),
				"contact_inbox": {
					"source_id": self.state.contact_inboxes[conversation["contact_inbox_id"]]["source_id"]
				},
			},
		}
		if message["attachments"]:
			answer["attachments"] = message["attachments"]
		sender = self.sender_push(message)
		if sender is not None:
			answer["sender"] = sender
		return answer

	def webhook_push(self, message: dict) -> dict:
		"""`webhook_push_event_data`: push data with the text normalised for webhooks (message.rb:173-178)."""
		answer = self.message_push(message)
		answer.update(
			content=webhook_text(answer["content"]),
			processed_message_content=webhook_text(answer["processed_message_content"]),
		)
		return answer

	def message_rest(self, message: dict, echo_id: str | None = None) -> dict:
		"""The `_message` partial. `echo_id` is an attr_accessor, so only the answer to the POST that
		set it shows it (message.rb:82-83)."""
		conversation = self.state.conversation_of(message)
		answer = {"id": message["id"], "content": message["content"], "inbox_id": message["inbox_id"]}
		if echo_id:
			answer["echo_id"] = echo_id
		answer.update(
			conversation_id=conversation["id"],
			message_type=message["message_type"],
			content_type=message["content_type"],
			status=message["status"],
			content_attributes=message["content_attributes"],
			created_at=int(message["created_at"]),
			private=message["private"],
			source_id=message["source_id"],
		)
		sender = self.sender_push(message)
		if sender is not None:
			answer["sender"] = sender
		if message["attachments"]:
			answer["attachments"] = message["attachments"]
		return answer

	def sender_push(self, message: dict) -> dict | None:
		return self.sender(message, self.contact_push, self.user_push, self.bot_push)

	def sender_webhook(self, message: dict) -> dict | None:
		return self.sender(message, self.contact_webhook, self.user_webhook, self.bot_webhook)

	def sender(self, message: dict, contact, user, bot) -> dict | None:
		"""The message's sender in the shape one of the presenters gives; None for none (template
		messages have no sender) or one deleted since."""
		records, present = {
			"Contact": (self.state.contacts, contact),
			"User": (self.state.users, user),
			"AgentBot": (self.state.agent_bots, bot),
		}.get(message["sender_type"], ({}, None))
		record = records.get(message["sender_id"])
		return present(record) if record else None

	def message_webhook(self, message: dict) -> dict:
		"""Message#webhook_data (no `status`, whatever changed)."""
		conversation = self.state.conversation_of(message)
		inbox = self.state.inboxes[message["inbox_id"]]
		payload = {
			"account": self.account_webhook(message["account_id"]),
			"additional_attributes": message["additional_attributes"],
			"content_attributes": message["content_attributes"],
			"content_type": message["content_type"],
			"content": webhook_text(self.content_with_survey_link(message)),
			"conversation": self.conversation_webhook(conversation),
			"created_at": iso(message["created_at"]),
			"id": message["id"],
			"inbox": {"id": inbox["id"], "name": inbox["name"]},
			"message_type": MESSAGE_TYPE_NAMES[message["message_type"]],
			"private": message["private"],
			"sender": self.sender_webhook(message),
			"source_id": message["source_id"],
		}
		if message["attachments"]:
			payload["attachments"] = message["attachments"]
		return payload

	def content_with_survey_link(self, message: dict) -> str | None:
		"""A CSAT survey message outside website inboxes carries its link in the text
		(app/presenters/message_content_presenter.rb:16-28)."""
		inbox = self.state.inboxes[message["inbox_id"]]
		if message["content_type"] != "input_csat" or inbox["channel_type"] == "Channel::WebWidget":
			return message["content"]
		conversation = self.state.conversation_of(message)
		link = f"{self.state.frontend_url}/survey/responses/{conversation['uuid']}"
		custom = inbox["csat_config"].get("message")
		return f"{custom} {link}" if custom else f"Please rate this conversation, {link}"

	# Conversations

	def unread_count(self, conversation: dict) -> int:
		seen = conversation["agent_last_seen_at"] or 0
		unread = [
			m
			for m in self.state.messages_of(conversation)
			if m["message_type"] == 0 and m["created_at"] > seen
		]
		return min(len(unread), 10)

	def conversation_rest(self, conversation: dict, viewer: dict | None = None) -> dict:
		"""The `_conversation` partial."""
		state = self.state
		contact = state.contacts[conversation["contact_id"]]
		inbox = state.inbox_of(conversation)
		contact_inbox = state.contact_inboxes[conversation["contact_inbox_id"]]
		meta: dict = {"sender": self.contact_rest(contact), "channel": inbox["channel_type"]}
		bot = state.agent_bots.get(conversation["assignee_agent_bot_id"] or 0)
		assignee = state.users.get(conversation["assignee_id"] or 0)
		if bot:
			meta.update(assignee=self.bot_slim(bot), assignee_type="AgentBot")
		elif assignee and conversation["account_id"] in assignee["accounts"]:
			meta.update(assignee=self.agent(assignee, conversation["account_id"]), assignee_type="User")
		team = state.teams.get(conversation["team_id"] or 0)
		if team:
			meta["team"] = self.team(team, viewer)
		meta["hmac_verified"] = contact_inbox["hmac_verified"]
		mine = state.messages_of(conversation)
		shown = [m for m in mine if m["message_type"] != 2]
		return {
			"meta": meta,
			"id": conversation["id"],
			"messages": [self.message_push(mine[-1])] if mine else [],
			"account_id": conversation["account_id"],
			"uuid": conversation["uuid"],
			"additional_attributes": conversation["additional_attributes"],
			"agent_last_seen_at": epoch(conversation["agent_last_seen_at"]),
			"assignee_last_seen_at": epoch(conversation["assignee_last_seen_at"]),
			"can_reply": state.can_reply(conversation),
			"contact_last_seen_at": epoch(conversation["contact_last_seen_at"]),
			"custom_attributes": conversation["custom_attributes"],
			"inbox_id": conversation["inbox_id"],
			"labels": list(conversation["label_list"]),
			"muted": conversation["muted"],
			"snoozed_until": iso(conversation["snoozed_until"]),
			"status": conversation["status"],
			"created_at": int(conversation["created_at"]),
			"updated_at": float(conversation["updated_at"]),
			"timestamp": int(conversation["last_activity_at"]),
			"first_reply_created_at": epoch(conversation["first_reply_created_at"]),
			"unread_count": self.unread_count(conversation),
			"last_non_activity_message": self.message_push(shown[-1]) if shown else None,
			"last_activity_at": int(conversation["last_activity_at"]),
			"priority": conversation["priority"],
			"waiting_since": epoch(conversation["waiting_since"]),
			"sla_policy_id": None,
		}

	def conversation_webhook(self, conversation: dict) -> dict:
		"""Conversations::EventDataPresenter#webhook_data."""
		state = self.state
		contact = state.contacts[conversation["contact_id"]]
		inbox = state.inbox_of(conversation)
		contact_inbox = state.contact_inboxes[conversation["contact_inbox_id"]]
		chat = [m for m in state.messages_of(conversation) if m["message_type"] != 2 and not m["private"]]
		bot = state.agent_bots.get(conversation["assignee_agent_bot_id"] or 0)
		assignee = state.users.get(conversation["assignee_id"] or 0)
		team = state.teams.get(conversation["team_id"] or 0)
		if bot:
			assigned, assignee_type = self.bot_push(bot), "AgentBot"
		elif assignee:
			assigned, assignee_type = self.user_push(assignee), "User"
		else:
			assigned = assignee_type = None
		return {
			"additional_attributes": conversation["additional_attributes"],
			"can_reply": state.can_reply(conversation),
			"channel": inbox["channel_type"],
			"contact_inbox": self.contact_inbox_row(contact_inbox),
			"id": conversation["id"],
			"inbox_id": inbox["id"],
			"messages": [self.webhook_push(chat[-1])] if chat else [],
			"labels": list(conversation["label_list"]),
			"meta": {
				"sender": self.contact_push(contact),
				"assignee": assigned,
				"assignee_type": assignee_type,
				"team": {"id": team["id"], "name": team["name"]} if team else None,
				"hmac_verified": contact_inbox["hmac_verified"],
			},
			"status": conversation["status"],
			"custom_attributes": conversation["custom_attributes"],
			"snoozed_until": iso(conversation["snoozed_until"]),
			"unread_count": self.unread_count(conversation),
			"first_reply_created_at": iso(conversation["first_reply_created_at"]),
			"priority": conversation["priority"],
			"waiting_since": epoch(conversation["waiting_since"]),
			"agent_last_seen_at": epoch(conversation["agent_last_seen_at"]),
			"contact_last_seen_at": epoch(conversation["contact_last_seen_at"]),
			"last_activity_at": int(conversation["last_activity_at"]),
			"timestamp": int(conversation["last_activity_at"]),
			"created_at": int(conversation["created_at"]),
			"updated_at": float(conversation["updated_at"]),
			"account": self.account_webhook(conversation["account_id"]),
		}
