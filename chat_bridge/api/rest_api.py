"""Whitelisted methods for the desk and for REST callers: `/api/method/chat_bridge.api.rest_api.<name>`.

Every method here is behind the API stage: it refuses with a 403 naming the flag unless Enable
Integration and Enable API Access are on. Each answers `{"data": …}`, turns Chatwoot's failures into
messages a person can act on, and never returns a token.
"""

import functools
from collections.abc import Callable
from datetime import timedelta

import frappe
from frappe import _
from frappe.query_builder.functions import Avg, Count, Max
from frappe.utils import cint, now_datetime

from chat_bridge.chatwoot import errors as chatwoot_errors
from chat_bridge.exceptions import ChatwootRequestError, ChatwootUnavailableError
from chat_bridge.features import Feature
from chat_bridge.permissions import require_chatwoot_admin
from chat_bridge.settings import get_settings, require_feature

EVENT_DOCTYPE = "Chatwoot Webhook Event"


def chatwoot_method(fn: Callable | None = None, *, admin_only: bool = False, methods=("GET", "POST")):
	"""Whitelist `fn` behind the API flag, wrap its result in {"data": …}, and explain Chatwoot's errors."""

	def decorate(fn: Callable) -> Callable:
		@functools.wraps(fn)
		def method(*args, **kwargs):
			require_feature(Feature.API, _("Chatwoot API access is not enabled"))
			if admin_only:
				require_chatwoot_admin()
			try:
				return {"data": fn(*args, **kwargs)}
			except chatwoot_errors.ChatwootError as error:
				explain_chatwoot_error(error)

		return frappe.whitelist(methods=list(methods))(method)

	return decorate(fn) if fn else decorate


def explain_chatwoot_error(error: chatwoot_errors.ChatwootError):
	url = get_settings().chatwoot_url
	if isinstance(error, chatwoot_errors.AuthenticationError):
		frappe.throw(
			_(
				"Chatwoot rejected the access token. Check the token in Chatwoot User Token or Chatwoot Integration Settings."
			),
			ChatwootRequestError,
		)
	if isinstance(error, chatwoot_errors.ForbiddenError):
		frappe.throw(
			_("Chatwoot does not allow this token to do that; an administrator's token may be needed."),
			ChatwootRequestError,
		)
	if isinstance(error, chatwoot_errors.NotFoundError):
		frappe.throw(
			_("Chatwoot has no such record in account {0}.").format(get_settings().account_id),
			frappe.DoesNotExistError,
		)
	if isinstance(error, chatwoot_errors.ValidationError):
		frappe.throw(
			_("Chatwoot refused the data: {0}").format(error.detail or error), frappe.ValidationError
		)
	if isinstance(error, chatwoot_errors.RateLimitError):
		frappe.throw(
			_("Chatwoot is rate limiting requests; try again in a minute."), ChatwootUnavailableError
		)
	if isinstance(error, chatwoot_errors.ChatwootConnectionError):
		frappe.throw(_("Chatwoot is unreachable at {0}.").format(url), ChatwootUnavailableError)
	frappe.throw(_("Chatwoot failed: {0}").format(error), ChatwootRequestError)


@chatwoot_method(admin_only=True)
def get_sync_metrics(window_hours: int = 24) -> dict:
	"""How webhook processing went over the last `window_hours`, from the event log."""
	hours = cint(window_hours)
	if hours <= 0:
		frappe.throw(_("window_hours must be a positive number of hours."))
	since = now_datetime() - timedelta(hours=hours)
	event = frappe.qb.DocType(EVENT_DOCTYPE)
	counts = dict(
		frappe.qb.from_(event)
		.select(event.status, Count("*"))
		.where(event.received_at >= since)
		.groupby(event.status)
		.run()
	)
	latency, last_sync = (
		frappe.qb.from_(event)
		.select(Avg(event.processing_ms), Max(event.processed_at))
		.where((event.received_at >= since) & (event.status == "Processed"))
		.run()[0]
	)
	success, failed = counts.get("Processed", 0), counts.get("Failed", 0)
	recent_errors = frappe.get_all(
		EVENT_DOCTYPE,
		filters={"status": "Failed", "received_at": (">=", since)},
		fields=["name", "event", "delivery_id", "attempts", "received_at", "error"],
		order_by="received_at desc",
		limit=10,
	)
	for row in recent_errors:
		row["error"] = last_line(row["error"])  # a traceback's last line says what went wrong
	return {
		"window_hours": hours,
		"total_syncs": sum(counts.values()),
		"success_count": success,
		"failed_count": failed,
		"success_rate": round(100.0 * success / (success + failed), 2) if success + failed else None,
		"avg_latency_ms": round(float(latency), 1) if latency is not None else None,
		"recent_errors": recent_errors,
		"last_sync": last_sync,
	}


def last_line(text: str | None) -> str:
	lines = (text or "").strip().splitlines()
	return lines[-1] if lines else ""


@chatwoot_method(admin_only=True)
def get_chatwoot_account(account_id: int) -> dict:
	"""Whether a Chatwoot account is known to this site, and the ERPNext Company it belongs to."""
	record = frappe.db.get_value(
		"Chatwoot Account",
		cint(account_id),
		["account_id", "account_name", "company", "created_via"],
		as_dict=True,
	)
	if not record:
		return {"exists": False, "account_id": cint(account_id)}
	return {"exists": True, **record}


@chatwoot_method(methods=("POST",))
def create_chatwoot_contact(contact: str) -> dict:
	"""Create (or find by email) the Chatwoot contact of an unmapped ERPNext Contact, and map the two."""
	from chat_bridge.api.chatwoot import user_client
	from chat_bridge.records.outbound import create_in_chatwoot

	frappe.get_doc("Contact", contact).check_permission("write")
	mapping = create_in_chatwoot(contact, user_client())
	return frappe.db.get_value(
		"Chatwoot Contact Mapping",
		mapping,
		["name", "account_id", "chatwoot_contact_id", "contact", "sync_direction"],
		as_dict=True,
	)
