"""What each Chatwoot event does: one table from event to handler, and the dispatch through it."""

from collections.abc import Callable
from dataclasses import dataclass

from chat_bridge.chatwoot.events import ACCOUNT_CREATED, AccountView, event_account_id
from chat_bridge.features import Feature
from chat_bridge.records.accounts import upsert_account
from chat_bridge.settings import feature_enabled, get_settings


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


def acknowledge(payload: dict) -> None:
	"""Placeholder until the sync handlers land: the event is marked Processed."""


# event → (the feature that must be on, or None; the handler)
HANDLERS: dict[str, tuple[Feature | None, Callable[[dict], None]]] = {
	"contact_created": (Feature.CONTACT_SYNC, acknowledge),
	"contact_updated": (Feature.CONTACT_SYNC, acknowledge),
	"conversation_created": (Feature.CONVERSATION_SYNC, acknowledge),
	"conversation_updated": (Feature.CONVERSATION_SYNC, acknowledge),
	"conversation_status_changed": (Feature.CONVERSATION_SYNC, acknowledge),
	"message_created": (Feature.MESSAGE_SYNC, acknowledge),
	"message_updated": (Feature.MESSAGE_SYNC, acknowledge),
	ACCOUNT_CREATED: (None, on_account_created),
}


def dispatch(event: str, payload: dict) -> Outcome:
	entry = HANDLERS.get(event)
	if entry is None:
		return Outcome("Ignored", f"Chat Bridge has no handler for {event}.")
	feature, handler = entry
	if feature is not None and not feature_enabled(feature):
		return Outcome("Ignored", f"{feature.label} is off.")
	if event != ACCOUNT_CREATED:
		configured, received = get_settings().account_id, event_account_id(event, payload)
		if received is not None and received != configured:
			return Outcome(
				"Ignored",
				f"The event is for Chatwoot account {received}; this site syncs account {configured}.",
			)
	try:
		handler(payload)
	except Ignore as ignored:
		return Outcome("Ignored", ignored.reason)
	return Outcome("Processed")
