"""One item of a pull at a time, each its own transaction, counted in the pull's summary."""

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime

import frappe

from chat_bridge.chatwoot.events import MessageView
from chat_bridge.records.conversations import sync_conversation
from chat_bridge.records.messages import NotAMessage, sync_message
from chat_bridge.records.transactions import with_conflict_retries
from chat_bridge.settings import SETTINGS_DOCTYPE
from chat_bridge.sync.deliveries import was_due
from chat_bridge.sync.summary import PullSummary

Report = Callable[[str, str, str], None]  # (kind, item, what happened)
WRITTEN = frozenset({"created", "updated", "unchanged"})  # a message that is in ERPNext now


def record_last_sync(started: datetime) -> None:
	frappe.db.set_single_value(SETTINGS_DOCTYPE, "last_sync_at", started, update_modified=False)
	frappe.db.commit()


def pull_conversation(
	client,
	conversation,
	summary,
	report,
	*,
	with_state: bool,
	messages: Iterable[dict] | None,
	due_before: datetime | None = None,
) -> None:
	"""Write the conversation and its messages. With `due_before` (a reconciliation's start, in
	UTC), count the messages old enough to have been delivered: found written, or only now."""
	if with_state:
		pull_item(
			summary,
			report,
			"conversation",
			str(conversation.id),
			lambda: sync_conversation(conversation).action,
		)
	for data in messages or ():
		message = dataclasses.replace(
			MessageView.from_payload(data), conversation=conversation, account_id=client.account_id
		)
		action = pull_item(
			summary,
			report,
			"message",
			f"{conversation.id}/{message.id}",
			lambda m=message: message_action(m),
		)
		if due_before and action in WRITTEN and was_due(message.created_at, due_before):
			summary.count_delivery(missed=action == "created")


def message_action(message: MessageView) -> str:
	try:
		return sync_message(message).action
	except NotAMessage:
		return "skipped"


def pull_item(
	summary: PullSummary, report: Report | None, kind: str, item: str, work: Callable[[], str]
) -> str:
	"""Do `work` in a transaction of its own; what happened to the item ("failed" when it raised)."""
	try:
		action = with_conflict_retries(work)
		frappe.db.commit()
	except Exception as error:
		frappe.db.rollback()
		action = "failed"
		summary.failures.append(f"{kind} {item}: {type(error).__name__}: {error}")
	else:
		summary.add(kind, action)
	if report:
		report(kind, item, action)
	return action
