"""How long the support reports take over a busy support desk's history.

Seeds 100,000 conversation mappings spread over a year (agents, inboxes, teams, labels, statuses,
when each was first answered and resolved) and 1,000,000 chat Communications, then runs each report as
the desk runs it (`frappe.desk.query_report.run`) for the last 30 days and for the whole year, in
every view of Chatwoot Conversation Analysis, and prints each time beside a bare count of the same
mappings measured in the same run (goal: every report under 2 s). Everything seeded is removed.

Run from the bench's sites folder with the bench's Python:

	cd ~/frappe-bench/sites && PYTHONPATH=../apps/chat_bridge ../env/bin/python -m benchmarks.bench_reports --site mysite
"""

import argparse
import random
import time
from datetime import datetime, timedelta

from benchmarks.stats import ratio_line

MAPPINGS, MESSAGES = 100_000, 1_000_000
CHUNK = 10_000
AGENTS = 40
ACCOUNT = 990_001  # an account of its own: a site's real conversations are neither counted nor removed
TAG = "BENCH"
VIEWS = (
	"Day",
	"Status",
	"Inbox",
	"Team",
	"Label",
	"Priority",
	"Assignee",
	"Hour of Day",
	"First Response Time",
	"Resolution Time",
)


def seed(frappe, now: datetime, rng: random.Random, mappings: int, messages: int) -> None:
	common = {"owner": "Administrator", "modified_by": "Administrator", "creation": now, "modified": now}
	fields = (
		"name",
		"account_id",
		"chatwoot_conversation_id",
		"inbox_id",
		"status",
		"priority",
		"labels",
		"team",
		"chatwoot_assignee_id",
		"chatwoot_created_at",
		"first_reply_at",
		"resolved_at",
		"reopened_count",
		*common,
	)
	labels = ("", "vip", "billing", "vip, billing", "returns", "billing, returns")
	for start in range(0, mappings, CHUNK):
		rows = []
		for number in range(start, min(start + CHUNK, mappings)):
			began = now - timedelta(seconds=rng.randint(0, 365 * 86400))
			replied = rng.random() < 0.9
			reply = rng.randint(20, 20_000) if replied else None
			resolved = rng.random() < 0.7
			resolution = rng.randint(600, 7 * 86400) if resolved else None
			rows.append(
				(
					f"{TAG}-{number}",
					ACCOUNT,
					900_000_000 + number,
					rng.choice((7, 8, 9)),
					"resolved" if resolved else rng.choice(("open", "pending", "snoozed")),
					rng.choice(("", "low", "medium", "high", "urgent")),
					rng.choice(labels),
					rng.choice(("", "Sales", "Support")),
					rng.randint(1, AGENTS),
					began,
					began + timedelta(seconds=reply) if reply else None,
					began + timedelta(seconds=resolution) if resolution else None,
					0,
					*common.values(),
				)
			)
		frappe.db.bulk_insert("Chatwoot Conversation Mapping", fields, rows)
		frappe.db.commit()
	message_fields = (
		"name",
		"communication_type",
		"communication_medium",
		"sent_or_received",
		"subject",
		"content",
		"sender",
		"communication_date",
		"reference_doctype",
		"reference_name",
		*common,
	)
	for start in range(0, messages, CHUNK):
		rows = [
			(
				f"CW-{ACCOUNT}-{number}",
				"Communication",
				"Chat",
				"Sent" if number % 2 else "Received",
				"Chatwoot conversation",
				f"Message {number} about order SO-{number % 5000:05d}",
				f"agent{rng.randint(1, AGENTS)}@example.test"
				if number % 2
				else f"customer{number % 20000}@example.test",
				now - timedelta(seconds=rng.randint(0, 365 * 86400)),
				"Chatwoot Conversation Mapping",
				f"{TAG}-{number % mappings}",
				*common.values(),
			)
			for number in range(start, min(start + CHUNK, messages))
		]
		frappe.db.bulk_insert("Communication", message_fields, rows)
		frappe.db.commit()


