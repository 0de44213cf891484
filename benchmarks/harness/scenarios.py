"""The scenarios: each drives a run and scores what it measured against the issue's goals."""

import re
import time
from datetime import datetime

import redis

from benchmarks.harness.goals import Scorecard
from benchmarks.harness.processes import HarnessError, wait_until
from benchmarks.harness.run import CommandRun, Run
from benchmarks.stats import percentile
from chat_bridge.webhook.retries import STALE_AFTER

MESSAGE_EVENTS = ("message_created",)


def accepted(results: list[dict]) -> list[dict]:
	return [r for r in results if r["status"] and 200 <= r["status"] < 300]


def unique_ids(results: list[dict], events: tuple[str, ...] | None = None) -> set[str]:
	return {r["delivery_id"] for r in results if events is None or r["event"] in events}


def seconds_between(first: datetime | None, last: datetime | None) -> float:
	return (last - first).total_seconds() if first and last else 0.0


def score_answers(card: Scorecard, results: list[dict], p99_goal_ms: float | None = None) -> None:
	ok = accepted(results)
	card.check("every delivery answered 2xx", f"{len(ok):,} of {len(results):,}", len(ok) == len(results))
	times = [r["ms"] for r in results]
	card.note(f"answers: median {percentile(times, 0.5):.0f} ms, p99 {percentile(times, 0.99):.0f} ms")
	if p99_goal_ms:
		p99 = percentile(times, 0.99)
		card.check(f"p99 answer < {p99_goal_ms:.0f} ms", f"{p99:.0f} ms", p99 < p99_goal_ms)


def score_outcome(card: Scorecard, run: Run, results: list[dict]) -> None:
	"""Nothing accepted lost, nothing written twice: against what the deliveries carried."""
	ok = accepted(results)
	expected = len(unique_ids(ok))
	statuses = run.site.event_statuses()
	final = statuses.get("Processed", 0) + statuses.get("Ignored", 0)
	card.note(f"event log: {dict(sorted(statuses.items()))}")
	card.check(
		"0 lost: every accepted delivery ends Processed or Ignored",
		f"{expected - final:,} lost of {expected:,}",
		final == expected and sum(statuses.values()) == expected,
	)
	records = run.site.records()
	card.note(f"records: {records}")
	twice = records["contacts twice"] + records["conversations twice"] + records["contacts sharing a Contact"]
	delivered = {r["id"] for r in ok if r["event"] in MESSAGE_EVENTS}
	# The scheduled reconciliation may have brought the mock's own older messages along too.
	kept = {i for i in run.site.message_ids() if not delivered or i >= min(delivered)}
	if kept != delivered:
		card.note(f"messages kept but not delivered: {sorted(kept - delivered)[:10]}")
		card.note(f"messages delivered but not kept: {sorted(delivered - kept)[:10]}")
	card.check(
		"0 duplicated records",
		f"{twice} written twice; {len(kept):,} messages kept for {len(delivered):,} delivered",
		twice == 0 and kept == delivered,
	)
	card.note(run.cpu_report())


def burst(run: Run, options) -> Scorecard:
	card = Scorecard(f"Burst: {options.deliveries:,} signed deliveries from {options.senders} senders")
	mock = run.start_mock()
	run.serve()
	duplicates = options.deliveries * 3 // 100
	started = time.monotonic()
	report = mock.burst(
		options.deliveries - duplicates, duplicates=duplicates, senders=options.senders, timeout=900
	)
	card.note(f"sent in {report['seconds']:.1f} s, {duplicates} of them twice; answers {report['statuses']}")
	score_answers(card, report["results"], p99_goal_ms=250)
	run.wait_drained(timeout=options.timeout)
	drained = time.monotonic() - started
	first, last, count = run.site.processing_span()
	card.note(
		f"drained {count:,} events in {drained:.0f} s from the first delivery: {count / drained:.1f} events/s "
		f"({count / max(seconds_between(first, last), 0.001):.1f}/s while the worker was at it)"
	)
	card.check("drained in < 4 min by one worker", f"{drained:.0f} s", drained < 240)
	score_outcome(card, run, report["results"])
	return card


def throughput(run: Run, options) -> Scorecard:
	card = Scorecard(f"Throughput: {options.events:,} message_created through one worker")
	mock = run.start_mock()
	run.serve()
	report = mock.burst(options.events, events=list(MESSAGE_EVENTS), senders=options.senders, timeout=600)
	score_answers(card, report["results"])
	run.wait_drained(timeout=options.timeout)
	first, last, count = run.site.processing_span()
	rate = count / max(seconds_between(first, last), 0.001)
	card.check(
		"≥ 50 events/s sustained",
		f"{rate:.1f} events/s over {count:,}",
		rate >= 50 and count >= options.events,
	)
	score_outcome(card, run, report["results"])
	return card


