"""A reminder run for many overdue invoices: how fast Chatwoot Notification sends go, and whether they
keep within Chatwoot's rate limit.

In a real site with ERPNext, against the mock Chatwoot started in this process: N submitted Sales
Invoices of one customer fall due three days ago, a "3 Days After" Chatwoot Notification with the
invoice's PDF is set up, the day's run (`send_date_notifications`) queues one send per invoice, and
the sends are delivered here one after another, as the site's one worker delivers them. Prints the
sends per second, the busiest second of requests the mock saw against Chatwoot's limit (3,000
requests a minute from one address, rack_attack.rb; the clients keep to 50 a second), and how long
the day's run itself took. Everything it creates is removed, and the site's settings are put back.

Run from the bench's sites folder with the bench's Python:

	cd ~/frappe-bench/sites && PYTHONPATH=../apps/chat_bridge ../env/bin/python -m benchmarks.bench_document_sends --site erp.localhost

`--no-print` sends the reminder without the PDF, which is what Chatwoot's pace alone allows.
"""

import argparse
import sys
import time
from pathlib import Path

from benchmarks.stats import ratio_line

REPO = Path(__file__).resolve().parents[1]
CHATWOOT_LIMIT_PER_SECOND = 3000 / 60  # Rack::Attack's throttle on one address


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--invoices", type=int, default=1000)
	parser.add_argument("--no-print", action="store_true", help="send the reminder without the PDF")
	parser.add_argument("--smoke", action="store_true", help="a few invoices: does it run")
	args = parser.parse_args()
	if args.smoke:
		args.invoices = 5

	import frappe

	frappe.init(site=args.site)
	frappe.connect()
	frappe.set_user("Administrator")
	if "erpnext" not in frappe.get_installed_apps():
		raise SystemExit("Sending invoices needs ERPNext on the site.")
	sys.path.insert(0, str(REPO))
	from tests.mock_chatwoot_api import MockChatwoot

	mock = MockChatwoot().start()
	run = Run(frappe, mock, args.invoices, attach_print=not args.no_print)
	try:
		run.set_up()
		queued, delivered = run.measure()
	finally:
		run.clean_up()
		mock.stop()
		frappe.destroy()
	busiest = mock.busiest_second(since=run.started)
	print(f"invoices: {args.invoices} overdue, one reminder each{'' if args.no_print else ' with its PDF'}")
	print(f"the day's run queued them in {queued:.2f} s")
	print(f"sends: {args.invoices / delivered:.1f} a second, one worker ({delivered:.1f} s in all)")
	print(f"busiest second at the mock: {busiest} requests (Chatwoot allows {CHATWOOT_LIMIT_PER_SECOND:g})")
	print(ratio_line("busiest second/Chatwoot's limit", busiest / CHATWOOT_LIMIT_PER_SECOND, 1.0))


