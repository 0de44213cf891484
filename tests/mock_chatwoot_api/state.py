"""What the mock Chatwoot keeps, and what its models do when it changes.

Records are plain dicts, kept as Chatwoot's tables keep them (ids are global; a conversation is
addressed by its account's display id). The changes here carry Chatwoot's model callbacks with
them: the events a change announces, the activity messages it adds, a reply clearing
`waiting_since`, a customer's message reopening a conversation. CONFORMANCE.md gives the line of
Chatwoot's source behind each.
"""

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tests.mock_chatwoot_api.errors import invalid

SEED = Path(__file__).resolve().parent / "fixtures" / "seed.json"

MESSAGE_TYPES = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}
MESSAGE_TYPE_NAMES = {number: name for name, number in MESSAGE_TYPES.items()}
STATUSES = ("open", "resolved", "pending", "snoozed")
MESSAGE_STATUSES = ("sent", "delivered", "read", "failed")
WEBHOOK_SENDABLE = (0, 1, 3)  # incoming, outgoing, template (Message#webhook_sendable?)
PRIORITIES = ("low", "medium", "high", "urgent")
# The conversation columns whose change announces conversation_updated (Conversation#list_of_keys).
ANNOUNCED_KEYS = (
	"team_id",
	"assignee_id",
	"assignee_agent_bot_id",
	"status",
	"snoozed_until",
	"custom_attributes",
	"label_list",
	"waiting_since",
	"first_reply_created_at",
	"priority",
)
EMAIL = re.compile(r"\A[^@\s]+@[^@\s]+\Z")
E164 = re.compile(r"\+[1-9]\d{1,14}\Z")  # anchored at the end only, as Chatwoot's is
STRING_LIMIT = 255
DELETED_CONTENT = "This message was deleted"
WHATSAPP_WINDOW = 24 * 3600
# Channels whose replies have a window after the customer's last message (MessageWindowService).
REPLY_WINDOWS = {"Channel::Whatsapp": WHATSAPP_WINDOW}


def iso(epoch: float | None) -> str | None:
	if epoch is None:
		return None
	return (
		datetime.fromtimestamp(epoch, tz=timezone.utc)
		.isoformat(timespec="milliseconds")
		.replace("+00:00", "Z")
	)