def worker_kill(run: Run, options) -> Scorecard:
	card = Scorecard("Worker killed (SIGKILL) mid-batch, then restarted")
	mock = run.start_mock()
	run.serve()
	report = mock.burst(options.events, senders=options.senders, timeout=600)
	score_answers(card, report["results"])
	wait_until(
		lambda: run.site.processing_span()[2] >= options.events // 4,
		timeout=300,
		what="a quarter of the events to be processed",
	)
	run.worker.kill()
	killed = time.monotonic()
	card.note(f"killed the worker (pid {run.worker.pid}) with SIGKILL at {run.site.event_statuses()}")
	time.sleep(2)
	run.start_worker()
	run.wait_drained(timeout=options.timeout)
	recovered = time.monotonic() - killed
	statuses = run.site.event_statuses()
	card.check(
		"none left Processing, none Failed",
		str(dict(sorted(statuses.items()))),
		not statuses.get("Processing") and not statuses.get("Failed"),
	)
	card.check(
		"every event processed again within the stale window after the restart",
		f"{recovered:.0f} s",
		recovered < STALE_AFTER.total_seconds(),
	)
	score_outcome(card, run, report["results"])
	return card


def redis_flush(run: Run, options) -> Scorecard:
	card = Scorecard("Redis flushed during a burst")
	mock = run.start_mock()
	run.serve()
	started = mock.start_burst(options.events, senders=options.senders, rate=options.rate)
	time.sleep(options.fault_after)
	for name in ("redis_queue", "redis_cache"):
		redis.Redis.from_url(run.site.conf[name]).flushall()
	card.note(f"flushed redis_queue and redis_cache {time.monotonic() - started:.0f} s into the burst")
	report = mock.wait_for_burst(timeout=900)
	score_answers(card, report["results"])
	drained = run.wait_drained(timeout=options.timeout)
	card.note(f"drained {drained:.0f} s after the last delivery, with no step taken by hand")
	score_outcome(card, run, report["results"])
	return card


def db_outage(run: Run, options) -> Scorecard:
	card = Scorecard(f"MariaDB stopped for {options.outage:.0f} s during a burst, then started")
	if not (options.db_stop and options.db_start):
		raise HarnessError("Give the commands that stop and start the database: --db-stop and --db-start.")
	mock = run.start_mock()
	run.serve()
	started = mock.start_burst(options.events, senders=options.senders, rate=options.rate)
	time.sleep(options.fault_after)
	run.shell(options.db_stop)
	down = time.monotonic() - started
	time.sleep(options.outage)
	run.shell(options.db_start)
	wait_until(run.site.reconnect, timeout=120, interval=1, what="the database to take connections again")
	up = time.monotonic() - started
	card.note(f"the database was away from {down:.0f} s to {up:.0f} s into the burst")
	report = mock.wait_for_burst(timeout=900)
	results = report["results"]
	refused = [r for r in results if not (r["status"] and 200 <= r["status"] < 300)]
	ours = [r for r in refused if r["status"] == 503 and "not accepted" in (r["answer"] or "")]
	clear = [
		r
		for r in refused
		if r["status"] and r["status"] >= 500 and r["ms"] < 1000 and "Traceback" not in (r["answer"] or "")
	]
	card.note(f"answers: {report['statuses']}; refused while away: {len(refused):,}")
	card.note(
		f"of them {len(ours):,} with the app's 503 sentence; the rest Frappe refused before the app ran, "
		f"e.g. {next((r['status'], r['answer'][:80]) for r in refused if r not in ours) if len(ours) < len(refused) else '-'}"
	)
	card.check(
		"deliveries while it was away get a clear 5xx at once (no traceback, within a second)",
		f"{len(clear):,} of {len(refused):,} refused",
		refused and len(clear) == len(refused),
	)
	run.wait_drained(timeout=options.timeout)
	ok = accepted(results)
	statuses = run.site.event_statuses()
	final = statuses.get("Processed", 0) + statuses.get("Ignored", 0)
	card.check(
		"every accepted delivery ends Processed",
		f"{final:,} of {len(unique_ids(ok)):,} ({dict(sorted(statuses.items()))})",
		final == len(unique_ids(ok)) == sum(statuses.values()),
	)
	before = run.site.records()
	summary = run.site.reconcile()
	after = run.site.records()
	sent = {r["id"] for r in results if r["event"] in MESSAGE_EVENTS}
	kept = {i for i in run.site.message_ids() if i >= min(sent)}
	card.note(f"reconciliation pulled {summary}; records before {before}, after {after}")
	if sent - kept:
		card.note(f"messages still missing: {sorted(sent - kept)[:10]}")
	card.check(
		"reconciliation brings back what was refused: every message Chatwoot has is in ERPNext",
		f"{len(kept & sent):,} of {len(sent):,} messages",
		kept == sent and not (after["contacts twice"] or after["conversations twice"]),
	)
	return card


