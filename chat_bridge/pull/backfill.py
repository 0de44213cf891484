"""The backfill: an account's contacts, conversations and messages, or those active since a date.

Chatwoot's pages are read on a thread of their own (`prefetched`) while the last ones are written;
contacts are written a batch at a time (`chat_bridge.records.bulk_contacts`).
"""

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

import frappe
from frappe.utils import now_datetime

from chat_bridge.chatwoot.errors import ChatwootError
from chat_bridge.chatwoot.events import ContactView, ConversationView, parse_time
from chat_bridge.chatwoot.prefetch import prefetched
from chat_bridge.clients import ChatwootAPI
from chat_bridge.pull.items import Report, pull_conversation, pull_item, record_last_sync
from chat_bridge.records.bulk_contacts import BatchOutcome, queue_insert_hooks, write_batch
from chat_bridge.records.contacts import sync_contact
from chat_bridge.records.times import to_utc
from chat_bridge.records.transactions import CONFLICTS
from chat_bridge.sync.summary import PullSummary

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
				pull_conversation(
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
		pull_item(summary, report, "contact", str(contact.id), lambda c=contact: sync_contact(c).action)
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
