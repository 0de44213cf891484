"""Chatwoot's webhooks enter here.

Account webhook (Chatwoot → Settings → Integrations → Webhooks, or `bench chatwoot register-webhook`):

	https://<site>/api/method/chat_bridge.webhook.handle

and for every account but the first (the one of Chatwoot Integration Settings), the same with
`?account=<account id>`: its deliveries are checked with that account's webhook secret, and a
delivery must be about the account whose secret signed it (chat_bridge.accounts).

Installation events (Chatwoot super admin console → INSTALLATION_EVENTS_WEBHOOK_URL):

	https://<site>/api/method/chat_bridge.webhook.installation_event?token=<Installation Events Token>

Chatwoot gives up after 5 seconds, never retries, sends duplicates and does not keep order. So a
POST does only this: gate → size → signature → parse → classify → one insert into Chatwoot Webhook
Event (unique on the delivery key) → enqueue its processing → 200. No Chatwoot API call and no sync
work happens in the request; an accepted delivery is in the log before the 200 goes out, and the
log, not the request, is what gets processed (and retried, and replayed).

Answers (JSON, under Frappe's `message`):
- 200 `queued`: recorded and queued. 200 `duplicate`: this delivery was recorded before.
- 200 `ignored`: an event Chat Bridge has no use for (typing, inbox, widget); not recorded.
  An event it does not know at all is recorded as Ignored, so that a new Chatwoot event shows up.
- 200 `disabled`: sync is off; nothing is recorded. A 2xx keeps Chatwoot from logging every
  delivery as a failure while the integration is rolled back; what it sent meanwhile can be pulled
  with `bench chatwoot backfill`.
- 401 invalid signature or token, 400 not a JSON object (or a delivery id over 140 characters),
  413 larger than 1 MB, 415 a body that is not said to be JSON.
- 503 when the delivery could not be recorded (the database is away, say): nothing was accepted,
  Chatwoot logs the delivery as failed, and the scheduled reconciliation (or `chatwoot backfill`)
  pulls what it carried. The error goes to the Error Log; the sender gets one sentence, never a
  traceback.
GET answers a small status probe.

A body Frappe itself cannot parse as the JSON its Content-Type promises is refused by Frappe before
this code runs, with a traceback unless System Settings' "Show Full Error" is off: `chatwoot doctor`
warns about it.
"""

import functools
import json

import frappe
import redis
from frappe import _
from frappe.utils import cint, get_datetime, now_datetime

from chat_bridge.accounts import ACCOUNT_PARAMETER, webhook_secret
from chat_bridge.chatwoot import intake
from chat_bridge.chatwoot.events import EventKind
from chat_bridge.features import Feature, is_enabled
from chat_bridge.permissions import require_chatwoot_admin
from chat_bridge.rollout import Refusal, recent_refusals
from chat_bridge.settings import FlagsRead, feature_enabled, get_secret, get_settings, read_flags
from chat_bridge.webhook.log import insert_event
from chat_bridge.webhook.processing import wake_processing

DATA_LENGTH = 140  # a Frappe Data column
INT_COLUMN_MAX = 2**31 - 1


def guarded(endpoint):
	"""Answer a guest endpoint's unexpected failure with one sentence and a 503, and log it."""

	@functools.wraps(endpoint)
	def answer(*args, **kwargs):
		try:
			return endpoint(*args, **kwargs)
		except Exception:
			log_failure(f"Chatwoot webhook: {endpoint.__name__} failed")
			return respond(
				503, "error", _("Chat Bridge could not record this delivery; it was not accepted.")
			)

	return answer


def log_failure(title: str) -> None:
	"""Into the Error Log; into the site's log file when the database is what failed."""
	try:
		frappe.db.rollback()
		frappe.log_error(title=title)
		frappe.db.commit()
	except Exception:
		frappe.logger("chat_bridge").exception(title)


@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
@guarded
def handle():
	if frappe.request.method == "GET":
		return status_probe()
	read = read_flags()
	if not is_enabled(read.flags, Feature.SYNC):
		return respond(200, "disabled", _("Chat Bridge sync is off; the delivery was not recorded."))
	try:
		delivery = intake.receive(
			_body(),
			frappe.request.headers,
			frappe.request.args.get("token"),
			_intake_config(read, _requested_account()),
		)
	except intake.Rejection as rejection:
		if rejection.status == 401:
			note_refusal(rejection.reason)
		return respond(rejection.status, "rejected", rejection.reason)
	if delivery.kind is EventKind.IGNORED:
		return respond(200, "ignored", _("{0} is not used by Chat Bridge.").format(delivery.event))
	return record(delivery)


