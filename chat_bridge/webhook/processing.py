"""Working through the webhook log: Queued → Processed / Ignored / Failed.

Queued deliveries are worked through by one background job at a time, oldest first. One job for
all of them rather than one per delivery, because a Frappe worker forks a fresh process for every
job: a job that pays for importing the document machinery for a single event manages a few events
a second, where a job that keeps going manages fifty. A lease in Redis says that such a job is on
its way or running; a delivery that finds the lease taken leaves its event to that job, and the job
looks once more after giving the lease up, so no event is left behind in between.

Every event is processed at most once at a time: whoever processes it holds its row locked until
its outcome is committed, so a second attempt (a retry racing a replay, two jobs after a lease
expired) skips the locked row and stops. The handler's writes and the event's final status are
committed together, so a failed event leaves nothing half-written, and a worker killed mid-way
leaves its events Queued, as they were: the database rolls back what it had not committed. The
processing job commits every few events (each behind a savepoint of its own), which spares the
database most of its flushes to disk. Failed events are retried by the scheduler with growing
delays, up to Max Attempts; by hand from the event's Retry button; or with
`bench --site <site> chatwoot replay`.
"""

import json
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta

import frappe
from frappe import _
from frappe.utils import add_to_date, cint, get_datetime, now_datetime

from chat_bridge.accounts import company_of
from chat_bridge.chatwoot.errors import ChatwootError
from chat_bridge.chatwoot.probe import is_probe
from chat_bridge.features import Feature
from chat_bridge.records.transactions import CONFLICT_ATTEMPTS, CONFLICTS
from chat_bridge.settings import SETTINGS_DOCTYPE, feature_enabled, get_settings
from chat_bridge.webhook.log import EVENT_DOCTYPE

AUTOMATIC = ("Queued", "Failed")
DEFAULT_MAX_ATTEMPTS = 5
MAX_BACKOFF_SECONDS = 3600
PROCESSING_LEASE_KEY = "chat_bridge:processing_job"
# Longer than a job's turn, so a lease outlives only a job that died holding it.
PROCESSING_LEASE_SECONDS = 120
# Well inside the default queue's job timeout; then a fresh job takes over.
PROCESSING_TURN_SECONDS = 60
PROCESSING_BATCH = 100
# Events the processing job commits at once. More saves little; a failure costs the rest a retry.
COMMIT_EVERY = 20
TOUCH_EVERY = timedelta(minutes=1)
# Who owns what the sync writes, whichever path wrote it: a webhook's job would otherwise run as
# Guest (the sender), a Retry as whoever clicked it.
SYSTEM_USER = "Administrator"


def wake_processing() -> None:
	"""Once this transaction has committed, see that a job is on its way to process Queued events."""
	frappe.db.after_commit.add(start_processing_job)


def start_processing_job() -> None:
	if take_processing_lease():
		frappe.enqueue("chat_bridge.webhook.processing.process_queued_events", now=bool(frappe.flags.in_test))


def process_queued_events() -> None:
	"""The processing job: Queued events, oldest first, until none is left, its turn is over or sync
	is switched off."""
	turn_ends = time.monotonic() + PROCESSING_TURN_SECONDS
	frappe.set_user(SYSTEM_USER)
	try:
		while True:
			frappe.db.commit()  # nothing is pending; this ends the snapshot, so the look sees new events
			waiting = queued_events(PROCESSING_BATCH)
			if not waiting:
				release_processing_lease()
				# A delivery committed just before the release found the lease taken and left its
				# event to this job: look once more, and carry on if something came and nobody else
				# has taken over.
				frappe.db.commit()
				if queued_events(1) and take_processing_lease():
					continue
				return
			renew_processing_lease()
			for number, name in enumerate(waiting, 1):
				if not feature_enabled(Feature.SYNC):
					# What is queued waits, Queued, for sync to come back on.
					frappe.db.commit()
					release_processing_lease()
					return
				try:
					process_event(name, ("Queued",), commit=False)
				except CONFLICTS:
					# Rolled back, with the events before it since the last commit, which wait
					# Queued for the next look; this one goes on alone until it gets through.
					process_event(name, ("Queued",))
				if number % COMMIT_EVERY == 0:
					frappe.db.commit()
				if time.monotonic() > turn_ends:
					frappe.db.commit()
					hand_over_processing()
					return
			frappe.db.commit()
	except Exception:
		release_processing_lease()  # the next delivery, or the scheduler, starts a fresh job
		raise


def hand_over_processing() -> None:
	"""End this job's turn: a fresh job carries on, holding the lease this one held."""
	renew_processing_lease()
	frappe.enqueue("chat_bridge.webhook.processing.process_queued_events")


def queued_events(limit: int) -> list[str]:
	return frappe.get_all(
		EVENT_DOCTYPE,
		filters={"status": "Queued"},
		pluck="name",
		order_by="received_at asc, creation asc",
		limit=limit,
	)


def take_processing_lease() -> bool:
	return bool(
		frappe.cache.set(frappe.cache.make_key(PROCESSING_LEASE_KEY), 1, nx=True, ex=PROCESSING_LEASE_SECONDS)
	)


def renew_processing_lease() -> None:
	frappe.cache.set(frappe.cache.make_key(PROCESSING_LEASE_KEY), 1, ex=PROCESSING_LEASE_SECONDS)


def release_processing_lease() -> None:
	frappe.cache.delete(frappe.cache.make_key(PROCESSING_LEASE_KEY))


def enqueue_processing(event_name: str, statuses: tuple[str, ...] = AUTOMATIC) -> None:
	"""A job for one event: retries and the Retry button, which may take events that are not Queued."""
	frappe.enqueue(
		"chat_bridge.webhook.processing.process_event",
		job_id=event_name,
		deduplicate=True,
		enqueue_after_commit=True,
		now=bool(frappe.flags.in_test),
		event_name=event_name,
		statuses=statuses,
	)


