"""Processing recorded events again by hand: the Retry button, and `bench chatwoot replay`."""

from datetime import datetime

import frappe
from frappe import _

from chat_bridge.permissions import require_chatwoot_admin
from chat_bridge.webhook.log import EVENT_DOCTYPE
from chat_bridge.webhook.processing import enqueue_processing, process_event

REPLAYABLE = ("Queued", "Failed", "Ignored", "Processed")


@frappe.whitelist(methods=["POST"])
def retry_event(name: str) -> dict:
	"""The Retry button of a Chatwoot Webhook Event: queue it again, whatever its attempts so far."""
	require_chatwoot_admin()
	status = frappe.db.get_value(EVENT_DOCTYPE, name, "status")
	if status is None:
		frappe.throw(_("Chatwoot Webhook Event {0} does not exist.").format(name), frappe.DoesNotExistError)
	if status == "Processing":
		frappe.throw(_("This event is being processed right now."))
	frappe.db.set_value(EVENT_DOCTYPE, name, {"status": "Queued", "error": None, "next_attempt_at": None})
	enqueue_processing(name, REPLAYABLE)
	return {"status": "Queued"}


def replay_events(names: list[str], report=None) -> dict[str, int]:
	"""Process `names` again, one after the other, whatever their status; counts of how they ended."""
	summary: dict[str, int] = {}
	for number, name in enumerate(names, 1):
		status = process_event(name, REPLAYABLE) or "Skipped (being processed)"
		summary[status] = summary.get(status, 0) + 1
		if report:
			report(number, len(names), name, status)
	return summary


def events_to_replay(
	*, failed_only: bool, since: datetime | None, event: str | None = None, account_id: int | None = None
) -> list[str]:
	filters: dict = {"status": ("in", ("Failed",) if failed_only else ("Failed", "Ignored", "Processed"))}
	if since:
		filters["received_at"] = (">=", since)
	if event:
		filters["event"] = event
	if account_id:
		filters["account_id"] = account_id
	return frappe.get_all(EVENT_DOCTYPE, filters=filters, pluck="name", order_by="received_at asc")
