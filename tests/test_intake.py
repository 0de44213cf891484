import json

import pytest

from chat_bridge.chatwoot.events import EventKind
from chat_bridge.chatwoot.intake import (
	IntakeConfig,
	Rejection,
	receive,
	receive_installation_event,
)
from chat_bridge.chatwoot.signature import sign
from tests.conftest import webhook_body

SECRET = "Xq7pZ2mN4vB8cR1tY6uW3eK9"
NOW = 1781774099
SIGNED = IntakeConfig(secret=SECRET)


def headers_for(body: bytes, *, timestamp: int = NOW, delivery: str | None = "d-1") -> dict:
	headers = {"X-Chatwoot-Timestamp": str(timestamp), "X-Chatwoot-Signature": sign(SECRET, timestamp, body)}
	if delivery:
		headers["X-Chatwoot-Delivery"] = delivery
	return headers


def rejection(*args, **kwargs) -> Rejection:
	with pytest.raises(Rejection) as caught:
		receive(*args, **kwargs)
	return caught.value


def test_signed_example_is_accepted(signature_vector):
	body = webhook_body("message_created_incoming")
	headers = {
		"x-chatwoot-signature": signature_vector["X-Chatwoot-Signature"],
		"x-chatwoot-timestamp": signature_vector["X-Chatwoot-Timestamp"],
		"x-chatwoot-delivery": signature_vector["X-Chatwoot-Delivery"],
	}
	delivery = receive(body, headers, None, SIGNED, now=NOW)
	assert delivery.event == "message_created"
	assert delivery.kind is EventKind.HANDLED
	assert delivery.key == signature_vector["X-Chatwoot-Delivery"]
	assert (delivery.account_id, delivery.object_id, delivery.signed) == (3, 901, True)


def test_dotted_event_names_are_normalised():
	body = json.dumps({"event": "message.created", "id": 5, "account": {"id": 3}}).encode()
	assert receive(body, headers_for(body), None, SIGNED, now=NOW).event == "message_created"


@pytest.mark.parametrize(
	"event, kind", [("conversation_typing_on", EventKind.IGNORED), ("brand_new_event", EventKind.UNKNOWN)]
)
def test_ignored_and_unknown_events_are_classified(event, kind):
	body = json.dumps({"event": event, "id": 1}).encode()
	assert receive(body, headers_for(body), None, SIGNED, now=NOW).kind is kind


def test_oversized_body_is_413_before_anything_else():
	body = b"x" * (1024 * 1024 + 1)
	error = rejection(body, {}, None, SIGNED, now=NOW)
	assert error.status == 413


def test_missing_signature_is_401():
	body = webhook_body("contact_created")
	error = rejection(body, {}, None, SIGNED, now=NOW)
	assert error.status == 401 and "missing X-Chatwoot-Signature" in error.reason


def test_wrong_signature_is_401_with_a_reason():
	body = webhook_body("contact_created")
	error = rejection(body + b"\n", headers_for(body), None, SIGNED, now=NOW)
	assert error.status == 401 and "does not match" in error.reason


def test_replayed_old_delivery_is_401():
	body = webhook_body("contact_created")
	error = rejection(body, headers_for(body, timestamp=NOW - 3600), None, SIGNED, now=NOW)
	assert error.status == 401 and "too old" in error.reason


def test_a_delivery_signed_for_one_account_about_another_is_401():
	body = webhook_body("message_created_incoming")  # about account 3
	error = rejection(body, headers_for(body), None, IntakeConfig(secret=SECRET, account_id=7), now=NOW)
	assert error.status == 401
	assert error.reason == "The delivery is signed for Chatwoot account 7 but is about account 3."
	delivery = receive(body, headers_for(body), None, IntakeConfig(secret=SECRET, account_id=3), now=NOW)
	assert delivery.account_id == 3


def test_a_delivery_that_names_no_account_is_judged_by_its_signature_alone():
	body = json.dumps({"event": "conversation_typing_on", "conversation": {"id": 4}}).encode()
	delivery = receive(body, headers_for(body), None, IntakeConfig(secret=SECRET, account_id=7), now=NOW)
	assert delivery.account_id is None


def test_signature_is_checked_before_parsing():
	error = rejection(b"not json", {}, None, SIGNED, now=NOW)
	assert error.status == 401


@pytest.mark.parametrize(
	"body, fragment",
	[(b"{not json", "not valid JSON"), (b"[1, 2]", "JSON object"), (b"\xff\xfe", "not valid JSON")],
)
def test_bad_json_is_400(body, fragment):
	error = rejection(body, headers_for(body), None, SIGNED, now=NOW)
	assert error.status == 400 and fragment in error.reason


LEGACY = IntakeConfig(secret=None, allow_unsigned=True, token="long-random-token")


def test_legacy_mode_accepts_the_url_token():
	body = webhook_body("contact_created")
	delivery = receive(body, {}, "long-random-token", LEGACY, now=NOW)
	assert delivery.signed is False and delivery.event == "contact_created"


