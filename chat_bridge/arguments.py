"""Checking what callers of the REST methods send, before anything reaches Chatwoot.

Values arrive from HTTP as text (or from `bench console` as Python values); each parser returns
the value in its proper type or raises ArgumentError with a sentence the caller can act on.
"""

import json
from collections.abc import Iterable

from chat_bridge.chatwoot.client import CONVERSATION_STATUSES
from chat_bridge.chatwoot.values import record_id
from chat_bridge.i18n import _

MAX_MESSAGE_LENGTH = 20_000
MAX_LABELS = 50
SEARCH_LENGTH = (2, 200)


class ArgumentError(ValueError):
	"""A value a caller sent that cannot be used; the message says which and why."""


def positive_int(value: object, name: str) -> int:
	try:
		return record_id(value)
	except ValueError:
		raise ArgumentError(
			_("{0} must be a positive whole number, not {1!r}.").format(name, value)
		) from None


def optional_positive_int(value: object, name: str) -> int | None:
	return None if value in (None, "", "null") else positive_int(value, name)


def status(value: object, *, allow_all: bool = False) -> str:
	allowed = (*CONVERSATION_STATUSES, "all") if allow_all else CONVERSATION_STATUSES
	text = str(value or "").strip().lower()
	if text not in allowed:
		raise ArgumentError(_("status must be one of {0}, not {1!r}.").format(", ".join(allowed), value))
	return text


def flag(value: object) -> bool:
	"""A yes/no from HTTP ('1', 'true', 'yes', 'on') or Python."""
	if isinstance(value, bool):
		return value
	return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def message_content(value: object) -> str:
	text = str(value or "").strip() if not isinstance(value, dict | list) else ""
	if not text:
		raise ArgumentError(_("A message needs some text."))
	if len(text) > MAX_MESSAGE_LENGTH:
		raise ArgumentError(_("A message may be at most {0} characters long.").format(MAX_MESSAGE_LENGTH))
	return text


def request_key(value: object) -> str:
	"""The key a page gives one request (a dialog, a click), so that a repeat of it is known."""
	if not isinstance(value, str) or not 8 <= len(value.strip()) <= 64:
		raise ArgumentError(_("The request has no key to tell a repeat from a new send."))
	return value.strip()


def labels(value: object) -> list[str]:
	"""Labels from a list, a JSON list or a comma-separated text; at least one."""
	if isinstance(value, str):
		text = value.strip()
		if text.startswith("["):
			try:
				value = json.loads(text)
			except ValueError:
				raise ArgumentError(_("labels is not a valid JSON list.")) from None
		else:
			value = text.split(",")
	if not isinstance(value, Iterable) or isinstance(value, dict):
		raise ArgumentError(_("labels must be a list of label names."))
	names = list(dict.fromkeys(str(label).strip() for label in value if str(label).strip()))
	if not names:
		raise ArgumentError(_("Give at least one label."))
	if len(names) > MAX_LABELS:
		raise ArgumentError(_("At most {0} labels at a time.").format(MAX_LABELS))
	return names


def search_text(value: object) -> str:
	"""What to look for in messages: 2 to 200 characters, spaces squeezed."""
	text = " ".join(str(value or "").split()) if not isinstance(value, dict | list) else ""
	shortest, longest = SEARCH_LENGTH
	if not shortest <= len(text) <= longest:
		raise ArgumentError(_("Search for {0} to {1} characters.").format(shortest, longest))
	return text