class Run:
	def __init__(self, frappe, mock, invoices: int, attach_print: bool):
		self.frappe, self.mock, self.count, self.attach_print = frappe, mock, invoices, attach_print
		self.invoices: list[str] = []
		self.saved = None
		self.started = 0.0

	def set_up(self) -> None:
		frappe = self.frappe
		from frappe.utils import add_days, nowdate

		from chat_bridge.records.outbound import link_to_chatwoot
		from chat_bridge.settings import SETTINGS_DOCTYPE

		settings = frappe.get_single(SETTINGS_DOCTYPE)
		self.saved = {field: settings.get(field) for field in BENCHMARK_SETTINGS}
		# A Password field reads as asterisks, which a save leaves alone: keep the token itself.
		self.saved["api_access_token"] = settings.get_password("api_access_token", raise_exception=False)
		settings.update(
			{
				"enabled": 1,
				"enable_documents": 1,
				"chatwoot_url": self.mock.url,
				"account_id": self.mock.default_account_id,
				"api_access_token": "admin-token",
			}
		)
		settings.save(ignore_permissions=True)
		self.customer = frappe.get_doc({"doctype": "Customer", "customer_name": "Reminded Trading"}).insert()
		self.contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Reminded",
				"email_ids": [{"email_id": "reminded@example.test", "is_primary": 1}],
				"links": [{"link_doctype": "Customer", "link_name": self.customer.name}],
			}
		).insert()
		link_to_chatwoot(self.contact.name, self.mock.default_account_id, 1042)
		due = add_days(nowdate(), -3)
		for _number in range(self.count):
			invoice = frappe.get_doc(
				{
					"doctype": "Sales Invoice",
					"customer": self.customer.name,
					"contact_person": self.contact.name,
					"docstatus": 1,
					"currency": "USD",
					"due_date": due,
					"grand_total": 120,
					"outstanding_amount": 120,
				}
			)
			invoice.name = frappe.generate_hash(length=10)
			invoice.db_insert()
			self.invoices.append(invoice.name)
		self.notification = frappe.get_doc(
			{
				"doctype": "Chatwoot Notification",
				"document_type": "Sales Invoice",
				"event": "Days After",
				"date_field": "due_date",
				"days": 3,
				"condition": "doc.outstanding_amount > 0",
				"inbox_id": self.mock.conversation(58)["inbox_id"],
				"message": "Invoice {{ doc.name }} is overdue: {{ doc.outstanding_amount }} to pay.",
				"attach_print": int(self.attach_print),
			}
		).insert(set_name=f"Benchmark reminder {frappe.generate_hash(length=6)}")
		frappe.db.commit()

	def measure(self) -> tuple[float, float]:
		"""Seconds the day's run took to queue the sends, and the sends took to go."""
		frappe = self.frappe
		from chat_bridge.documents import notify, send

		enqueue = send.enqueue_delivery
		send.enqueue_delivery = lambda name: None  # delivered below, as the worker would
		try:
			self.started = time.monotonic()
			started = time.perf_counter()
			notify.send_date_notifications()
			frappe.db.commit()
			queued = time.perf_counter() - started
			names = frappe.get_all(send.SEND_DOCTYPE, {"notification": self.notification.name}, pluck="name")
			started = time.perf_counter()
			for name in names:
				send.deliver(name)
			delivered = time.perf_counter() - started
		finally:
			send.enqueue_delivery = enqueue
		sent = frappe.db.count(send.SEND_DOCTYPE, {"notification": self.notification.name, "status": "Sent"})
		if sent != self.count:
			raise SystemExit(f"{sent} of {self.count} reminders were sent; see Chatwoot Document Send")
		return queued, delivered

	def clean_up(self) -> None:
		frappe = self.frappe
		from chat_bridge.settings import SETTINGS_DOCTYPE

		frappe.db.rollback()
		frappe.set_user("Administrator")
		notification = getattr(self, "notification", None)
		if notification:
			communications = frappe.get_all(
				"Chatwoot Document Send", {"notification": notification.name}, pluck="communication"
			)
			communications = [c for c in communications if c]
			if communications:
				frappe.db.delete(
					"File",
					{"attached_to_doctype": "Communication", "attached_to_name": ("in", communications)},
				)
				frappe.db.delete("Communication Link", {"parent": ("in", communications)})
				frappe.db.delete("Communication", {"name": ("in", communications)})
			frappe.db.delete("Chatwoot Document Send", {"notification": notification.name})
			frappe.db.delete("Chatwoot Notification", {"name": notification.name})
		if self.invoices:
			frappe.db.delete("Sales Invoice", {"name": ("in", self.invoices)})
		if getattr(self, "contact", None):
			frappe.db.delete("Chatwoot Contact Mapping", {"contact": self.contact.name})
			frappe.delete_doc("Contact", self.contact.name, force=True)
		if getattr(self, "customer", None):
			frappe.delete_doc("Customer", self.customer.name, force=True)
		if self.saved is not None:
			settings = frappe.get_single(SETTINGS_DOCTYPE)
			settings.update(self.saved)
			settings.save(ignore_permissions=True)
		frappe.db.commit()


BENCHMARK_SETTINGS = ("enabled", "enable_documents", "chatwoot_url", "account_id", "api_access_token")


if __name__ == "__main__":
	main()
