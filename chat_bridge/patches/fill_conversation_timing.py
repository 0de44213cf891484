"""Give conversations synced before the support reports their timing: when each began, was first
answered and resolved, from the newest conversation delivery still in the webhook log.

Conversations whose deliveries were purged from the log keep empty timing until their next event
or a `chatwoot backfill --conversations`; a resolution time found this way is taken at the
delivery's updated_at, the nearest moment the log knows.
"""

import json

import frappe

from chat_bridge.chatwoot.events import HANDLED_EVENTS, ConversationView
from chat_bridge.records.conversations import MAPPING_DOCTYPE, moments
from chat_bridge.webhook.log import EVENT_DOCTYPE

CONVERSATION_EVENTS = sorted(e for e in HANDLED_EVENTS if e.startswith("conversation_"))


def execute():
	for mapping in frappe.get_all(
		MAPPING_DOCTYPE,
		filters={"chatwoot_created_at": ("is", "not set")},
		fields=["name", "account_id", "chatwoot_conversation_id", "reopened_count"],
	):
		conversation = latest_delivery(mapping.account_id, mapping.chatwoot_conversation_id)
		if conversation is None or conversation.created_at is None:
			continue
		values = moments(conversation, None, mapping.reopened_count)
		frappe.db.set_value(MAPPING_DOCTYPE, mapping.name, values, update_modified=False)


def latest_delivery(account_id: int, conversation_id: int) -> ConversationView | None:
	"""The conversation as its newest conversation delivery in the log shows it."""
	payload = frappe.db.get_value(
		EVENT_DOCTYPE,
		{
			"account_id": account_id,
			"object_id": str(conversation_id),
			"event": ("in", CONVERSATION_EVENTS),
		},
		"payload",
		order_by="received_at desc",
	)
	if not payload:
		return None
	try:
		return ConversationView.from_payload(json.loads(payload))
	except ValueError:
		return None