RATE_LINE = re.compile(r"(\d+) contacts? in (\d+) s")
ETA = re.compile(r"\d\d:\d\d:\d\d")


def backfill(run: Run, options) -> Scorecard:
	card = Scorecard(f"Backfill of {options.contacts:,} contacts and {options.conversations:,} conversations")
	mock = run.start_mock(contacts=options.contacts, conversations=options.conversations)
	run.serve()
	listed = mock.stats()
	card.note(f"the mock holds {listed}")

	interrupted = CommandRun(run, "chatwoot", "backfill").start()
	wait_until(
		lambda: run.site.records()["contacts"] >= options.contacts // 10,
		timeout=600,
		what="a tenth of the contacts",
	)
	interrupted.interrupt()
	status = interrupted.wait(timeout=120)
	mapped = run.site.records()
	card.note(f"interrupted with Ctrl-C after {mapped['contacts']:,} contacts: exit {status}")
	card.check(
		"Ctrl-C stops it cleanly: a sentence, no traceback, nothing half-written",
		f"exit {status}, {'a traceback' if 'Traceback' in interrupted.output else 'no traceback'}",
		status == 130 and "Interrupted" in interrupted.output and "Traceback" not in interrupted.output,
	)

	measured = CommandRun(run, "chatwoot", "backfill", terminal=True).start()
	status = measured.wait(timeout=options.timeout)
	output = measured.output
	summary = [line.strip() for line in output.splitlines() if line.strip().startswith(("Done", "failed"))]
	card.note("its summary: " + " | ".join(summary[-3:]))
	match = RATE_LINE.search(output)
	created = run.site.records()["contacts"] - mapped["contacts"]
	seconds = int(match.group(2)) if match else 0
	rate = created / max(seconds, 1)
	card.check(
		"≥ 700 contacts/s into ERPNext",
		f"{created:,} new in {seconds} s: {rate:.0f}/s" if match else "no rate printed",
		rate >= 700,
	)
	growth = (max(measured.rss) - measured.rss[min(10, len(measured.rss) - 1)]) / 2**20 if measured.rss else 0
	card.check(
		"memory growth < 100 MB",
		f"{growth:.0f} MB (peak {max(measured.rss or [0]) / 2**20:.0f} MB)",
		growth < 100,
	)
	card.check(
		"a progress bar with counts and an ETA on the terminal, a clean summary at the end",
		f"exit {status}; bar {'seen' if 'Contacts' in output and ETA.search(output) else 'not seen'}",
		status == 0 and "Contacts" in output and bool(ETA.search(output)) and "Done:" in output,
	)
	records = run.site.records()
	card.note(f"records: {records}")
	card.check(
		"run again after the interruption without duplicates: every contact and conversation once",
		f"{records['contacts']:,} contacts, {records['conversations']:,} conversations, twice: "
		f"{records['contacts twice'] + records['conversations twice'] + records['contacts sharing a Contact']}",
		records["contacts"] >= options.contacts
		and records["conversations"] >= options.conversations
		and not (
			records["contacts twice"]
			or records["conversations twice"]
			or records["contacts sharing a Contact"]
		),
	)
	card.note(run.cpu_report())
	return card


