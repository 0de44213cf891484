"""Pulling from Chatwoot's API what webhooks did not bring: the backfill and the reconciliation.

Chatwoot drops a delivery it could not make, so webhooks alone leave gaps. Both paths here write
through the same functions as the webhook handlers, which find records before creating them and
are guarded by unique keys: running a pull twice, or while webhooks arrive, creates nothing twice.
Each conversation (with its messages) is its own transaction, so a failure loses one item, not the run.
"""

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Protocol

import frappe
from frappe.utils import get_datetime, now_datetime

from chat_bridge.api.chatwoot import ChatwootAPI, system_client
from chat_bridge.chatwoot.errors import ChatwootError
from chat_bridge.chatwoot.events import ContactView, ConversationView, MessageView, parse_time
from chat_bridge.chatwoot.prefetch import prefetched
from chat_bridge.context.push import recheck_contact
from chat_bridge.features import Feature
from chat_bridge.records.backfill_contacts import BatchOutcome, queue_insert_hooks, write_batch
from chat_bridge.records.contacts import sync_contact
from chat_bridge.records.conversations import (
	resolve_pending_assignees,
	sync_conversation,
)
from chat_bridge.records.messages import NotAMessage, sync_message
from chat_bridge.records.times import to_utc
from chat_bridge.records.transactions import CONFLICTS, with_conflict_retries
from chat_bridge.settings import SETTINGS_DOCTYPE, feature_enabled, get_settings
from chat_bridge.sync.summary import PullSummary

# How far before the last reconciliation the next one looks again: what changed while it ran.
OVERLAP = timedelta(minutes=10)
FIRST_RECONCILIATION = timedelta(days=1)
RECONCILE_ERROR_TITLE = "Chatwoot reconciliation"

Report = Callable[[str, str, str], None]  # (kind, item, what happened)


# Contacts written in one transaction, and pages (or conversations) read ahead of the writing.
CONTACT_BATCH = 300
AHEAD = 8


class Progress(Protocol):
	def total(self, kind: str, count: int) -> None: ...
	def advance(self, kind: str, count: int = 1) -> None: ...
	def note(self, kind: str, text: str) -> None: ...


def backfill(
	client: ChatwootAPI,
	*,
	contacts: bool = True,
	conversations: bool = True,
	messages: bool = True,
	since: datetime | None = None,
	report: Report | None = None,
	progress: Progress | None = None,
) -> PullSummary:
	"""Pull contacts, conversations and their messages, those active since `since` or all of them.

	Chatwoot's pages are read on a thread of their own while the last ones are written. A pull of
	the conversations that ends without a failure is as good as a reconciliation: it is recorded as
	the Last Sync, which the next reconciliation starts from.
	"""
	summary = PullSummary()
	started = now_datetime()
	since_utc = to_utc(since)
	if contacts:
		began = time.monotonic()
		_backfill_contacts(client, since_utc, summary, report, progress)
		summary.seconds["contact"] = time.monotonic() - began
	if conversations or messages:
		began, pulled = time.monotonic(), 0
		for conversation, fetched, total in prefetched(
			_conversation_feed(client, since_utc, with_messages=messages), ahead=AHEAD
		):
			if progress and not pulled:
				progress.total("conversation", total or 0)
			pulled += 1
			if isinstance(fetched, ChatwootError):
				summary.failures.append(
					f"conversation {conversation.id}: {type(fetched).__name__}: {fetched}"
				)
			elif fetched is not SKIPPED:
				_pull_conversation(
					client,
					conversation,
					summary,
					report,
					with_state=conversations,
					messages=fetched if messages else None,
				)
			if progress:
				progress.advance("conversation")
				progress.note("conversation", f"{summary.of_kind('message')} messages")
		summary.seconds["conversation"] = time.monotonic() - began
		if conversations and not summary.failures:
			record_last_sync(started)
	return summary


