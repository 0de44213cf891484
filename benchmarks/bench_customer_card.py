"""How fast the customer card answers for a big customer, beside the same site's /api/method/ping.

Seeds a Customer with 2,000 Sales Invoices and 500 Sales Orders (rows as the card reads them,
written straight to the tables: the card only reads them), a Contact of theirs mapped to a Chatwoot
contact, and a viewer who may read all of it; then asks the served site for the card (as the card's
frame does, with a card token) and for ping, alternating, and prints the median and p95 of each and
their ratios. Goals: the card's p95 under 300 ms, and within three times ping's. The site needs
ERPNext; ERPNext in Chatwoot is switched on for the run and the settings are put back, and
everything seeded is removed. Both the card read afresh and the card as the same agent saw it a
moment ago (Chatwoot mounts the card again on every switch between conversations) are measured.

Run from the bench's sites folder with the bench's Python, against the site as served:

	cd ~/frappe-bench/sites && PYTHONPATH=../apps/chat_bridge ../env/bin/python \\
		-m benchmarks.bench_customer_card --site erp.localhost --url http://127.0.0.1:8001
"""

import argparse
import statistics
import time

import requests

from benchmarks.stats import percentile, ratio_line

INVOICES, ORDERS = 2000, 500
VIEWER = "card.bench@example.test"
ROLES = ("Sales User", "Accounts User", "Support Team")


def seed(frappe, tag: str, invoices: int = INVOICES, orders: int = ORDERS) -> dict:
	from frappe.utils import add_days, now_datetime, nowdate

	customer = frappe.get_doc({"doctype": "Customer", "customer_name": f"Bench Customer {tag}"}).insert(
		ignore_permissions=True
	)
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": "Bench",
			"last_name": tag,
			"links": [{"link_doctype": "Customer", "link_name": customer.name}],
		}
	).insert(ignore_permissions=True)
	chatwoot_contact_id = 900_000_000 + int(time.time()) % 1_000_000
	frappe.get_doc(
		{
			"doctype": "Chatwoot Contact Mapping",
			"account_id": frappe.db.get_single_value("Chatwoot Integration Settings", "account_id"),
			"chatwoot_contact_id": chatwoot_contact_id,
			"contact": contact.name,
		}
	).insert(ignore_permissions=True)
	now, today = now_datetime(), nowdate()
	common = {"creation": now, "modified": now, "owner": "Administrator", "modified_by": "Administrator"}
	invoice_rows = [
		(
			f"BENCH-SI-{tag}-{n}",
			customer.name,
			1,
			add_days(today, -(n % 400)),
			add_days(today, 30 - n % 400),
			"Unpaid" if n % 3 else "Paid",
			100.0,
			0.0 if n % 3 == 0 else 100.0,
			"USD",
			*common.values(),
		)
		for n in range(invoices)
	]
	frappe.db.bulk_insert(
		"Sales Invoice",
		(
			"name",
			"customer",
			"docstatus",
			"posting_date",
			"due_date",
			"status",
			"grand_total",
			"outstanding_amount",
			"currency",
			*common,
		),
		invoice_rows,
	)
	order_rows = [
		(
			f"BENCH-SO-{tag}-{n}",
			customer.name,
			1,
			add_days(today, -(n % 400)),
			add_days(today, 10 - n % 400),
			"To Deliver and Bill" if n % 5 else "Completed",
			50.0 if n % 5 else 100.0,
			250.0,
			"USD",
			*common.values(),
		)
		for n in range(orders)
	]
	frappe.db.bulk_insert(
		"Sales Order",
		(
			"name",
			"customer",
			"docstatus",
			"transaction_date",
			"delivery_date",
			"status",
			"per_delivered",
			"grand_total",
			"currency",
			*common,
		),
		order_rows,
	)
	if not frappe.db.exists("User", VIEWER):
		frappe.get_doc(
			{"doctype": "User", "email": VIEWER, "first_name": "Card Bench", "send_welcome_email": 0}
		).insert(ignore_permissions=True)
	viewer = frappe.get_doc("User", VIEWER)
	viewer.set("roles", [{"role": role} for role in ROLES])
	viewer.save(ignore_permissions=True)
	frappe.db.commit()
	return {"customer": customer.name, "contact": contact.name, "chatwoot_contact_id": chatwoot_contact_id}


def clean_up(frappe, tag: str, seeded: dict) -> None:
	frappe.db.rollback()
	frappe.db.delete("Sales Invoice", {"name": ("like", f"BENCH-SI-{tag}-%")})
	frappe.db.delete("Sales Order", {"name": ("like", f"BENCH-SO-{tag}-%")})
	frappe.db.delete("Chatwoot Contact Mapping", {"chatwoot_contact_id": seeded["chatwoot_contact_id"]})
	frappe.db.delete("Dynamic Link", {"link_doctype": "Customer", "link_name": seeded["customer"]})
	frappe.delete_doc("Contact", seeded["contact"], ignore_permissions=True, force=True)
	frappe.delete_doc("Customer", seeded["customer"], ignore_permissions=True, force=True)
	frappe.delete_doc("User", VIEWER, ignore_permissions=True, force=True)
	frappe.db.commit()


