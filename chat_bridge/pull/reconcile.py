"""The scheduled reconciliation: every few minutes, what Chatwoot's deliveries did not bring."""

from datetime import timedelta

import frappe
from frappe.utils import cint, get_datetime, now_datetime

from chat_bridge.accounts import connected_accounts
from chat_bridge.chatwoot.events import ConversationView
from chat_bridge.clients import system_client
from chat_bridge.context.push import recheck_contact
from chat_bridge.exceptions import IncompleteConfigurationError
from chat_bridge.features import Feature
from chat_bridge.pull.items import pull_conversation, record_last_sync
from chat_bridge.records.conversations import resolve_pending_assignees
from chat_bridge.records.times import to_utc
from chat_bridge.settings import SETTINGS_DOCTYPE, feature_enabled, get_settings
from chat_bridge.sync.deliveries import Tally
from chat_bridge.sync.summary import PullSummary

# How far before the last reconciliation the next one looks again: what changed while it ran.
OVERLAP = timedelta(minutes=10)
FIRST_RECONCILIATION = timedelta(days=1)
RECONCILE_ERROR_TITLE = "Chatwoot reconciliation"


def reconcile() -> PullSummary | None:
	"""Scheduled: pull the conversations active since the last run, with the messages not seen yet,
	find the assignees that Chatwoot could not be asked about when their event came, and put back
	the customer context an agent overwrote on a contact seen in passing.

	Chatwoot lists conversations most recently active first (ConversationFinder orders by
	last_activity_at, descending), so the walk stops at the first one older than the watermark.
	"""
	sync_state = feature_enabled(Feature.CONVERSATION_SYNC)
	sync_messages = feature_enabled(Feature.MESSAGE_SYNC)
	if not (sync_state or sync_messages):
		return None
	started = now_datetime()
	last = get_settings().last_sync_at
	since_utc = to_utc(get_datetime(last) - OVERLAP if last else started - FIRST_RECONCILIATION)
	summary = PullSummary()
	for account in connected_accounts():
		try:
			client = system_client(account_id=account.account_id)
		except IncompleteConfigurationError as error:
			summary.failures.append(f"Chatwoot account {account.account_id}: {error}")
			continue
		reconcile_account(
			client,
			summary,
			since_utc,
			sync_state=sync_state,
			sync_messages=sync_messages,
			# The first run fills in what came before the webhook was there: nothing was lost then.
			due_before=to_utc(started) if last else None,
		)
	if summary.failures:
		# Nobody watches a scheduled run: what it could not pull goes where failures are looked for.
		frappe.log_error(title=RECONCILE_ERROR_TITLE, message="\n".join(summary.failures))
	record_deliveries(summary, started)
	record_last_sync(started)
	return summary


def reconcile_account(
	client, summary: PullSummary, since_utc, *, sync_state: bool, sync_messages: bool, due_before
) -> None:
	"""One account's part of the reconciliation, into `summary`."""
	if sync_state:
		resolve_pending_assignees(client.account_id)
	for data in client.iter_conversations(status="all"):
		conversation = ConversationView.from_payload(data)
		if conversation.last_activity_at and conversation.last_activity_at < since_utc:
			break
		if conversation.contact and conversation.contact.id:
			recheck_contact(
				client.account_id, conversation.contact.id, conversation.contact.custom_attributes
			)
		pull_conversation(
			client,
			conversation,
			summary,
			None,
			with_state=sync_state,
			# Every message of the window, not only those after the newest one written: a delivery
			# lost between two that arrived leaves a gap below it.
			messages=client.iter_messages_since(conversation.id, since_utc) if sync_messages else None,
			due_before=due_before,
		)


def record_deliveries(summary: PullSummary, now) -> None:
	"""Keep the tally of messages only the reconciliation brought (chat_bridge.sync.deliveries)."""
	settings = get_settings()
	before = Tally(
		cint(settings.missed_deliveries),
		get_datetime(settings.missed_deliveries_since) if settings.missed_deliveries_since else None,
	)
	after = before.after_run(summary.missed, summary.delivered, now)
	if after != before:
		frappe.db.set_single_value(
			SETTINGS_DOCTYPE,
			{"missed_deliveries": after.missed, "missed_deliveries_since": after.since},
			update_modified=False,
		)
