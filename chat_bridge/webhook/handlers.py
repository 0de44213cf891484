"""What each Chatwoot event does: one table from event to handler, and the dispatch through it."""

from collections.abc import Callable
from dataclasses import dataclass

import frappe
from frappe import _

from chat_bridge.accounts import is_connected
from chat_bridge.chatwoot.events import (
	ACCOUNT_CREATED,
	AccountView,
	ContactView,
	ConversationView,
	MessageView,
	changed_attributes,
	event_account_id,
)
from chat_bridge.context.push import recheck_contact
from chat_bridge.features import Feature
from chat_bridge.records.accounts import upsert_account
from chat_bridge.records.contacts import MAPPING_DOCTYPE as CONTACT_MAPPING
from chat_bridge.records.contacts import sync_contact
from chat_bridge.records.conversations import sync_conversation
from chat_bridge.records.messages import NotAMessage, sync_message
from chat_bridge.settings import feature_enabled
from chat_bridge.sync.contacts import worth_writing


class Ignore(Exception):
	"""Raised by a handler for an event it has no business with; the event ends Ignored, with `reason`."""

	def __init__(self, reason: str):
		super().__init__(reason)
		self.reason = reason


@dataclass(frozen=True)
class Outcome:
	status: str  # Processed or Ignored
	reason: str | None = None


def on_account_created(payload: dict) -> None:
	upsert_account(AccountView.from_payload(payload))


def on_contact_created(payload: dict) -> None:
	contact = ContactView.from_payload(payload)
	if contact.id is None:
		raise Ignore(_("The contact has no id."))
	sync_contact(contact)


def on_contact_updated(payload: dict) -> None:
	contact = ContactView.from_payload(payload)
	if contact.id is None:
		raise Ignore(_("The contact has no id."))
	changes = changed_attributes(payload) if payload.get("changed_attributes") is not None else None
	if changes and "custom_attributes" in changes:
		recheck_contact(contact.account_id, contact.id, contact.custom_attributes)  # an agent's edit?
	known = frappe.db.exists(
		CONTACT_MAPPING, {"account_id": contact.account_id, "chatwoot_contact_id": contact.id}
	)
	if known and not worth_writing(changes):
		# Every customer message touches last_activity_at: not worth a write.
		raise Ignore(
			_("Only {0} changed, which ERPNext does not keep.").format(
				", ".join(sorted(changes)) or _("nothing")
			)
		)
	sync_contact(contact, changes)


def on_conversation_event(payload: dict) -> None:
	conversation = ConversationView.from_payload(payload)
	if conversation.id is None:
		raise Ignore(_("The conversation has no id."))
	sync_conversation(conversation)


def on_message_event(payload: dict) -> None:
	try:
		sync_message(MessageView.from_payload(payload))
	except NotAMessage as reason:
		raise Ignore(str(reason)) from None


# event → (the feature that must be on, or None; the handler)
HANDLERS: dict[str, tuple[Feature | None, Callable[[dict], None]]] = {
	"contact_created": (Feature.CONTACT_SYNC, on_contact_created),
	"contact_updated": (Feature.CONTACT_SYNC, on_contact_updated),
	"conversation_created": (Feature.CONVERSATION_SYNC, on_conversation_event),
	"conversation_updated": (Feature.CONVERSATION_SYNC, on_conversation_event),
	"conversation_status_changed": (Feature.CONVERSATION_SYNC, on_conversation_event),
	"message_created": (Feature.MESSAGE_SYNC, on_message_event),
	"message_updated": (Feature.MESSAGE_SYNC, on_message_event),
	ACCOUNT_CREATED: (None, on_account_created),
}


def dispatch(event: str, payload: dict) -> Outcome:
	entry = HANDLERS.get(event)
	if entry is None:
		return Outcome("Ignored", _("Chat Bridge has no handler for {0}.").format(event))
	feature, handler = entry
	if feature is not None and not feature_enabled(feature):
		return Outcome("Ignored", _("{0} is off.").format(_(feature.label)))
	if event != ACCOUNT_CREATED:
		received = event_account_id(event, payload)
		if received is not None and not is_connected(received):
			return Outcome(
				"Ignored", _("Chatwoot account {0} is not connected to this site.").format(received)
			)
	try:
		handler(payload)
	except Ignore as ignored:
		return Outcome("Ignored", ignored.reason)
	return Outcome("Processed")
