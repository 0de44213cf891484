"""What the scheduler does with the webhook log: retry failed events when their wait is over,
rescue events a lost job left behind, and purge what is old."""

from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import add_to_date, cint, now_datetime

from chat_bridge.features import Feature
from chat_bridge.settings import feature_enabled, get_settings
from chat_bridge.webhook.log import EVENT_DOCTYPE
from chat_bridge.webhook.processing import enqueue_processing, max_attempts, start_processing_job

# An event left "Processing" this long was lost with its worker. Only rows written by an earlier
# version are ever left so: processing now holds the row's lock rather than committing the status.
STALE_AFTER = timedelta(minutes=15)
# Queued this long with no job about it: the job was lost (Redis flushed, worker killed).
FORGOTTEN_AFTER = timedelta(minutes=2)


def retry_due_events() -> None:
	"""Every few minutes: requeue failed events whose wait is over, and rescue lost ones."""
	if not feature_enabled(Feature.SYNC):
		return
	release_stale_events()
	if frappe.db.exists(
		EVENT_DOCTYPE, {"status": "Queued", "received_at": ("<", now_datetime() - FORGOTTEN_AFTER)}
	):
		start_processing_job()
	due = frappe.get_all(
		EVENT_DOCTYPE,
		filters={
			"status": "Failed",
			"attempts": ("<", max_attempts()),
			"next_attempt_at": ("<=", now_datetime()),
		},
		pluck="name",
		order_by="received_at asc",
		limit=500,
	)
	for name in due:
		enqueue_processing(name)


def release_stale_events() -> None:
	stale = frappe.get_all(
		EVENT_DOCTYPE,
		filters={"status": "Processing", "modified": ("<", now_datetime() - STALE_AFTER)},
		pluck="name",
	)
	for name in stale:
		frappe.db.set_value(
			EVENT_DOCTYPE,
			name,
			{
				"status": "Failed",
				"error": _("Processing stopped without finishing (worker restarted?)."),
				"next_attempt_at": now_datetime(),
			},
		)
	if stale:
		frappe.db.commit()


def purge_old_events() -> None:
	"""Daily: delete Processed and Ignored events past the retention period; Failed ones stay."""
	days = cint(get_settings().event_retention_days)
	if days <= 0:
		return
	frappe.db.delete(
		EVENT_DOCTYPE,
		{
			"status": ("in", ("Processed", "Ignored")),
			"received_at": ("<", add_to_date(now_datetime(), days=-days)),
		},
	)
	frappe.db.commit()
