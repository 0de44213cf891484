"""Deciding about one webhook delivery before anything is stored: size, authenticity, shape, kind.

The endpoint runs this on every POST, inside Chatwoot's 5-second timeout, so it does only what can
be decided from the request itself: no database, no Chatwoot call. A delivery it accepts comes back
as a `Delivery` (what to record, under which dedupe key); anything else raises `Rejection` with the
HTTP status and a one-line reason for the sender.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from chat_bridge.chatwoot.events import (
	ACCOUNT_CREATED,
	DELIVERY_ID_LIMIT,
	EventKind,
	classify_event,
	delivery_key,
	event_account_id,
	event_object_id,
	normalize_event,
)
from chat_bridge.chatwoot.signature import (
	DEFAULT_TOLERANCE,
	WebhookSignatureError,
	verify_signature,
	verify_token,
)
from chat_bridge.i18n import _

MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_HEADER = "X-Chatwoot-Signature"
TIMESTAMP_HEADER = "X-Chatwoot-Timestamp"
DELIVERY_HEADER = "X-Chatwoot-Delivery"
CONTENT_TYPE_HEADER = "Content-Type"
JSON_MEDIA_TYPE = "application/json"


class Rejection(Exception):
	def __init__(self, status: int, reason: str):
		super().__init__(reason)
		self.status = status
		self.reason = reason


@dataclass(frozen=True)
class IntakeConfig:
	secret: str | None = None
	account_id: int | None = None  # the account the secret is for: a delivery about another is refused
	allow_unsigned: bool = False  # the legacy mode for Chatwoot 4.11.1 and older
	token: str | None = None
	max_body: int = MAX_BODY_BYTES
	tolerance: int = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class Delivery:
	event: str
	kind: EventKind
	payload: dict
	key: str
	account_id: int | None
	object_id: int | None
	signed: bool


def _header(headers: Mapping[str, str], name: str) -> str | None:
	value = headers.get(name)
	if value is None:
		lowered = name.lower()
		value = next((v for k, v in headers.items() if k.lower() == lowered), None)
	return value


def authenticate(
	body: bytes,
	headers: Mapping[str, str],
	url_token: str | None,
	config: IntakeConfig,
	*,
	now: float | Callable[[], float] | None = None,
) -> bool:
	"""Return whether the delivery was signed; raise Rejection(401) when it proves nothing.

	A signature, when present, is always checked. Without one, only the legacy mode accepts the
	delivery, and only with the secret token in the URL.
	"""
	signature = _header(headers, SIGNATURE_HEADER)
	if signature or not config.allow_unsigned:
		try:
			verify_signature(
				config.secret or "",
				body,
				signature,
				_header(headers, TIMESTAMP_HEADER),
				now=now,
				tolerance=config.tolerance,
			)
		except WebhookSignatureError as error:
			raise Rejection(401, _("Invalid webhook signature: {0}.").format(error.reason)) from None
		return True
	if not verify_token(config.token, url_token):
		raise Rejection(401, _("Unsigned webhook without the right token in the URL."))
	return False


def parse(body: bytes) -> dict:
	try:
		payload = json.loads(body)
	except ValueError:  # UnicodeDecodeError included
		raise Rejection(400, _("The body is not valid JSON in UTF-8.")) from None
	except RecursionError:
		raise Rejection(400, _("The body is JSON nested too deeply to be a Chatwoot event.")) from None
	if not isinstance(payload, dict):
		raise Rejection(400, _("The body must be a JSON object."))
	return payload


def check_size(body: bytes, config: IntakeConfig) -> None:
	if len(body) > config.max_body:
		raise Rejection(413, _("The body is larger than {0} bytes.").format(config.max_body))


def check_content_type(content_type: str | None) -> None:
	"""Chatwoot posts JSON; a request that says it sends something else is refused for saying so."""
	if content_type is None:
		return  # judged by its body alone
	media_type = content_type.split(";", 1)[0].strip().lower()
	if media_type != JSON_MEDIA_TYPE:
		raise Rejection(
			415, _("Send the event as {0}, not {1}.").format(JSON_MEDIA_TYPE, media_type or "an empty type")
		)


def check_delivery_id(delivery_id: str | None) -> None:
	"""A delivery id too long to keep whole is refused: cut short, two ids could be taken for one."""
	if delivery_id and len(delivery_id.strip()) > DELIVERY_ID_LIMIT:
		raise Rejection(
			400, _("{0} is longer than {1} characters.").format(DELIVERY_HEADER, DELIVERY_ID_LIMIT)
		)


def check_account(claimed: int | None, config: IntakeConfig) -> None:
	"""Each Chatwoot account signs with its own webhook's secret: a delivery signed with one
	account's secret that says it is about another proves nothing about that other account."""
	if claimed is not None and config.account_id is not None and claimed != config.account_id:
		raise Rejection(
			401,
			_("The delivery is signed for Chatwoot account {0} but is about account {1}.").format(
				config.account_id, claimed
			),
		)


def receive(
	body: bytes,
	headers: Mapping[str, str],
	url_token: str | None,
	config: IntakeConfig,
	*,
	now: float | Callable[[], float] | None = None,
) -> Delivery:
	"""Size, then authenticity, then shape: the order that spends the least on a bad request."""
	check_size(body, config)
	check_content_type(_header(headers, CONTENT_TYPE_HEADER))
	signed = authenticate(body, headers, url_token, config, now=now)
	check_delivery_id(_header(headers, DELIVERY_HEADER))
	payload = parse(body)
	event = normalize_event(payload.get("event"))
	account_id = event_account_id(event, payload)
	check_account(account_id, config)
	return Delivery(
		event=event,
		kind=classify_event(event),
		payload=payload,
		key=delivery_key(_header(headers, DELIVERY_HEADER), event, payload, body),
		account_id=account_id,
		object_id=event_object_id(event, payload),
		signed=signed,
	)


def receive_installation_event(
	body: bytes, url_token: str | None, expected_token: str | None, content_type: str | None = None
) -> Delivery:
	"""An installation-level event (INSTALLATION_EVENTS_WEBHOOK_URL), which Chatwoot never signs.

	Only `account_created` is accepted. Its key is the account id, so the same event delivered
	twice is recorded once.
	"""
	check_size(body, IntakeConfig())
	check_content_type(content_type)
	if not verify_token(expected_token, url_token):
		raise Rejection(401, _("Installation event without the right token in the URL."))
	payload = parse(body)
	event = normalize_event(payload.get("event"))
	if event != ACCOUNT_CREATED:
		raise Rejection(
			400,
			_("Only account_created is accepted here, not {0}.").format(event or "an event without a name"),
		)
	account_id = event_object_id(event, payload)
	if account_id is None:
		raise Rejection(400, _("account_created without an account id."))
	return Delivery(
		event=event,
		kind=EventKind.HANDLED,
		payload=payload,
		key=f"installation:{ACCOUNT_CREATED}:{account_id}",
		account_id=account_id,
		object_id=account_id,
		signed=False,
	)