class State:
	"""The records of one Chatwoot installation and the models' behaviour on them."""

	frontend_url = ""  # FRONTEND_URL: the server gives its own address

	def __init__(self, seed: Path | dict | None = SEED, *, clock: Callable[[], float] = time.time):
		from tests.mock_chatwoot_api.presenters import Presenters

		self.clock = clock
		self._lock = threading.RLock()
		self.presenters = Presenters(self)
		self._reset()
		if seed:
			self.load_seed(json.loads(Path(seed).read_text()) if not isinstance(seed, dict) else seed)

	def _reset(self) -> None:
		self.accounts: dict[int, dict] = {}
		self.default_account_id = 3
		self.users: dict[int, dict] = {}
		self.tokens: dict[str, int] = {}
		self.agent_bots: dict[int, dict] = {}
		self.platform_apps: dict[str, dict] = {}
		self.inboxes: dict[int, dict] = {}
		self.teams: dict[int, dict] = {}
		self.labels: dict[int, dict] = {}
		self.contacts: dict[int, dict] = {}
		self.contact_inboxes: dict[int, dict] = {}
		self._conversations: dict[tuple[int, int], dict] = {}
		self.messages: dict[int, dict] = {}
		self._messages_of: dict[tuple[int, int], list[dict]] = {}
		self._listing: dict[int, list[dict]] = {}
		self.webhooks: dict[int, dict] = {}
		self.dashboard_apps: dict[int, dict] = {}
		self.attribute_definitions: dict[int, dict] = {}
		self.csat_responses: list[dict] = []
		# What Chatwoot keeps of each password (here the password itself, so tests can look for leaks).
		self.passwords: dict[int, str] = {}
		self.sso_tokens: dict[str, int] = {}
		self.widget_sessions: dict[str, int] = {}  # X-Auth-Token → contact inbox
		self._ids = {
			"account": 100,
			"user": 100,
			"agent_bot": 0,
			"inbox": 100,
			"team": 100,
			"label": 100,
			"contact": 1100,
			"contact_inbox": 3000,
			"conversation": 100,
			"message": 1000,
			"webhook": 0,
			"dashboard_app": 0,
			"attribute_definition": 0,
		}

	def next_id(self, kind: str) -> int:
		self._ids[kind] += 1
		return self._ids[kind]

	# Seeding

	def load_seed(self, seed: dict) -> None:
		with self._lock:
			accounts = seed.get("accounts") or [seed["account"]]
			self.default_account_id = accounts[0]["id"]
			for fields in accounts:
				self.add_account(fields["name"], account_id=fields["id"])
			for token in seed.get("platform_tokens") or [seed.get("platform_token", "platform-token")]:
				self.platform_apps[token] = {"name": "ERPNext", "permissibles": set()}
			for fields in seed.get("users", []):
				user = self.add_user(
					fields["name"],
					fields["email"],
					user_id=fields["id"],
					access_token=fields["access_token"],
				)
				memberships = fields.get("accounts") or {str(self.default_account_id): fields["role"]}
				for account_id, role in memberships.items():
					self.add_membership(user, int(account_id), role)
				user["inbox_ids"] = set(fields.get("inbox_ids") or [])
			for fields in seed.get("inboxes", []):
				self.add_inbox(fields)
			for fields in seed.get("teams", []):
				self.teams[fields["id"]] = {
					"account_id": self.default_account_id,
					"allow_auto_assign": True,
					"member_ids": set(),
					**fields,
				}
			for fields in seed.get("labels", []):
				self.labels[fields["id"]] = {
					"account_id": self.default_account_id,
					"show_on_sidebar": True,
					**fields,
				}
			started = self.clock() - 3600
			for fields in seed.get("contacts", []):
				self.store_contact({"account_id": self.default_account_id, **fields}, started)
			for fields in seed.get("conversations", []):
				conversation = self.store_conversation(
					{"account_id": self.default_account_id, **fields}, started
				)
				for message in fields.get("messages", []):
					self.store_message(conversation, message, started)

	def add_account(self, name: str, *, account_id: int | None = None, **fields) -> dict:
		account = {
			"id": account_id or self.next_id("account"),
			"name": name,
			"locale": fields.get("locale", "en"),
			"domain": fields.get("domain"),
			"support_email": fields.get("support_email"),
			"status": fields.get("status", "active"),
			"features": dict(fields.get("features") or {}),
			"custom_attributes": dict(fields.get("custom_attributes") or {}),
			"limits": dict(fields.get("limits") or {}),
			"created_at": self.clock(),
		}
		self.accounts[account["id"]] = account
		return account

	def add_user(
		self,
		name: str,
		email: str,
		*,
		user_id: int | None = None,
		access_token: str | None = None,
		confirmed: bool = True,
	) -> dict:
		user = {
			"id": user_id or self.next_id("user"),
			"name": name,
			"display_name": None,
			"email": email.lower(),
			"access_token": access_token or secrets.token_hex(12),
			"confirmed": confirmed,
			"custom_attributes": {},
			"accounts": {},  # account id → {role, availability, auto_offline}
			"inbox_ids": set(),
		}
		self.users[user["id"]] = user
		self.tokens[user["access_token"]] = user["id"]
		return user

	def add_membership(self, user: dict, account_id: int, role: str = "agent") -> dict:
		membership = {"role": role, "availability": "offline", "auto_offline": True}
		user["accounts"][account_id] = membership
		return membership

	def add_inbox(self, fields: dict) -> dict:
		web = fields.get("channel_type") == "Channel::WebWidget"
		inbox = {
			"account_id": self.default_account_id,
			"greeting_enabled": False,
			"greeting_message": None,
			"enable_email_collect": True,  # the column's default
			"csat_survey_enabled": False,
			"csat_config": {},
			"lock_to_single_conversation": False,
			"active_bot": False,
			"hmac_mandatory": False,
			"website_token": secrets.token_hex(12) if web else None,
			"hmac_token": secrets.token_hex(12) if web else None,
			"message_templates": [],
			"additional_attributes": {},
			"created_at": self.clock(),
			**fields,
		}
		inbox.setdefault("id", self.next_id("inbox"))
		if inbox["channel_type"] == "Channel::Api":
			inbox.setdefault("hmac_token", secrets.token_hex(12))
			inbox.setdefault("secret", secrets.token_hex(12))
			inbox.setdefault("webhook_url", None)
			inbox.setdefault("inbox_identifier", secrets.token_hex(12))
		self.inboxes[inbox["id"]] = inbox
		return inbox

	def renumber_account(self, old: int, new: int) -> None:
		"""Give the seed's account another id (a harness keeps its records apart from a site's)."""
		with self._lock:
			account = self.accounts.pop(old)
			account["id"] = new
			self.accounts[new] = account
			for records in (
				self.inboxes,
				self.teams,
				self.labels,
				self.contacts,
				self.messages,
				self.webhooks,
			):
				for record in records.values():
					if record.get("account_id") == old:
						record["account_id"] = new
			for user in self.users.values():
				if old in user["accounts"]:
					user["accounts"][new] = user["accounts"].pop(old)
			for (account_id, display), conversation in list(self._conversations.items()):
				if account_id == old:
					conversation["account_id"] = new
					self._conversations[(new, display)] = self._conversations.pop((old, display))
			for key in [k for k in self._messages_of if k[0] == old]:
				self._messages_of[(new, key[1])] = self._messages_of.pop(key)
			for message in self.messages.values():
				if message["conversation"][0] == old:
					message["conversation"] = (new, message["conversation"][1])
			self._listing.clear()
			if self.default_account_id == old:
				self.default_account_id = new

	# Views the tests and tools read

	@property
	def account(self) -> dict:
		"""The seed's account (account 3 by default)."""
		return self.accounts[self.default_account_id]

	@property
	def conversations(self) -> dict[int, dict]:
		"""The seed account's conversations by display id."""
		return {
			display: c
			for (account, display), c in self._conversations.items()
			if account == self.default_account_id
		}

	def conversation(self, display_id: int, account_id: int | None = None) -> dict | None:
		return self._conversations.get((account_id or self.default_account_id, int(display_id)))

	def all_conversations(self, account_id: int) -> list[dict]:
		return [c for (account, _display), c in self._conversations.items() if account == account_id]

	def messages_of(self, conversation: dict) -> list[dict]:
		return self._messages_of.get(conversation_key(conversation), [])

	def role_of(self, user: dict | None, account_id: int) -> str | None:
		membership = (user or {}).get("accounts", {}).get(account_id)
		return membership["role"] if membership else None

	def members(self, account_id: int) -> list[dict]:
		return [u for u in self.users.values() if account_id in u["accounts"]]

	def inbox_of(self, conversation: dict) -> dict:
		return self.inboxes[conversation["inbox_id"]]

	def listed_contacts(self, account_id: int | None = None) -> list[dict]:
		"""The account's contacts as GET /contacts sees them: only those with an email, a phone
		number or an identifier, in the order they were made (the database's, with no ORDER BY)."""
		account_id = account_id or self.default_account_id
		if account_id not in self._listing:
			self._listing[account_id] = [
				c
				for c in self.contacts.values()
				if c["account_id"] == account_id and (c["email"] or c["phone_number"] or c["identifier"])
			]
		return self._listing[account_id]

	# Storing, with no events: seeds and generated data

	def store_contact(self, fields: dict, now: float) -> dict:
		contact = {
			"id": fields.get("id") or self.next_id("contact"),
			"account_id": fields["account_id"],
			"name": fields.get("name") or "",
			"email": (fields.get("email") or "").lower() or None,
			"phone_number": fields.get("phone_number") or None,
			"identifier": fields.get("identifier") or None,
			"blocked": bool(fields.get("blocked", False)),
			"additional_attributes": dict(fields.get("additional_attributes") or {}),
			"custom_attributes": dict(fields.get("custom_attributes") or {}),
			"avatar_url": fields.get("avatar_url") or "",
			"created_at": now,
			"updated_at": now,
			"last_activity_at": None,
		}
		self.contacts[contact["id"]] = contact
		self._listing.pop(contact["account_id"], None)
		return contact

	def store_contact_inbox(self, contact: dict, inbox: dict, source_id: str | None = None) -> dict:
		now = self.clock()
		contact_inbox = {
			"id": self.next_id("contact_inbox"),
			"contact_id": contact["id"],
			"inbox_id": inbox["id"],
			"source_id": source_id or str(uuid.uuid4()),
			"hmac_verified": False,
			"pubsub_token": secrets.token_hex(12),
			"created_at": now,
			"updated_at": now,
		}
		self.contact_inboxes[contact_inbox["id"]] = contact_inbox
		return contact_inbox

	def contact_inbox_for(self, contact: dict, inbox: dict) -> dict:
		found = next(
			(
				ci
				for ci in self.contact_inboxes.values()
				if ci["contact_id"] == contact["id"] and ci["inbox_id"] == inbox["id"]
			),
			None,
		)
		return found or self.store_contact_inbox(contact, inbox)

	def store_conversation(self, fields: dict, now: float) -> dict:
		account_id = fields["account_id"]
		contact = self.contacts[fields["contact_id"]]
		inbox = self.inboxes[fields["inbox_id"]]
		contact_inbox = (
			self.contact_inboxes[fields["contact_inbox_id"]]
			if fields.get("contact_inbox_id")
			else self.contact_inbox_for(contact, inbox)
		)
		display_id = fields.get("id") or self.next_display_id(account_id)
		conversation = {
			"account_id": account_id,
			"id": display_id,
			"uuid": str(uuid.uuid4()),
			"inbox_id": inbox["id"],
			"contact_id": contact["id"],
			"contact_inbox_id": contact_inbox["id"],
			"status": fields.get("status", "open"),
			"priority": fields.get("priority"),
			"assignee_id": fields.get("assignee_id"),
			"assignee_agent_bot_id": fields.get("assignee_agent_bot_id"),
			"team_id": fields.get("team_id"),
			"label_list": list(fields.get("labels") or []),
			"custom_attributes": dict(fields.get("custom_attributes") or {}),
			"additional_attributes": dict(fields.get("additional_attributes") or {}),
			"snoozed_until": None,
			"first_reply_created_at": None,
			"waiting_since": now,  # every conversation starts waiting
			"resolved_at": None,  # when its last conversation_resolved reporting event was
			"muted": False,
			"created_at": now,
			"updated_at": now,
			"last_activity_at": now,
			"agent_last_seen_at": None,
			"contact_last_seen_at": None,
			"assignee_last_seen_at": None,
		}
		self._conversations[(account_id, display_id)] = conversation
		return conversation

	def next_display_id(self, account_id: int) -> int:
		taken = [display for (account, display) in self._conversations if account == account_id]
		return max([*taken, self._ids["conversation"]]) + 1

	def store_message(self, conversation: dict, fields: dict, now: float) -> dict:
		message_type = fields.get("message_type", "outgoing")
		number = MESSAGE_TYPES[message_type] if isinstance(message_type, str) else int(message_type)
		if "sender_type" in fields:
			sender_type, sender_id = fields["sender_type"], fields.get("sender_id")
		elif number == 0:
			sender_type, sender_id = "Contact", conversation["contact_id"]
		elif number == 1:
			sender_type, sender_id = "User", fields.get("sender_id", 1)
		else:
			sender_type = sender_id = None  # activity and template messages have no sender
		message = {
			"id": fields.get("id") or self.next_id("message"),
			"account_id": conversation["account_id"],
			"conversation": conversation_key(conversation),
			"inbox_id": conversation["inbox_id"],
			"content": fields.get("content"),
			"message_type": number,
			"private": bool(fields.get("private", False)),
			"content_type": fields.get("content_type") or "text",
			"content_attributes": dict(fields.get("content_attributes") or {}),
			"additional_attributes": dict(fields.get("additional_attributes") or {}),
			"sender_type": sender_type,
			"sender_id": sender_id,
			"status": "sent",
			"source_id": fields.get("source_id"),
			"attachments": list(fields.get("attachments") or []),
			"created_at": now,
			"updated_at": now,
		}
		for attachment in message["attachments"]:
			attachment["message_id"] = message["id"]
		self.messages[message["id"]] = message
		self._messages_of.setdefault(conversation_key(conversation), []).append(message)
		# Message#set_conversation_activity: update_columns, so no event.
		conversation["last_activity_at"] = now
		conversation["updated_at"] = max(conversation["updated_at"], now)
		return message

	def conversation_of(self, message: dict) -> dict:
		return self._conversations[message["conversation"]]

	# Announcing: the server sends what is announced to the account's webhooks

	def announce(
		self, event: str, account_id: int, build: Callable[[], dict], inbox_id: int | None = None
	) -> None:
		"""Overridden by the server; `build` makes the payload when the delivery job runs."""

	def run_later(self, work: Callable[[], None]) -> None:
		"""Overridden by the server: a background job, as Chatwoot queues one. Here: at once."""
		work()

	# Contacts

	def check_contact(self, fields: dict, account_id: int, own_id: int | None = None) -> dict:
		"""Contact's validations, every failing one reported together in Chatwoot's order: the
		column lengths, then e-mail (taken, format), identifier (taken), phone (taken, format)
		(app/models/contact.rb:50-56). The values come back as Chatwoot saves them."""
		values = dict(fields)
		messages, attributes = [], []

		def fail(attribute: str, message: str) -> None:
			messages.append(message)
			if attribute not in attributes:
				attributes.append(attribute)

		for key in ("name", "email", "phone_number", "identifier"):
			if isinstance(values.get(key), str) and len(values[key]) > STRING_LIMIT:
				label = key.replace("_", " ").capitalize()
				fail(key, f"{label} is too long (maximum is {STRING_LIMIT} characters)")
		if "email" in values:  # downcased, not stripped; a blank one is nil (contact.rb:223-226)
			email = values["email"]
			values["email"] = email.lower() if isinstance(email, str) and email.strip() else None
		email, phone, identifier = values.get("email"), values.get("phone_number"), values.get("identifier")
		others = [c for c in self.contacts.values() if c["account_id"] == account_id and c["id"] != own_id]
		if email and any(c["email"] == email for c in others):
			fail("email", "Email has already been taken")
		if email and not EMAIL.match(email):
			fail("email", "Email Invalid email")
		if identifier and any(c["identifier"] == identifier for c in others):
			fail("identifier", "Identifier has already been taken")
		if phone and any(c["phone_number"] == phone for c in others):
			fail("phone_number", "Phone number has already been taken")
		if phone and not E164.search(phone):
			fail("phone_number", "Phone number should be in e164 format")
		if messages:
			raise invalid(messages, attributes)
		return values

	def create_contact(self, fields: dict, account_id: int | None = None) -> dict:
		account_id = account_id or self.default_account_id
		values = self.check_contact(fields, account_id)
		contact = self.store_contact({**values, "account_id": account_id}, self.clock())
		self.announce("contact_created", account_id, lambda: self.presenters.contact_webhook(contact))
		return contact

	def update_contact(self, contact: dict, fields: dict) -> dict:
		"""Contact#update: attributes hashes merged, contact_updated only when something changed."""
		values = self.check_contact(fields, contact["account_id"], own_id=contact["id"])
		changes = []
		for key in (
			"name",
			"email",
			"phone_number",
			"identifier",
			"blocked",
			"avatar_url",
			"last_activity_at",
		):
			if key in values and values[key] != contact[key]:
				changes.append((key, wire(key, contact[key]), wire(key, values[key])))
				contact[key] = values[key]
		for key in ("custom_attributes", "additional_attributes"):
			if isinstance(values.get(key), dict):
				merged = {**contact[key], **values[key]}
				if merged != contact[key]:
					changes.append((key, contact[key], merged))
					contact[key] = merged
		if changes:
			previous, contact["updated_at"] = contact["updated_at"], self.clock()
			changes.append(("updated_at", iso(previous), iso(contact["updated_at"])))
			# With no ORDER BY, Postgres gives rows as they lie in the table, where an updated
			# row's new version is written at the end: the mock's table is the dict's order.
			self.contacts[contact["id"]] = self.contacts.pop(contact["id"])
			self._listing.pop(contact["account_id"], None)
			changed = changes_of(changes)
			self.announce(
				"contact_updated",
				contact["account_id"],
				lambda: {**self.presenters.contact_webhook(contact), "changed_attributes": changed},
			)
		return contact

	# Conversations

	def create_conversation(
		self, fields: dict, *, actor: dict | None = None, first_message: dict | None = None
	) -> dict:
		"""ConversationBuilder and Conversation's create callbacks. `first_message` is posted in the
		same transaction (conversations_controller.rb:39-44), so it comes before the activity
		messages an assignee or team given at creation adds after the commit (assignment_handler.rb:7,43-50)."""
		inbox = self.inboxes[fields["inbox_id"]]
		contact = self.contacts[fields["contact_id"]]
		status = fields.get("status") or "open"
		if contact["blocked"]:
			status = "resolved"
		elif inbox["active_bot"]:
			status = "pending"
		values = {**fields, "status": status, "account_id": inbox["account_id"]}
		team = self.teams.get(values.get("team_id") or 0)
		if team:
			if values.get("assignee_id") and values["assignee_id"] not in team["member_ids"]:
				values["assignee_id"] = None
			if not values.get("assignee_id") and team["allow_auto_assign"]:
				values["assignee_id"] = self.auto_assignee(inbox, team)
		conversation = self.store_conversation(values, self.clock())
		self.announce(
			"conversation_created",
			conversation["account_id"],
			lambda: self.presenters.conversation_webhook(conversation),
			conversation["inbox_id"],
		)
		if first_message is not None:
			self.create_message(conversation, first_message, actor=actor)
		given = {key: (None, conversation[key]) for key in ("team_id", "assignee_id") if conversation[key]}
		self.add_activities(conversation, given, actor)
		return conversation

	def auto_assignee(self, inbox: dict, team: dict) -> int | None:
		"""A team member of the inbox who is online (Chatwoot's round robin, without its queue)."""
		for user_id in sorted(team["member_ids"]):
			user = self.users.get(user_id)
			membership = (user or {}).get("accounts", {}).get(inbox["account_id"])
			if (
				user
				and membership
				and inbox["id"] in user["inbox_ids"]
				and membership["availability"] == "online"
			):
				return user_id
		return None

	def change_conversation(self, conversation: dict, *, actor: dict | None = None, **values) -> list:
		"""Conversation#update with its callbacks: the events, then the activity messages.

		`actor` is the user the change is made as (Current.user), whose name the activity message
		carries; without one, as for a contact's reply reopening it, there is none (but see
		`system_reopened`).
		"""
		values = dict(values)
		if "labels" in values:
			values["label_list"] = values.pop("labels")
		if "team_id" in values and values["team_id"] != conversation["team_id"]:
			# AssignmentHandler#ensure_assignee_is_from_team
			team = self.teams.get(values["team_id"] or 0)
			assignee = values.get("assignee_id", conversation["assignee_id"])
			if team and assignee not in team["member_ids"]:
				assignee = None
			if team and not assignee and team["allow_auto_assign"]:
				assignee = self.auto_assignee(self.inbox_of(conversation), team)
			values["assignee_id"] = assignee
		status = values.get("status", conversation["status"])
		if status != "snoozed":
			values["snoozed_until"] = None  # ensure_snooze_until_reset
		changes = [(k, conversation[k], v) for k, v in values.items() if conversation[k] != v]
		if not changes:
			return []
		for key, _before, after in changes:
			conversation[key] = after
		previous, conversation["updated_at"] = conversation["updated_at"], self.clock()
		changed = dict((k, (b, a)) for k, b, a in changes)
		if "status" in changed and conversation["status"] == "resolved":
			conversation["waiting_since"] = None  # update_column: no event, no updated_at
			conversation["resolved_at"] = conversation["updated_at"]
		payload_changes = [*changes, ("updated_at", iso(previous), iso(conversation["updated_at"]))]
		if "label_list" in changed:
			payload_changes.append(
				(
					"cached_label_list",
					", ".join(changed["label_list"][0]),
					", ".join(changed["label_list"][1]),
				)
			)
		account_id = conversation["account_id"]
		if "status" in changed:
			self.announce(
				"conversation_status_changed",
				account_id,
				lambda: {**self.presenters.conversation_webhook(conversation), "changed_attributes": None},
				conversation["inbox_id"],
			)
		if set(changed) & set(ANNOUNCED_KEYS):
			announced = changes_of([(k, wire(k, b), wire(k, a)) for k, b, a in payload_changes])
			self.announce(
				"conversation_updated",
				account_id,
				lambda: {
					**self.presenters.conversation_webhook(conversation),
					"changed_attributes": announced,
				},
				conversation["inbox_id"],
			)
		self.add_activities(conversation, changed, actor)
		return changes

	def add_activities(self, conversation: dict, changed: dict, actor: dict | None) -> None:
		"""The activity messages a change adds (queued in Chatwoot, made at once here)."""
		name = actor["name"] if actor else None
		texts = []
		if "status" in changed and name:
			texts.append(
				{
					"resolved": "Conversation was marked resolved by {0}",
					"open": "Conversation was reopened by {0}",
					"pending": "Conversation was marked as pending by {0}",
					"snoozed": "Conversation was snoozed by {0}",
				}[conversation["status"]].format(name)
			)
		if "priority" in changed and name:
			before, after = changed["priority"]
			if before and after:
				texts.append(f"{name} changed the priority from {before} to {after}")
			elif after:
				texts.append(f"{name} set the priority to {after}")
			elif before:
				texts.append(f"{name} removed the priority")
		if "label_list" in changed and name:
			before, after = changed["label_list"]
			added = [label for label in after if label not in before]
			removed = [label for label in before if label not in after]
			if added:
				texts.append(f"{name} added {', '.join(added)}")
			if removed:
				texts.append(f"{name} removed {', '.join(removed)}")
		if "team_id" in changed and name:
			team = self.teams.get(conversation["team_id"] or 0)
			assignee = self.users.get(conversation["assignee_id"] or 0)
			if team and "assignee_id" in changed and assignee:
				texts.append(f"Assigned to {assignee['name']} via {team['name']} by {name}")
			elif team:
				texts.append(f"Assigned to {team['name']} by {name}")
			else:
				previous = self.teams.get(changed["team_id"][0] or 0)
				texts.append(f"Unassigned from {previous['name'] if previous else ''} by {name}")
		elif "assignee_id" in changed and name:
			assignee = self.users.get(conversation["assignee_id"] or 0)
			if conversation["assignee_id"] and actor and actor["id"] == conversation["assignee_id"]:
				texts.append(f"{name} self-assigned this conversation")
			elif conversation["assignee_id"]:
				texts.append(f"Assigned to {assignee['name'] if assignee else ''} by {name}")
			else:
				texts.append(f"Conversation unassigned by {name}")
		for text in texts:
			self.add_activity(conversation, text)

	def add_activity(self, conversation: dict, text: str) -> dict:
		return self.store_message(conversation, {"content": text, "message_type": "activity"}, self.clock())

	def can_reply(self, conversation: dict) -> bool:
		"""Conversation#can_reply? (MessageWindowService): channels with a reply window allow a
		free-form reply only within it after the customer's last message."""
		inbox = self.inbox_of(conversation)
		window = REPLY_WINDOWS.get(inbox["channel_type"])
		if inbox["channel_type"] == "Channel::Api" and inbox["additional_attributes"].get(
			"agent_reply_time_window"
		):
			window = int(inbox["additional_attributes"]["agent_reply_time_window"]) * 3600
		if window is None:
			return True
		incoming = [m for m in self.messages_of(conversation) if m["message_type"] == 0]
		return bool(incoming) and self.clock() - incoming[-1]["created_at"] <= window

	# Messages

	def create_message(self, conversation: dict, fields: dict, *, actor: dict | None = None) -> dict:
		"""A message and Message#execute_after_create_commit_callbacks, in their order."""
		message = self.store_message(conversation, fields, self.clock())
		incoming, outgoing = message["message_type"] == 0, message["message_type"] == 1
		if incoming and not conversation["muted"]:
			self.reopen_for(conversation, message, actor)
		if message["message_type"] in WEBHOOK_SENDABLE:
			self.announce(
				"message_created",
				message["account_id"],
				lambda: self.presenters.message_webhook(message),
				message["inbox_id"],
			)
		human = outgoing and message["sender_type"] == "User"
		if self.valid_first_reply(conversation, message):
			self.change_conversation(
				conversation, first_reply_created_at=message["created_at"], waiting_since=None
			)
		elif (
			conversation["waiting_since"] is not None
			and not message["private"]
			and (human or (outgoing and message["sender_type"] == "AgentBot"))
		):
			self.change_conversation(conversation, waiting_since=None)
		elif incoming and conversation["waiting_since"] is None:
			self.change_conversation(conversation, waiting_since=message["created_at"])
		if outgoing:
			self.send_reply(conversation, message)
		if incoming:
			self.add_templates(conversation)
			contact = self.contacts.get(message["sender_id"]) if message["sender_type"] == "Contact" else None
			if contact:
				self.update_contact(contact, {"last_activity_at": self.clock()})
		return message

	def reopen_for(self, conversation: dict, message: dict, actor: dict | None) -> None:
		"""Message#reopen_conversation. In an API inbox a contact's message reopens it as the system,
		even when a user's token posted it (app/models/message.rb:424-438)."""
		inbox = self.inbox_of(conversation)
		if conversation["status"] == "snoozed":
			self.change_conversation(conversation, status="open", actor=actor)
		elif conversation["status"] == "resolved":
			by_contact = message["sender_type"] == "Contact" and not message["private"]
			if inbox["active_bot"]:
				self.change_conversation(conversation, status="pending", actor=actor)
			elif inbox["channel_type"] == "Channel::Api" and by_contact:
				self.change_conversation(conversation, status="open")
				self.add_activity(
					conversation, "System reopened the conversation due to a new incoming message."
				)
			else:
				self.change_conversation(conversation, status="open", actor=actor)

	def valid_first_reply(self, conversation: dict, message: dict) -> bool:
		if not (message["message_type"] == 1 and message["sender_type"] == "User" and not message["private"]):
			return False
		if conversation["first_reply_created_at"] is not None:
			return False
		replies = [
			m
			for m in self.messages_of(conversation)
			if m["message_type"] == 1 and m["sender_type"] not in ("AgentBot",) and not m["private"]
		]
		return len(replies) <= 1

	def send_reply(self, conversation: dict, message: dict) -> None:
		"""SendReplyJob: the channel sends an agent's reply. In a WhatsApp inbox outside the reply
		window, with no template, the send fails and the message says why."""
		inbox = self.inbox_of(conversation)
		if message["private"] or inbox["channel_type"] != "Channel::Whatsapp":
			return

		def send() -> None:
			template = message["additional_attributes"].get("template_params")
			if not self.can_reply(conversation) and not template:
				self.update_message(
					message,
					status="failed",
					content_attributes={
						**message["content_attributes"],
						"external_error": "Template not found or invalid template name",
					},
				)
			else:
				self.update_message(message, source_id=f"wamid.{secrets.token_hex(8)}")

		self.run_later(send)

	def add_templates(self, conversation: dict) -> None:
		"""MessageTemplates::HookExecutionService after a customer's message: the greeting and,
		in a website inbox, asking a contact without an e-mail for one."""
		inbox = self.inbox_of(conversation)
		contact = self.contacts[conversation["contact_id"]]
		mine = self.messages_of(conversation)
		first = not any(m["message_type"] in (1, 3) for m in mine)
		if first and inbox["greeting_enabled"] and inbox["greeting_message"]:
			self.create_message(
				conversation, {"content": inbox["greeting_message"], "message_type": "template"}
			)
		if (
			inbox["enable_email_collect"]
			and inbox["channel_type"] == "Channel::WebWidget"
			and not contact["email"]
			and not any(m["content_type"] == "input_email" for m in mine)
		):
			self.create_message(
				conversation, {"content": "Give the team a way to reach you.", "message_type": "template"}
			)
			self.create_message(
				conversation,
				{
					"content": "Get notified by email",
					"message_type": "template",
					"content_type": "input_email",
				},
			)

	def update_message(self, message: dict, **values) -> dict:
		"""A message saved with changes announces message_updated, which says nothing of what changed;
		webhooks are not told of activity messages (webhook_listener.rb:35-43)."""
		changed = {k: v for k, v in values.items() if message.get(k) != v}
		if not changed:
			return message
		message.update(changed)
		message["updated_at"] = self.clock()
		if message["message_type"] in WEBHOOK_SENDABLE:
			self.announce(
				"message_updated",
				message["account_id"],
				lambda: self.presenters.message_webhook(message),
				message["inbox_id"],
			)
		return message

	def update_message_status(self, message: dict, status: Any, external_error: Any = None) -> bool:
		"""Messages::StatusUpdateService: only a known status, never from read back to delivered;
		`external_error` is kept for failed and cleared otherwise. The store accessor writes it only
		when it differs, so a message that never had one gets no key."""
		if status not in MESSAGE_STATUSES or (message["status"] == "read" and status == "delivered"):
			return False
		attributes = dict(message["content_attributes"])
		error = external_error if status == "failed" else None
		if attributes.get("external_error") != error:
			attributes["external_error"] = error
		self.update_message(message, status=status, content_attributes=attributes)
		return True

	def delete_message(self, message: dict) -> dict:
		"""DELETE …/messages/{id}: the content replaced, the attributes too, the attachments gone."""
		return self.update_message(
			message,
			content=DELETED_CONTENT,
			content_type="text",
			content_attributes={"deleted": True},
			attachments=[],
		)

	# Agents and memberships

	def remove_membership(self, user: dict, account_id: int) -> None:
		"""AccountUser destroyed: Agents::DestroyJob, in the background, takes the user out of the
		account's inboxes and teams and unassigns their conversations with update_all (no events)."""
		user["accounts"].pop(account_id, None)

		def destroy_job() -> None:
			for inbox in self.inboxes.values():
				if inbox["account_id"] == account_id:
					user["inbox_ids"].discard(inbox["id"])
			for team in self.teams.values():
				if team["account_id"] == account_id:
					team["member_ids"].discard(user["id"])
			for conversation in self.all_conversations(account_id):
				if conversation["assignee_id"] == user["id"]:
					conversation["assignee_id"] = None

		self.run_later(destroy_job)

	def delete_user(self, user: dict) -> None:
		for account_id in list(user["accounts"]):
			self.remove_membership(user, account_id)
		self.users.pop(user["id"], None)
		self.tokens.pop(user["access_token"], None)

	# Widget identity

	def identity_hash_valid(self, inbox: dict, identifier: Any, identifier_hash: str | None) -> bool:
		"""Widget::ContactsController#valid_hmac?: hex HMAC-SHA256 of the identifier under the
		inbox's hmac_token."""
		expected = hmac.new(
			inbox["hmac_token"].encode(), str(identifier).encode(), hashlib.sha256
		).hexdigest()
		return bool(identifier_hash) and hmac.compare_digest(expected, str(identifier_hash))

	def start_widget_session(self, inbox: dict) -> tuple[str, dict]:
		"""A browser loads the widget with no session: a new contact (named as Chatwoot names one),
		its contact inbox, and the session's token."""
		adjectives, nouns = ("autumn", "quiet", "misty", "bold"), ("river", "field", "pine", "sun")
		name = f"{secrets.choice(adjectives)}-{secrets.choice(nouns)}-{secrets.randbelow(9000) + 1000}"
		contact = self.create_contact({"name": name}, inbox["account_id"])
		contact_inbox = self.store_contact_inbox(contact, inbox)
		token = secrets.token_urlsafe(24)
		self.widget_sessions[token] = contact_inbox["id"]
		return token, contact_inbox


def conversation_key(conversation: dict) -> tuple[int, int]:
	return conversation["account_id"], conversation["id"]


def changes_of(changes: list[tuple]) -> list[dict]:
	"""`changed_attributes`: one single-key object per changed column."""
	return [{key: {"previous_value": before, "current_value": after}} for key, before, after in changes]


def wire(key: str, value: Any) -> Any:
	"""A changed value as the payload carries it: times as ISO strings."""
	times = ("snoozed_until", "first_reply_created_at", "waiting_since", "last_activity_at")
	if key in times and isinstance(value, int | float):
		return iso(value)
	return value