def process_event(
	event_name: str, statuses: tuple[str, ...] = AUTOMATIC, *, commit: bool = True
) -> str | None:
	"""Run one recorded delivery through its handler; the status it ends in, or None if not claimed.

	A conflict with another job (both inserting the same record, a deadlock) rolls the transaction
	back, and the event is run again in a fresh one, which sees what the other job committed. With
	`commit` off the caller commits, later, with other events, and gets the conflict itself: the
	rollback took its other events back to Queued too.
	"""
	for attempt in range(1, CONFLICT_ATTEMPTS + 1):
		try:
			status = process_locked(event_name, statuses)
		except CONFLICTS as conflict:
			frappe.db.rollback()
			if not commit:
				raise
			if attempt < CONFLICT_ATTEMPTS:
				continue
			status = fail(event_name, statuses, describe_failure(conflict))
		if commit:
			frappe.db.commit()
		return status
	raise AssertionError("unreachable")


def process_locked(event_name: str, statuses: tuple[str, ...]) -> str | None:
	"""The event's work and outcome, uncommitted, its row locked; a failing handler's work is undone
	back to the event's own savepoint, so other events in the transaction keep theirs."""
	from chat_bridge.webhook.handlers import dispatch

	attempts = claim(event_name, statuses)
	if attempts is None:
		return None
	started = time.monotonic()
	savepoint = f"event_{frappe.generate_hash(length=10)}"
	frappe.db.savepoint(savepoint)
	try:
		# Inside the try: an event that cannot be read must end Failed, not stop the queue behind it.
		event = frappe.db.get_value(
			EVENT_DOCTYPE, event_name, ["event", "payload", "account_id"], as_dict=True
		)
		payload = json.loads(event.payload or "{}")
		stamp_event_company(event_name, event)
		with as_system_user():
			outcome = dispatch(event.event, payload)
		if is_probe(payload):
			# `chatwoot send-test-webhook --event message_created`: it has gone the whole way;
			# what it wrote would count as a customer's conversation everywhere.
			frappe.db.rollback(save_point=savepoint)
			outcome = replace(
				outcome, reason=_("A test delivery: processed, then undone; it leaves no records.")
			)
	except CONFLICTS:
		raise
	except Exception as error:
		frappe.db.rollback(save_point=savepoint)
		status, reason = "Failed", describe_failure(error)
	else:
		status, reason = outcome.status, outcome.reason
	finish(event_name, status, attempts, started, reason)
	return status


def stamp_event_company(event_name: str, event) -> None:
	"""The intake records a delivery without reading the database; its account's Company is added
	here, for User Permissions."""
	company = company_of(event.account_id)
	if company:
		frappe.db.set_value(EVENT_DOCTYPE, event_name, "company", company, update_modified=False)


def fail(event_name: str, statuses: tuple[str, ...], reason: str) -> str | None:
	attempts = claim(event_name, statuses)
	if attempts is None:
		return None
	finish(event_name, "Failed", attempts, time.monotonic(), reason)
	return "Failed"


@contextmanager
def as_system_user():
	user = frappe.session.user
	if user == SYSTEM_USER:
		yield
		return
	frappe.set_user(SYSTEM_USER)
	try:
		yield
	finally:
		frappe.set_user(user)


def claim(event_name: str, statuses: tuple[str, ...]) -> int | None:
	"""Lock the event's row if it is in one of `statuses`; its attempt number, or None when another
	job holds it or it is in another status."""
	row = frappe.db.get_value(
		EVENT_DOCTYPE, event_name, ["status", "attempts"], as_dict=True, for_update=True, skip_locked=True
	)
	if row is None or row.status not in statuses:
		return None
	return cint(row.attempts) + 1


def finish(event_name: str, status: str, attempts: int, started: float, reason: str | None) -> None:
	now = now_datetime()
	values = {
		"status": status,
		"attempts": attempts,
		"error": reason,
		"processing_ms": int((time.monotonic() - started) * 1000),
		"processed_at": now if status != "Failed" else None,
		"next_attempt_at": None,
	}
	if status == "Failed" and attempts < max_attempts():
		values["next_attempt_at"] = add_to_date(now, seconds=backoff_seconds(attempts))
	frappe.db.set_value(EVENT_DOCTYPE, event_name, values)
	touch_last_webhook(now)


def backoff_seconds(attempts: int) -> int:
	"""1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd … failed attempt, at most an hour."""
	return min(60 * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def max_attempts() -> int:
	return cint(get_settings().max_attempts) or DEFAULT_MAX_ATTEMPTS


def describe_failure(error: Exception) -> str:
	if isinstance(error, ChatwootError):
		return f"{type(error).__name__}: {error}"  # already says what was called and what came back
	return frappe.get_traceback(with_context=False) or f"{type(error).__name__}: {error}"


_last_touched: dict[str, datetime] = {}  # by site: this process's last write of Last Webhook At


def touch_last_webhook(now: datetime) -> None:
	"""Keep the settings' Last Webhook At roughly current, without writing (or even reading) the
	Single on every event."""
	site = frappe.local.site
	if _last_touched.get(site) and _last_touched[site] > now - TOUCH_EVERY:
		return
	last = frappe.db.get_single_value(SETTINGS_DOCTYPE, "last_webhook_at")
	if not last or get_datetime(last) < now - TOUCH_EVERY:
		frappe.db.set_single_value(SETTINGS_DOCTYPE, "last_webhook_at", now, update_modified=False)
	_last_touched[site] = now
