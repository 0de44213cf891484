"""How fast message_created events become Communications in a real site, with one worker.

Beside it, in the same run and on the same site, the rate of plain
`frappe.get_doc({"doctype": "Communication", …}).insert()` with a commit each, as the baseline.
Prints both rates and their ratio (goal: at least 50 events/s). Everything it creates is removed.

Run from the bench's sites folder with the bench's Python:

	cd ~/frappe-bench/sites && PYTHONPATH=../apps/chat_bridge ../env/bin/python -m benchmarks.bench_sync_throughput --site mysite

By default the processing job runs here, in this process, as a worker runs it. With --queue the
site's own worker runs it, woken as the endpoint wakes it, and the time is taken until it has
processed every event; that adds the worker's fork and imports, paid once per job. Measure against a
worker started as production starts it: `bench start` sets DEV_SERVER, under which Frappe imports a
DocType's controller again for every document.
"""

import argparse
import json
import random
import time
from pathlib import Path

from benchmarks.stats import ratio_line

EXAMPLE = (
	Path(__file__).resolve().parent.parent
	/ "tests"
	/ "fixtures"
	/ "webhooks"
	/ "message_created_incoming.json"
)


def message_payloads(count: int, base: int) -> list[dict]:
	template = json.loads(EXAMPLE.read_text())
	payloads = []
	for number in range(count):
		payload = json.loads(json.dumps(template))
		payload["id"] = base * 10_000 + number
		payload["content"] = f"Benchmark message {number}"
		payload["conversation"]["id"] = base
		payload["sender"]["id"] = payload["conversation"]["meta"]["sender"]["id"] = base
		payload["sender"]["email"] = payload["conversation"]["meta"]["sender"]["email"] = (
			f"bench{base}@example.test"
		)
		payloads.append(payload)
	return payloads


def baseline_rate(frappe, count: int, base: int) -> float:
	started = time.perf_counter()
	for number in range(count):
		frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Chat",
				"sent_or_received": "Received",
				"subject": f"Baseline {base}",
				"content": f"Baseline message {number}",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
	return count / (time.perf_counter() - started)


def processing_rate(frappe, payloads: list[dict], *, queue: bool, base: int) -> float:
	from chat_bridge.webhook.log import EVENT_DOCTYPE, insert_event
	from chat_bridge.webhook.processing import process_queued_events, wake_processing

	names = [
		insert_event(
			{
				"delivery_id": f"bench-{base}-{number}",
				"event": "message_created",
				"account_id": payload["account"]["id"],
				"received_at": frappe.utils.now_datetime(),
				"payload": json.dumps(payload),
				"status": "Queued",
			}
		)
		for number, payload in enumerate(payloads)
	]
	frappe.db.commit()
	started = time.perf_counter()
	if queue:
		wake_processing()  # as the endpoint does after each delivery; the first wakes the job
		frappe.db.commit()
		while frappe.db.count(
			EVENT_DOCTYPE, {"name": ("in", names), "status": ("in", ("Queued", "Processing"))}
		):
			time.sleep(0.05)
			frappe.db.rollback()
	else:
		process_queued_events()
	elapsed = time.perf_counter() - started
	failed = frappe.db.count(EVENT_DOCTYPE, {"name": ("in", names), "status": "Failed"})
	if failed:
		raise SystemExit(f"{failed} events failed; see Chatwoot Webhook Event")
	return len(names) / elapsed


def clean_up(frappe, base: int) -> None:
	"""Remove the run's rows directly: `delete_doc` would leave one background job per row in the
	site's queue, and the next `--queue` run would be measured behind them."""
	frappe.db.rollback()
	communications = frappe.get_all(
		"Communication",
		or_filters={"subject": f"Baseline {base}", "name": ("like", f"CW-%-{base}____")},
		pluck="name",
	)
	contacts = frappe.get_all(
		"Chatwoot Contact Mapping", filters={"chatwoot_contact_id": base}, pluck="contact"
	)
	contacts = list(filter(None, contacts))
	if communications:
		frappe.db.delete("Communication Link", {"parent": ("in", communications)})
		frappe.db.delete("Communication", {"name": ("in", communications)})
	if contacts:
		for child in ("Contact Email", "Contact Phone", "Dynamic Link"):
			frappe.db.delete(child, {"parenttype": "Contact", "parent": ("in", contacts)})
		frappe.db.delete("Contact", {"name": ("in", contacts)})
	frappe.db.delete("Chatwoot Conversation Mapping", {"chatwoot_conversation_id": base})
	frappe.db.delete("Chatwoot Contact Mapping", {"chatwoot_contact_id": base})
	frappe.db.delete("Chatwoot Webhook Event", {"delivery_id": ("like", f"bench-{base}-%")})
	frappe.db.commit()


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--events", type=int, default=500)
	parser.add_argument("--queue", action="store_true", help="process through the site's worker")
	parser.add_argument("--smoke", action="store_true", help="a few events: does it run")
	args = parser.parse_args()
	if args.smoke:
		args.events = 10

	import frappe

	frappe.init(site=args.site)
	frappe.connect()
	frappe.set_user("Administrator")
	from chat_bridge.features import Feature
	from chat_bridge.settings import feature_enabled

	if not feature_enabled(Feature.MESSAGE_SYNC):
		raise SystemExit("Turn on Enable Integration, Enable Sync and Enable Message Sync on the site first.")
	base = random.randint(10_000, 99_999)
	try:
		baseline = baseline_rate(frappe, args.events, base)
		rate = processing_rate(frappe, message_payloads(args.events, base), queue=args.queue, base=base)
	finally:
		clean_up(frappe, base)
		frappe.destroy()
	how = "the site's worker" if args.queue else "the processing job, in this process"
	print(f"events: {args.events} message_created, processed by {how}")
	print(f"baseline get_doc().insert() + commit: {baseline:7.1f} Communications/s")
	print(f"message_created → Communication:      {rate:7.1f} events/s")
	print(ratio_line("baseline/sync time per event", baseline / rate))
	print(f"goal >= 50 events/s: {'met' if rate >= 50 else 'NOT met'}")


if __name__ == "__main__":
	main()
