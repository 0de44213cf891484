"""Chatwoot's JSON as the desk shows it: without secrets, summed up, with links into Chatwoot."""

import re
from collections.abc import Mapping
from html import unescape
from typing import Any

from chat_bridge.chatwoot.events import ConversationView, message_type_name

# Keys whose values let someone act as a user, a widget visitor or a webhook sender.
SECRET_KEYS = frozenset(
	{"access_token", "api_access_token", "pubsub_token", "hmac_token", "secret", "password", "sso_auth_token"}
)
PREVIEW_LENGTH = 160


def scrub_secrets(data: Any) -> Any:
	"""`data` without any value stored under a secret key, at any depth."""
	if isinstance(data, Mapping):
		return {
			key: scrub_secrets(value) for key, value in data.items() if str(key).lower() not in SECRET_KEYS
		}
	if isinstance(data, list):
		return [scrub_secrets(item) for item in data]
	return data


def dashboard_url(base_url: str, account_id: int) -> str:
	return f"{base_url}/app/accounts/{account_id}/dashboard"


def conversation_url(base_url: str, account_id: int, display_id: int) -> str:
	return f"{base_url}/app/accounts/{account_id}/conversations/{display_id}"


def _preview(text: str | None) -> str:
	text = " ".join((text or "").split())
	return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


def conversation_summary(
	data: Mapping, base_url: str, account_id: int, erpnext_contact: str | None = None
) -> dict:
	"""One row of a conversation list: who, what was said last, who handles it, where to open it."""
	view = ConversationView.from_payload(data)
	last = data.get("last_non_activity_message") or next(iter(data.get("messages") or []), None) or {}
	assignee = view.assignee
	return {
		"id": view.id,
		"status": view.status,
		"priority": view.priority,
		"labels": list(view.labels),
		"inbox_id": view.inbox_id,
		"contact_id": view.contact.id if view.contact else None,
		"contact_name": view.contact.name if view.contact else None,
		"contact_email": view.contact.email if view.contact else None,
		"erpnext_contact": erpnext_contact,
		"assignee": assignee.name if assignee else None,
		"identity_verified": view.hmac_verified,
		"last_message": _preview(last.get("content")) if isinstance(last, Mapping) else "",
		"last_message_type": message_type_name(last.get("message_type"))
		if isinstance(last, Mapping)
		else None,
		"last_activity_at": view.last_activity_at.isoformat() if view.last_activity_at else None,
		"created_at": view.created_at.isoformat() if view.created_at else None,
		"chatwoot_url": conversation_url(base_url, account_id, view.id) if view.id else None,
	}


SNIPPET_LENGTH = 160
_TAG = re.compile(r"<[^>]+>")


def plain_text(text: str | None) -> str:
	"""A message (plain text or the HTML of a Communication) as the words a reader sees."""
	return " ".join(unescape(_TAG.sub(" ", text or "")).split())


def says(text: str | None, term: str) -> bool:
	"""Whether the message contains `term` literally, in any letter case."""
	return term.casefold() in plain_text(text).casefold()


def match_snippet(text: str | None, term: str, length: int = SNIPPET_LENGTH) -> str:
	"""The part of a message around `term`."""
	plain = plain_text(text)
	at = plain.lower().find(term.lower())
	if at < 0 or len(plain) <= length:
		return _preview(plain) if len(plain) > length else plain
	start = max(0, at - length // 3)
	cut = plain[start : start + length]
	return ("…" if start else "") + cut + ("…" if start + length < len(plain) else "")