@frappe.whitelist(allow_guest=True, methods=["POST"])
@guarded
def installation_event():
	if not feature_enabled(Feature.SYNC):
		return respond(200, "disabled", _("Chat Bridge sync is off; the event was not recorded."))
	try:
		delivery = intake.receive_installation_event(
			_body(),
			frappe.request.args.get("token"),
			get_secret("installation_token"),
			frappe.request.headers.get("Content-Type"),
		)
	except intake.Rejection as rejection:
		return respond(rejection.status, "rejected", rejection.reason)
	return record(delivery)


REFUSALS_KEY = "chat_bridge:refused_deliveries"
REFUSALS_KEPT = 100


def note_refusal(reason: str) -> None:
	"""Remember a delivery refused as unauthenticated, for doctor, status and the workspace.

	In Redis, the newest hundred for a week: a guest can send these, so they must cost the
	database nothing.
	"""
	try:
		frappe.cache.lpush(REFUSALS_KEY, json.dumps([now_datetime().isoformat(), reason[:200]]))
		frappe.cache.ltrim(REFUSALS_KEY, 0, REFUSALS_KEPT - 1)
		frappe.cache.expire(frappe.cache.make_key(REFUSALS_KEY), 7 * 24 * 3600)
	except redis.exceptions.ConnectionError:
		pass  # the refusal itself still goes out


def refusals() -> list[Refusal]:
	entries = frappe.cache.lrange(REFUSALS_KEY, 0, -1) or []
	return [Refusal(get_datetime(at), reason) for at, reason in map(json.loads, entries)]


@frappe.whitelist()
def refused_delivery_count(filters=None) -> int:
	"""The workspace's card: deliveries refused as unauthenticated in the last hour. (A number
	card passes its filters; this one has none.)"""
	require_chatwoot_admin()
	return len(recent_refusals(refusals(), now_datetime()))


@frappe.whitelist()
def missed_delivery_count(filters=None) -> int:
	"""The workspace's card: messages that reached ERPNext only through the reconciliation in the
	current run of lost deliveries (chat_bridge.sync.deliveries)."""
	require_chatwoot_admin()
	return cint(get_settings().missed_deliveries)


def status_probe() -> dict:
	if feature_enabled(Feature.SYNC):
		return {"status": "enabled", "message": _("Chat Bridge accepts Chatwoot webhooks here.")}
	return {"status": "disabled", "message": _("Chat Bridge sync is off; deliveries are not recorded.")}


def respond(status: int, state: str, message: str) -> dict:
	frappe.local.response.http_status_code = status
	return {"status": state, "message": message}


def _body() -> bytes:
	return frappe.request.get_data(cache=True)


def _requested_account() -> int | None:
	"""The account the webhook URL names; a value that is no account id is refused."""
	value = frappe.request.args.get(ACCOUNT_PARAMETER)
	if value is None:
		return None
	if not value.isdigit() or not 0 < int(value) <= INT_COLUMN_MAX:
		raise intake.Rejection(400, _("{0} must be a Chatwoot account id.").format(ACCOUNT_PARAMETER))
	return int(value)


def _intake_config(read: FlagsRead, account_id: int | None) -> intake.IntakeConfig:
	"""From the flags this delivery was gated by: every delivery reads Redis once."""
	allow_unsigned = bool(read.flags.get("allow_unsigned_webhooks"))
	return intake.IntakeConfig(
		secret=webhook_secret(account_id, read),
		account_id=account_id or read.flags.get("account_id") or None,
		allow_unsigned=allow_unsigned,
		token=get_secret("webhook_token", read) if allow_unsigned else None,
	)


def record(delivery: intake.Delivery) -> dict:
	"""Insert the delivery into the log and queue it; a key seen before is a duplicate."""
	unknown = delivery.kind is EventKind.UNKNOWN
	name = insert_event(
		{
			"delivery_id": delivery.key,
			"event": (delivery.event or "(none)")[:DATA_LENGTH],
			"account_id": delivery.account_id if 0 < (delivery.account_id or 0) <= INT_COLUMN_MAX else None,
			"object_id": str(delivery.object_id)[:DATA_LENGTH] if delivery.object_id is not None else None,
			"received_at": now_datetime(),
			"signed": int(delivery.signed),
			"payload": frappe.request.get_data(cache=True, as_text=True),
			"status": "Ignored" if unknown else "Queued",
			"error": _("Chat Bridge does not know this event.") if unknown else None,
		}
	)
	if name is None:
		return respond(200, "duplicate", _("This delivery was received before."))
	if not unknown:
		wake_processing()
	# Here, not after the answer is written: a database that fails now gets the one-sentence 503
	# (nothing accepted), where a failure in Frappe's own commit would be a bare 500.
	frappe.db.commit()
	if unknown:
		return respond(
			200,
			"ignored",
			_("{0} is not an event Chat Bridge knows; recorded as Ignored.").format(delivery.event),
		)
	return respond(200, "queued", name)