def clean_up(frappe) -> None:
	"""Delete what was seeded, in slices, so that no transaction grows huge."""
	frappe.db.rollback()
	for doctype, prefix in (
		("Communication", f"CW-{ACCOUNT}-"),
		("Chatwoot Conversation Mapping", f"{TAG}-"),
	):
		table = f"`tab{doctype}`"
		while frappe.db.sql(f"select 1 from {table} where name like %s limit 1", f"{prefix}%"):  # noqa: S608
			frappe.db.sql(f"delete from {table} where name like %s limit 50000", f"{prefix}%")  # noqa: S608
			frappe.db.commit()


def timed(fn) -> float:
	started = time.perf_counter()
	fn()
	return time.perf_counter() - started


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--keep", action="store_true", help="leave the seeded rows for another run")
	parser.add_argument("--reuse", action="store_true", help="use rows a --keep run left")
	parser.add_argument("--smoke", action="store_true", help="a small history: does it run")
	args = parser.parse_args()
	sizes = (2_000, 20_000) if args.smoke else (MAPPINGS, MESSAGES)

	import frappe
	from frappe.desk.query_report import run

	from chat_bridge.settings import SETTINGS_DOCTYPE
	from chat_bridge.settings_cache import clear_flags_cache

	frappe.init(site=args.site)
	frappe.connect()
	frappe.set_user("Administrator")
	# The synced data's figures are measured: Chatwoot's own report path waits on Chatwoot.
	measured = {"account_id": ACCOUNT, "enable_api": 0}
	saved = {field: frappe.db.get_single_value(SETTINGS_DOCTYPE, field) for field in measured}
	for field, value in measured.items():
		frappe.db.set_single_value(SETTINGS_DOCTYPE, field, value)
	frappe.db.commit()
	frappe.clear_document_cache(SETTINGS_DOCTYPE, SETTINGS_DOCTYPE)
	clear_flags_cache()
	now = datetime.now().replace(microsecond=0)
	try:
		if not args.reuse:
			started = time.perf_counter()
			seed(frappe, now, random.Random(7), *sizes)
			print(
				f"seeded {sizes[0]} mappings and {sizes[1]} chat messages in {time.perf_counter() - started:.0f} s"
			)
		periods = {
			"last 30 days": {"from_date": (now - timedelta(days=29)).date(), "to_date": now.date()},
			"last year": {"from_date": (now - timedelta(days=365)).date(), "to_date": now.date()},
		}
		worst, worst_ratio = 0.0, 0.0
		for period, dates in periods.items():
			baseline = timed(
				lambda d=dates: frappe.db.sql(
					"""select count(*) from `tabChatwoot Conversation Mapping`
					where account_id = %s and chatwoot_created_at >= %s and chatwoot_created_at < %s""",
					(ACCOUNT, d["from_date"], d["to_date"] + timedelta(days=1)),
				)
			)
			print(f"{period}: a bare count of the period's conversations took {baseline * 1000:.0f} ms")
			reports = [("Chatwoot Agent Performance", {})] + [
				("Chatwoot Conversation Analysis", {"view": view}) for view in VIEWS
			]
			for name, extra in reports:
				seconds = min(
					timed(lambda n=name, f={**dates, **extra}: run(n, filters=f, ignore_prepared_report=True))
					for _ in range(2)
				)
				worst = max(worst, seconds)
				worst_ratio = max(worst_ratio, seconds / baseline)
				label = f"{name}{' by ' + extra['view'] if extra else ''}"
				print(f"  {label:<52} {seconds * 1000:7.0f} ms  ({seconds / baseline:6.1f} x the count)")
		print(f"slowest: {worst * 1000:.0f} ms; goal under 2 s: {'met' if worst < 2 else 'missed'}")
		print(ratio_line("slowest report/bare count", worst_ratio))
	finally:
		for field, value in saved.items():
			frappe.db.set_single_value(SETTINGS_DOCTYPE, field, value)
		frappe.db.commit()
		frappe.clear_document_cache(SETTINGS_DOCTYPE, SETTINGS_DOCTYPE)
		clear_flags_cache()
		if not args.keep:
			clean_up(frappe)
		frappe.destroy()


if __name__ == "__main__":
	main()