def chatwoot_faults(run: Run, options) -> Scorecard:
	card = Scorecard("Chatwoot answering 429 (no Retry-After), 503 and timeouts")
	mock = run.start_mock(contacts=options.contacts, conversations=options.conversations)
	run.serve()
	since = mock.stats()["now"]

	# While events are processed: the agent list, asked when a conversation's assignee is new to the
	# site, as the agents an administrator adds in Chatwoot are.
	for number in range(3):
		mock.api(
			"POST",
			"/agents",
			name=f"New Agent {number}",
			email=f"new.agent.{number}.{since:.0f}@example.test",
		)
	faults = ((429, 5, 0), (503, 5, 0), (504, 2, 31))
	for status, times, delay in faults:
		mock.control("POST", "faults", status=status, times=times, path_contains="/agents", delay=delay)
	report = mock.burst(options.events, senders=options.senders, timeout=600)
	run.wait_drained(timeout=options.timeout)
	statuses = run.site.event_statuses()
	met = sum(times for _s, times, _d in faults) - mock.stats()["faults_left"]
	card.check(
		"during processing: Chatwoot's refusals met, every event still ends Processed",
		f"{met} refusals met; {dict(sorted(statuses.items()))}; "
		f"{run.site.pending_assignees()} assignees left waiting for Chatwoot",
		met > 0 and not statuses.get("Failed") and not statuses.get("Queued"),
	)
	mock.control("POST", "clear")
	# The site waits a minute after a failed read before asking again; the reconciliation runs every
	# five minutes: run it now and again until the minute is over.
	waited = time.monotonic()
	try:
		wait_until(
			lambda: run.site.reconcile() is not None and run.site.pending_assignees() == 0,
			timeout=150,
			interval=10,
			what="the reconciliation to name the assignees",
		)
	except HarnessError:
		pass
	card.check(
		"once Chatwoot answers, the reconciliation names them",
		f"{run.site.pending_assignees()} still waiting after {time.monotonic() - waited:.0f} s",
		run.site.pending_assignees() == 0,
	)
	score_outcome(card, run, report["results"])

	# During a backfill: the lists it pages through, and the messages of conversations: a few
	# refusals and a timeout it rides out, then one conversation Chatwoot keeps refusing.
	for status, times, path, delay in (
		(429, 3, "/contacts", 0),
		(504, 1, "/messages", 31),
		(503, 6, "/messages", 0),
		(503, 3, "/conversations", 0),
	):
		mock.control("POST", "faults", status=status, times=times, path_contains=path, delay=delay)
	first = CommandRun(run, "chatwoot", "backfill", "--quiet").start()
	first_status = first.wait(timeout=options.timeout)
	failures = [line for line in first.output.splitlines() if line.startswith(("failed:", "Error:"))]
	card.note(
		f"backfill with faults: exit {first_status}, {mock.stats()['faults_left']} refusals not met; "
		f"{len(failures)} failed, e.g. {failures[:1]}"
	)
	mock.control("POST", "clear")
	again = CommandRun(run, "chatwoot", "backfill", "--quiet").start()
	again_status = again.wait(timeout=options.timeout)
	records = run.site.records()
	listed = mock.stats()
	card.check(
		"during a backfill: retried with backoff, what still failed is named and a second run brings it",
		f"exit {first_status} then {again_status}; {records['contacts']:,} contacts and "
		f"{records['conversations']:,} conversations for the mock's {listed['contacts']:,} and {listed['conversations']:,}",
		again_status == 0
		and records["contacts"] >= listed["contacts"]
		and records["conversations"] >= listed["conversations"]
		and all(f.count(":") >= 2 for f in failures),
	)
	busiest = mock.stats(since)["busiest_second"]
	card.check(
		"the client never exceeds 50 requests/s to one Chatwoot", f"busiest second: {busiest}", busiest <= 50
	)
	return card


def push_context(run: Run, options) -> Scorecard:
	card = Scorecard(f"push-context for {options.contacts:,} customers")
	mock = run.start_mock(contacts=options.contacts)
	run.serve(enable_chatwoot_app=1)
	mapped = CommandRun(run, "chatwoot", "backfill", "--quiet").start()
	if mapped.wait(timeout=options.timeout) != 0:
		raise HarnessError(f"The backfill that maps the mock's contacts failed:\n{mapped.output}")
	customers = run.site.link_customers()
	card.note(f"{customers:,} Customers, each with a Contact mapped to one of the mock's contacts")

	since = mock.stats()["now"]
	started = time.monotonic()
	pushed = CommandRun(run, "chatwoot", "push-context", terminal=True).start()
	status = pushed.wait(timeout=options.timeout)
	seconds = time.monotonic() - started
	stats = mock.stats(since)
	done = [line.strip() for line in pushed.output.splitlines() if line.strip().startswith("Done")]
	card.note(f"its summary: {' | '.join(done)}; {seconds:.0f} s, {customers / seconds:.1f} customers/s")
	card.check(
		"every customer's context pushed, with progress shown",
		f"exit {status}; bar {'seen' if 'Customers' in pushed.output and ETA.search(pushed.output) else 'not seen'}; "
		f"{stats['contacts_with_customer']:,} of the mock's contacts show it",
		status == 0 and stats["contacts_with_customer"] >= customers and bool(ETA.search(pushed.output)),
	)
	card.check(
		"stays under Chatwoot's 50 requests/s",
		f"busiest second: {stats['busiest_second']}",
		stats["busiest_second"] <= 50,
	)
	card.note(run.cpu_report())
	return card