def measure(url: str, host: str, token: str, chatwoot_contact_id: int, rounds: int) -> dict[str, list[float]]:
	"""Latencies (ms) of the card read afresh, the card as just seen (what a conversation switch asks
	for), and ping, alternating."""
	from chat_bridge.card.access import CARD_TOKEN_HEADER

	session = requests.Session()
	session.headers["Host"] = host
	card_url = f"{url}/api/method/chat_bridge.card.api.get_card"
	asks = {
		"card, read afresh": lambda: session.get(
			card_url,
			params={"contact_id": chatwoot_contact_id, "fresh": 1},
			headers={CARD_TOKEN_HEADER: token},
			timeout=30,
		),
		"card, as just seen": lambda: session.get(
			card_url,
			params={"contact_id": chatwoot_contact_id},
			headers={CARD_TOKEN_HEADER: token},
			timeout=30,
		),
		"ping": lambda: session.get(f"{url}/api/method/ping", timeout=30),
	}
	times: dict[str, list[float]] = {kind: [] for kind in asks}
	for number in range(rounds + 5):
		for kind, ask in asks.items():
			started = time.perf_counter()
			answer = ask()
			if not answer.ok:
				raise SystemExit(f"{kind}: {answer.status_code} {answer.text[:500]}")
			if number >= 5:  # the first few warm the worker up
				times[kind].append((time.perf_counter() - started) * 1000)
	data = asks["card, read afresh"]().json()["message"]["data"]
	assert data["party"] and len(data["orders"]) == 5 and len(data["invoices"]) == 5, data
	return times


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--url", required=True, help="where the site is served, e.g. http://127.0.0.1:8001")
	parser.add_argument("--host", help="the Host header, when the server serves several sites")
	parser.add_argument("--rounds", type=int, default=200)
	parser.add_argument("--smoke", action="store_true", help="a small customer, a few rounds: does it run")
	args = parser.parse_args()
	sizes = {"invoices": INVOICES, "orders": ORDERS}
	if args.smoke:
		sizes, args.rounds = {"invoices": 20, "orders": 5}, 5

	import frappe

	from chat_bridge.card.access import issue_card_token, revoke_card_token
	from chat_bridge.settings import SETTINGS_DOCTYPE
	from chat_bridge.settings_cache import clear_flags_cache

	frappe.init(site=args.site)
	frappe.connect()
	if not frappe.db.table_exists("Customer"):
		raise SystemExit("The card's customer sections need ERPNext on the site.")
	saved = frappe.db.get_singles_dict(SETTINGS_DOCTYPE)
	# What the card needs switched on, keeping the site's own Chatwoot where it has one.
	needed = {
		"enabled": 1,
		"enable_chatwoot_app": 1,
		"account_id": saved.get("account_id") or 3,
		"chatwoot_url": saved.get("chatwoot_url") or "https://chat.example.com",
	}
	tag = frappe.generate_hash(length=6)
	for field, value in needed.items():
		frappe.db.set_single_value(SETTINGS_DOCTYPE, field, value)
	seeded = seed(frappe, tag, **sizes)
	token = issue_card_token(VIEWER)
	try:
		frappe.db.commit()
		frappe.clear_document_cache(SETTINGS_DOCTYPE, SETTINGS_DOCTYPE)
		clear_flags_cache()
		times = measure(args.url, args.host or args.site, token, seeded["chatwoot_contact_id"], args.rounds)
	finally:
		revoke_card_token(token)
		for field in needed:
			frappe.db.set_single_value(SETTINGS_DOCTYPE, field, saved.get(field))
		frappe.db.commit()
		frappe.clear_document_cache(SETTINGS_DOCTYPE, SETTINGS_DOCTYPE)
		clear_flags_cache()
		clean_up(frappe, tag, seeded)
		frappe.destroy()

	ping = times.pop("ping")
	ping_p95 = percentile(ping, 0.95)
	print(f"customer with {sizes['invoices']} invoices and {sizes['orders']} orders, {len(ping)} rounds")
	print(f"ping: median {statistics.median(ping):.1f} ms, p95 {ping_p95:.1f} ms")
	for kind, card in times.items():
		card_p95 = percentile(card, 0.95)
		print(
			f"{kind}: median {statistics.median(card):.1f} ms, p95 {card_p95:.1f} ms; "
			f"p95 < 300 ms: {'met' if card_p95 < 300 else 'missed'}"
		)
		print(ratio_line(f"{kind}/ping p95", card_p95 / ping_p95, 3))


if __name__ == "__main__":
	main()
