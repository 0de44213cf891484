"""When a Chatwoot Notification fires, decided from plain values.

A notification fires on a document's event (new, submit, cancel, a value changed) or on the days
before or after one of its dates, like Frappe's Notification; each firing is sent at most once,
so it is named by a key of what fired it (`firing_key`), which the send is made under.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

NEW, SUBMIT, CANCEL, VALUE_CHANGE, DAYS_BEFORE, DAYS_AFTER = (
	"New",
	"Submit",
	"Cancel",
	"Value Change",
	"Days Before",
	"Days After",
)
# Frappe's document events, and the notification events they fire.
DOC_EVENTS = {
	"after_insert": (NEW,),
	"on_submit": (SUBMIT,),
	"on_cancel": (CANCEL,),
	"on_change": (VALUE_CHANGE,),
}
DATE_EVENTS = (DAYS_BEFORE, DAYS_AFTER)


def events_of(doc_event: str) -> tuple[str, ...]:
	return DOC_EVENTS.get(doc_event, ())


def value_changed(before: Mapping | None, after: Mapping, fieldname: str | None) -> bool:
	"""Whether `fieldname` changed in this save (a new document changes nothing yet)."""
	if not fieldname or before is None:
		return False
	return (before.get(fieldname) or None) != (after.get(fieldname) or None)


def date_for(event: str, days: int, today: date) -> date:
	"""The date a document's date field must hold for the notification to fire `today`: the due
	date three days from now fires "3 Days Before" today, the one three days ago "3 Days After"."""
	return today + timedelta(days=days) if event == DAYS_BEFORE else today - timedelta(days=days)


def firing_key(notification: str, doctype: str, name: str, event: str, moment: str = "") -> str:
	"""The one send a firing makes: the same notification, document, event (and, for values and
	dates, moment) always give the same key."""
	text = json.dumps([notification, doctype, name, event, moment])
	return "notification-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def template_params(name: str | None, language: str | None, values: Iterable[str]) -> dict | None:
	"""Chatwoot's `template_params` for a WhatsApp template: its name and language, and the body's
	numbered parameters in order (Message::TEMPLATE_PARAMS_SCHEMA; the body's `processed_params`
	are keyed "1", "2"…)."""
	if not name:
		return None
	body = {str(number): str(value) for number, value in enumerate(values, start=1)}
	params = {"name": name, "language": language or "en", "processed_params": {"body": body} if body else {}}
	return params