def _backfill_contacts(client, since_utc, summary: PullSummary, report, progress) -> None:
	batch: list[ContactView] = []
	created: list[str] = []
	try:
		for number, (page, total) in enumerate(prefetched(client.contact_pages(), ahead=AHEAD)):
			if progress and number == 0:
				progress.total("contact", total or 0)
			for data in page:
				last_activity = parse_time(data.get("last_activity_at")) or parse_time(data.get("created_at"))
				if since_utc and last_activity and last_activity < since_utc:
					if progress:
						progress.advance("contact")
					continue
				batch.append(ContactView.from_payload(data, account_id=client.account_id))
			if len(batch) >= CONTACT_BATCH:
				_pull_contact_batch(client.account_id, batch, summary, report, progress, created)
				batch = []
		if batch:
			_pull_contact_batch(client.account_id, batch, summary, report, progress, created)
	finally:
		# Interrupted or not: the Contacts written so far get their insert hooks.
		queue_insert_hooks(created)


def _pull_contact_batch(
	account_id: int, batch: list[ContactView], summary, report, progress, created: list[str]
) -> None:
	try:
		outcome = write_batch(batch, account_id)
		frappe.db.commit()
		created.extend(outcome.created)
	except Exception as error:
		frappe.db.rollback()
		if not (isinstance(error, CONFLICTS) or frappe.db.is_unique_key_violation(error)):
			raise
		# Another job mapped one of them meanwhile: the batch goes the careful way.
		outcome = BatchOutcome(one_by_one=list(batch))
	for contact_id, action in outcome.actions.items():
		summary.add("contact", action)
		if report:
			report("contact", str(contact_id), action)
	for contact in outcome.one_by_one:
		_pull_item(summary, report, "contact", str(contact.id), lambda c=contact: sync_contact(c).action)
	if progress:
		progress.advance("contact", len(batch))


SKIPPED = object()  # a conversation older than the backfill's `since`


def _conversation_feed(client: ChatwootAPI, since_utc, *, with_messages: bool) -> Iterator[tuple]:
	"""(conversation, its messages, how many conversations there are), Chatwoot's answers only: this
	runs on the prefetching thread. A conversation whose messages could not be read comes with the
	error instead, and the pull goes on."""
	for page, total in client.conversation_pages(status="all"):
		for data in page:
			conversation = ConversationView.from_payload(data)
			if since_utc and conversation.last_activity_at and conversation.last_activity_at < since_utc:
				yield conversation, SKIPPED, total
				continue
			try:
				fetched = list(client.iter_messages(conversation.id)) if with_messages else []
			except ChatwootError as error:
				fetched = error
			yield conversation, fetched, total


def record_last_sync(started: datetime) -> None:
	frappe.db.set_single_value(SETTINGS_DOCTYPE, "last_sync_at", started, update_modified=False)
	frappe.db.commit()


def _pull_conversation(
	client, conversation, summary, report, *, with_state: bool, messages: Iterable[dict] | None
) -> None:
	if with_state:
		_pull_item(
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
		_pull_item(
			summary,
			report,
			"message",
			f"{conversation.id}/{message.id}",
			lambda m=message: _message_action(m),
		)


def _message_action(message: MessageView) -> str:
	try:
		return sync_message(message).action
	except NotAMessage:
		return "skipped"


def _pull_item(
	summary: PullSummary, report: Report | None, kind: str, item: str, work: Callable[[], str]
) -> None:
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
	client = system_client()
	summary = PullSummary()
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
		_pull_conversation(
			client,
			conversation,
			summary,
			None,
			with_state=sync_state,
			# Every message of the window, not only those after the newest one written: a delivery
			# lost between two that arrived leaves a gap below it.
			messages=client.iter_messages_since(conversation.id, since_utc) if sync_messages else None,
		)
	if summary.failures:
		# Nobody watches a scheduled run: what it could not pull goes where failures are looked for.
		frappe.log_error(title=RECONCILE_ERROR_TITLE, message="\n".join(summary.failures))
	record_last_sync(started)
	return summary