@pytest.mark.parametrize("token", [None, "", "long-random-tokeN", "long-random-token-and-more"])
def test_legacy_mode_refuses_a_wrong_token(token):
	body = webhook_body("contact_created")
	assert rejection(body, {}, token, LEGACY, now=NOW).status == 401


def test_unsigned_is_refused_when_legacy_mode_is_off():
	body = webhook_body("contact_created")
	config = IntakeConfig(secret=SECRET, allow_unsigned=False, token="long-random-token")
	assert rejection(body, {}, "long-random-token", config, now=NOW).status == 401


def test_a_signature_present_in_legacy_mode_is_still_verified():
	body = webhook_body("contact_created")
	config = IntakeConfig(secret=SECRET, allow_unsigned=True, token="long-random-token")
	headers = headers_for(body)
	headers["X-Chatwoot-Signature"] = "sha256=" + "0" * 64
	assert rejection(body, headers, "long-random-token", config, now=NOW).status == 401


def test_key_falls_back_to_the_payload_without_a_delivery_header():
	body = webhook_body("message_created_incoming")
	delivery = receive(body, headers_for(body, delivery=None), None, SIGNED, now=NOW)
	assert delivery.key == "3:message_created:901:2026-06-18T09:14:58.611Z"


INSTALLATION = json.dumps(
	{
		"id": 17,
		"name": "Second Shop",
		"event": "account_created",
		"users": [{"id": 4, "name": "Ann", "email": "ann@x.example", "type": "user"}],
	}
).encode()


def test_installation_event_keyed_on_the_account():
	delivery = receive_installation_event(INSTALLATION, "inst-token", "inst-token")
	assert (delivery.event, delivery.account_id, delivery.key) == (
		"account_created",
		17,
		"installation:account_created:17",
	)
	assert delivery.key == receive_installation_event(INSTALLATION, "inst-token", "inst-token").key


@pytest.mark.parametrize(
	"body, token, status",
	[
		(INSTALLATION, "wrong", 401),
		(INSTALLATION, None, 401),
		(b"{}", "inst-token", 400),
		(json.dumps({"event": "message_created", "id": 1}).encode(), "inst-token", 400),
		(json.dumps({"event": "account_created"}).encode(), "inst-token", 400),
		(b"nope", "inst-token", 400),
	],
)
def test_installation_event_refusals(body, token, status):
	with pytest.raises(Rejection) as caught:
		receive_installation_event(body, token, "inst-token")
	assert caught.value.status == status


def test_installation_endpoint_needs_a_configured_token():
	with pytest.raises(Rejection) as caught:
		receive_installation_event(INSTALLATION, "", "")
	assert caught.value.status == 401


# Bad input a guest can send: each gets a clear 4xx


def test_a_body_not_said_to_be_json_is_415():
	body = webhook_body("contact_created")
	headers = {**headers_for(body), "Content-Type": "text/plain"}
	caught = rejection(body, headers, None, SIGNED, now=NOW)
	assert (caught.status, caught.reason) == (415, "Send the event as application/json, not text/plain.")


def test_json_with_a_charset_is_json():
	body = webhook_body("contact_created")
	headers = {**headers_for(body), "content-type": "Application/JSON; charset=utf-8"}
	assert receive(body, headers, None, SIGNED, now=NOW).event == "contact_created"


@pytest.mark.parametrize(
	"body, reason",
	[
		(b"", "The body is not valid JSON in UTF-8."),
		(b"{not json", "The body is not valid JSON in UTF-8."),
		(b'{"event": "\xff\xfe"}', "The body is not valid JSON in UTF-8."),
		(b"[" * 10_000 + b"]" * 10_000, "The body is JSON nested too deeply to be a Chatwoot event."),
		(b'"just a string"', "The body must be a JSON object."),
	],
	ids=["empty", "broken", "not-utf8", "nested-10000-deep", "not-an-object"],
)
def test_signed_bodies_that_are_not_an_event_are_400(body, reason):
	caught = rejection(body, headers_for(body), None, SIGNED, now=NOW)
	assert (caught.status, caught.reason) == (400, reason)


def test_a_delivery_id_of_10_kb_is_400_not_cut_short():
	body = webhook_body("contact_created")
	caught = rejection(body, headers_for(body, delivery="d" * 10_240), None, SIGNED, now=NOW)
	assert (caught.status, caught.reason) == (400, "X-Chatwoot-Delivery is longer than 140 characters.")


def test_a_delivery_id_of_140_characters_is_kept_whole():
	body = webhook_body("contact_created")
	assert receive(body, headers_for(body, delivery="d" * 140), None, SIGNED, now=NOW).key == "d" * 140


def test_installation_event_not_said_to_be_json_is_415():
	with pytest.raises(Rejection) as caught:
		receive_installation_event(
			INSTALLATION, "inst-token", "inst-token", "application/x-www-form-urlencoded"
		)
	assert caught.value.status == 415
