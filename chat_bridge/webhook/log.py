"""The webhook log: one row per accepted delivery, written while Chatwoot waits for the answer."""

import frappe
from frappe.utils import now_datetime

EVENT_DOCTYPE = "Chatwoot Webhook Event"


def insert_event(values: dict) -> str | None:
	"""Add one delivery to the log; None when its delivery key is there already.

	A plain INSERT rather than Document.insert(): this runs inside Chatwoot's 5-second budget on
	every delivery, and the document machinery (hooks, realtime list updates, search index) costs
	several times the insert itself while adding nothing to a log row. The unique index on
	delivery_id, not a lookup first, is what turns a concurrent duplicate away.
	"""
	table = frappe.qb.DocType(EVENT_DOCTYPE)
	now = now_datetime()
	for _attempt in range(3):
		row = {
			"name": frappe.generate_hash(length=10),
			"creation": now,
			"modified": now,
			"owner": frappe.session.user,
			"modified_by": frappe.session.user,
			"docstatus": 0,
			"idx": 0,
			"attempts": 0,
			# Left out, a column takes its default (0 for numbers); NULL would break NOT NULL columns.
			**{field: value for field, value in values.items() if value is not None},
		}
		try:
			frappe.qb.into(table).columns(*row).insert(*row.values()).run()
			return row["name"]
		except Exception as error:
			if frappe.db.is_primary_key_violation(error):
				continue  # the random name was taken: draw another
			if frappe.db.is_unique_key_violation(error):
				return None
			raise
	raise RuntimeError("Could not find a free name for a Chatwoot Webhook Event.")
