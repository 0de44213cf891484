"""Chatwoot webhook events: their names, which ones the app handles, and safe views of their payloads.

Payloads are read, never trusted: keys go missing, values are null, ids arrive as strings, and the
same message has a string `message_type` at the top of a message event but an integer one inside a
conversation's `messages`. The views below turn all of that into plain, typed values once, so the
code deciding what to do never meets a KeyError.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

# Events whose handlers keep ERPNext in step (chat_bridge.webhook.handlers has one for each).
HANDLED_EVENTS = frozenset(
	{
		"contact_created",
		"contact_updated",
		"conversation_created",
		"conversation_updated",
		"conversation_status_changed",
		"message_created",
		"message_updated",
	}
)

# Events Chatwoot sends that carry nothing ERPNext keeps: acknowledged with a 200, and not recorded.
# (An event the app does not know at all is recorded, as Ignored, so that a new one shows up.)
IGNORED_EVENTS = frozenset(
	{
		"webwidget_triggered",
		"inbox_created",
		"inbox_updated",
		"conversation_typing_on",
		"conversation_typing_off",
		# Agent-bot events, which an account webhook does not normally get.
		"conversation_opened",
		"conversation_resolved",
	}
)

# The single installation-level event (INSTALLATION_EVENTS_WEBHOOK_URL); it has its own endpoint.
ACCOUNT_CREATED = "account_created"

# Chatwoot's message_type, as an integer in nested and REST messages.
MESSAGE_TYPE_NAMES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}

DELIVERY_ID_LIMIT = 140  # the length of a Frappe Data field


class EventKind(str, Enum):
	HANDLED = "handled"
	IGNORED = "ignored"
	UNKNOWN = "unknown"


def normalize_event(name: Any) -> str:
	"""`message.created` (the old rollout guide's spelling), `Message_Created ` → `message_created`."""
	if not isinstance(name, str):
		return ""
	return name.strip().lower().replace(".", "_")


def classify_event(name: str) -> EventKind:
	event = normalize_event(name)
	if event in HANDLED_EVENTS:
		return EventKind.HANDLED
	if event in IGNORED_EVENTS:
		return EventKind.IGNORED
	return EventKind.UNKNOWN


# Reading values safely


def _int(value: Any) -> int | None:
	if isinstance(value, bool) or value is None:
		return None
	try:
		return int(str(value).strip())
	except ValueError:
		return None


def _float(value: Any) -> float | None:
	if isinstance(value, bool) or value is None:
		return None
	try:
		return float(value)
	except (TypeError, ValueError):
		return None


def _text(value: Any) -> str | None:
	if value is None or isinstance(value, dict | list):
		return None
	text = str(value).strip()
	return text or None


def _mapping(value: Any) -> Mapping:
	return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list:
	return value if isinstance(value, list) else []


def parse_time(value: Any) -> datetime | None:
	"""An aware UTC datetime from Chatwoot's epoch numbers or ISO-8601 strings; None when unreadable."""
	if value is None or isinstance(value, bool):
		return None
	if isinstance(value, int | float):
		number = float(value)
	elif isinstance(value, str) and value.strip():
		text = value.strip()
		number = _float(text)
		if number is None:
			try:
				parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
			except ValueError:
				return None
			return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
	else:
		return None
	if number <= 0:
		return None
	try:
		return datetime.fromtimestamp(number, tz=timezone.utc)
	except (OverflowError, OSError, ValueError):
		return None


def message_type_name(value: Any) -> str | None:
	"""`incoming`, `outgoing`, `activity` or `template`, from either spelling Chatwoot uses."""
	if isinstance(value, str) and not value.strip().isdigit():
		name = value.strip().lower()
		return name if name in MESSAGE_TYPE_NAMES.values() else None
	return MESSAGE_TYPE_NAMES.get(_int(value))


# Views


@dataclass(frozen=True)
class ContactView:
	id: int | None
	name: str | None = None
	email: str | None = None
	phone_number: str | None = None
	identifier: str | None = None
	company_name: str | None = None
	avatar_url: str | None = None
	custom_attributes: Mapping = field(default_factory=dict)
	account_id: int | None = None

	@classmethod
	def from_payload(cls, data: Any, account_id: int | None = None) -> "ContactView":
		data = _mapping(data)
		additional = _mapping(data.get("additional_attributes"))
		return cls(
			id=_int(data.get("id")),
			name=_text(data.get("name")),
			email=_text(data.get("email")),
			phone_number=_text(data.get("phone_number")),
			identifier=_text(data.get("identifier")),
			company_name=_text(additional.get("company_name")),
			avatar_url=_text(data.get("thumbnail")) or _text(data.get("avatar")),
			custom_attributes=dict(_mapping(data.get("custom_attributes"))),
			account_id=_int(_mapping(data.get("account")).get("id")) or account_id,
		)


@dataclass(frozen=True)
class AgentView:
	"""Who a conversation is assigned to, or who sent a message, on Chatwoot's side."""

	id: int | None
	kind: str  # "user", "agent_bot" or "contact"
	name: str | None = None
	email: str | None = None

	@classmethod
	def from_payload(cls, data: Any, default_kind: str) -> "AgentView | None":
		data = _mapping(data)
		if not data:
			return None
		kind = _text(data.get("type")) or default_kind
		return cls(
			id=_int(data.get("id")),
			kind=kind.lower(),
			name=_text(data.get("name")),
			email=_text(data.get("email")),
		)


# A REST conversation's assignee carries no `type`; its meta says which kind it is
# (app/views/api/v1/conversations/partials/_conversation.json.jbuilder).
ASSIGNEE_KINDS = {"User": "user", "AgentBot": "agent_bot"}


@dataclass(frozen=True)
class ConversationView:
	id: int | None  # the display id
	account_id: int | None
	inbox_id: int | None
	status: str | None
	priority: str | None
	labels: tuple[str, ...]
	contact: ContactView | None
	assignee: AgentView | None
	team_id: int | None
	team_name: str | None
	created_at: datetime | None
	updated_at: float | None  # kept as Chatwoot's epoch float: it orders concurrent updates
	last_activity_at: datetime | None
	last_message_id: int | None
	# Whether the contact proved who they are in the widget (identity validation, HMAC).
	hmac_verified: bool = False
	first_reply_at: datetime | None = None  # the first agent reply
	waiting_since: datetime | None = None  # since when the customer waits for a reply (none: 0)

	@classmethod
	def from_payload(cls, data: Any) -> "ConversationView":
		data = _mapping(data)
		meta = _mapping(data.get("meta"))
		team = _mapping(meta.get("team"))
		messages = [m for m in _list(data.get("messages")) if isinstance(m, Mapping)]
		account_id = _int(_mapping(data.get("account")).get("id")) or _int(data.get("account_id"))
		if account_id is None and messages:
			account_id = _int(messages[0].get("account_id"))  # Chatwoot < 4.14.2 has no `account` here
		contact = ContactView.from_payload(meta.get("sender"), account_id) if meta.get("sender") else None
		if contact is None and _mapping(data.get("contact_inbox")).get("contact_id"):
			contact = ContactView(id=_int(data["contact_inbox"]["contact_id"]), account_id=account_id)
		return cls(
			id=_int(data.get("id")),
			account_id=account_id,
			inbox_id=_int(data.get("inbox_id")),
			status=_text(data.get("status")),
			priority=_text(data.get("priority")),
			labels=tuple(str(label) for label in _list(data.get("labels")) if _text(label)),
			contact=contact,
			assignee=AgentView.from_payload(
				meta.get("assignee"), ASSIGNEE_KINDS.get(_text(meta.get("assignee_type")) or "", "user")
			),
			team_id=_int(team.get("id")),
			team_name=_text(team.get("name")),
			created_at=parse_time(data.get("created_at")),
			updated_at=_float(data.get("updated_at")),
			last_activity_at=parse_time(data.get("last_activity_at")),
			last_message_id=_int(messages[-1].get("id")) if messages else None,
			hmac_verified=meta.get("hmac_verified") is True
			or _mapping(data.get("contact_inbox")).get("hmac_verified") is True,
			first_reply_at=parse_time(data.get("first_reply_created_at")),
			waiting_since=parse_time(data.get("waiting_since")),
		)


@dataclass(frozen=True)
class Attachment:
	id: int | None
	file_type: str | None
	url: str | None
	thumb_url: str | None
	extension: str | None
	file_size: int | None


@dataclass(frozen=True)
class MessageView:
	id: int | None
	account_id: int | None
	inbox_id: int | None
	conversation: ConversationView
	content: str | None
	content_type: str | None
	message_type: str | None  # incoming, outgoing, template (activity messages are never sent)
	private: bool
	sender: AgentView | None
	created_at: datetime | None
	attachments: tuple[Attachment, ...]
	content_attributes: Mapping
	# sent, delivered, read or failed: what the channel (WhatsApp, e-mail…) reported back. Only
	# REST messages have it; a webhook's message does not.
	status: str | None = None

	@property
	def is_private_note(self) -> bool:
		"""An agent's internal note: Chatwoot sends it as an outgoing message with `private: true`."""
		return self.private

	@property
	def is_deleted(self) -> bool:
		return bool(self.content_attributes.get("deleted"))

	@classmethod
	def from_payload(cls, data: Any) -> "MessageView":
		data = _mapping(data)
		conversation = ConversationView.from_payload(data.get("conversation"))
		account_id = (
			_int(_mapping(data.get("account")).get("id"))
			or _int(data.get("account_id"))
			or conversation.account_id
		)
		message_type = message_type_name(data.get("message_type"))
		# A contact as sender has no `type` key; users and bots say what they are.
		default_kind = "contact" if message_type == "incoming" else "user"
		return cls(
			id=_int(data.get("id")),
			account_id=account_id,
			inbox_id=_int(_mapping(data.get("inbox")).get("id"))
			or _int(data.get("inbox_id"))
			or conversation.inbox_id,
			conversation=conversation,
			content=data.get("content") if isinstance(data.get("content"), str) else None,
			content_type=_text(data.get("content_type")),
			message_type=message_type,
			private=data.get("private") is True,
			sender=AgentView.from_payload(data.get("sender"), default_kind),
			created_at=parse_time(data.get("created_at")),
			attachments=tuple(_attachments(data.get("attachments"))),
			content_attributes=dict(_mapping(data.get("content_attributes"))),
			status=_text(data.get("status")),
		)


def _attachments(items: Any) -> list[Attachment]:
	return [
		Attachment(
			id=_int(item.get("id")),
			file_type=_text(item.get("file_type")),
			url=_text(item.get("data_url")),
			thumb_url=_text(item.get("thumb_url")),
			extension=_text(item.get("extension")),
			file_size=_int(item.get("file_size")),
		)
		for item in _list(items)
		if isinstance(item, Mapping)
	]


@dataclass(frozen=True)
class TypingView:
	"""conversation_typing_on/off: `{event, user, conversation, is_private}`, a shape of its own."""

	conversation: ConversationView
	typist: AgentView | None
	is_private: bool

	@classmethod
	def from_payload(cls, data: Any) -> "TypingView":
		data = _mapping(data)
		return cls(
			conversation=ConversationView.from_payload(data.get("conversation")),
			typist=AgentView.from_payload(data.get("user"), "user"),
			is_private=data.get("is_private") is True,
		)


@dataclass(frozen=True)
class AccountView:
	"""account_created, the installation-level event: `{id, name, event, users: [{id, name, email}]}`."""

	id: int | None
	name: str | None
	administrators: tuple[AgentView, ...]

	@classmethod
	def from_payload(cls, data: Any) -> "AccountView":
		data = _mapping(data)
		users = (AgentView.from_payload(user, "user") for user in _list(data.get("users")))
		return cls(
			id=_int(data.get("id")), name=_text(data.get("name")), administrators=tuple(u for u in users if u)
		)


def changed_attributes(payload: Any) -> dict[str, tuple[Any, Any]]:
	"""`changed_attributes` as {name: (previous, current)}; empty when absent or null (as on status changes)."""
	changes = {}
	for item in _list(_mapping(payload).get("changed_attributes")):
		for name, change in _mapping(item).items():
			change = _mapping(change)
			changes[str(name)] = (change.get("previous_value"), change.get("current_value"))
	return changes


# Which account and object a payload is about, and the key that makes a delivery unique


def event_account_id(event: str, payload: Any) -> int | None:
	payload = _mapping(payload)
	event = normalize_event(event)
	account_id = _int(_mapping(payload.get("account")).get("id"))
	if account_id is not None:
		return account_id
	if event.startswith("message_"):
		return MessageView.from_payload(payload).account_id
	if event.startswith("conversation_typing"):
		return TypingView.from_payload(payload).conversation.account_id
	if event.startswith("conversation_"):
		return ConversationView.from_payload(payload).account_id
	return None


def event_object_id(event: str, payload: Any) -> int | None:
	"""The id of the contact, conversation (display id) or message the event is about."""
	payload = _mapping(payload)
	if normalize_event(event).startswith("conversation_typing"):
		return _int(_mapping(payload.get("conversation")).get("id"))
	return _int(payload.get("id"))


def delivery_key(delivery_id: str | None, event: str, payload: Any, body: bytes) -> str:
	"""What identifies one delivery, for dedupe.

	Chatwoot's X-Chatwoot-Delivery when it sent one (4.11.2 and newer; a re-run job repeats it).
	Otherwise a key from the account, event, object and the moment of the change it reports:
	`updated_at` for conversations, `created_at` for a new message, the changed `updated_at` for a
	contact update. Where the payload has no such moment (an edited message, a new contact), a
	digest of what changed stands in, so two different updates are never taken for duplicates.
	"""
	if delivery_id and delivery_id.strip():
		return delivery_id.strip()  # intake refuses one longer than DELIVERY_ID_LIMIT
	event = normalize_event(event)
	payload = _mapping(payload)
	stamp = _change_stamp(event, payload) or hashlib.sha256(body).hexdigest()[:16]
	key = f"{event_account_id(event, payload)}:{event}:{event_object_id(event, payload)}:{stamp}"
	if len(key) > DELIVERY_ID_LIMIT:
		return hashlib.sha256(key.encode()).hexdigest()
	return key


def _change_stamp(event: str, payload: Mapping) -> str | None:
	if event.startswith("conversation_") and not event.startswith("conversation_typing"):
		stamp = payload.get("updated_at")
		return None if stamp is None else str(stamp)
	if event == "message_created":
		return _text(payload.get("created_at"))
	if event == "message_updated":
		# Chatwoot sends message_updated on every save (an edit, a deletion, a delivery status),
		# and the payload has no status: a failure shows in content_attributes.
		edited = json.dumps(
			[payload.get("content"), payload.get("content_attributes"), payload.get("private")],
			sort_keys=True,
			default=str,
		)
		return f"{_text(payload.get('created_at'))}#{hashlib.sha256(edited.encode()).hexdigest()[:12]}"
	if event == "contact_updated":
		current = changed_attributes(payload).get("updated_at", (None, None))[1]
		return _text(current)
	return None
