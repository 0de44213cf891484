import hashlib
import hmac

import pytest

from chat_bridge.chatwoot.signature import WebhookSignatureError, sign, verify_signature, verify_token
from tests.conftest import webhook_body

SECRET = "Xq7pZ2mN4vB8cR1tY6uW3eK9"
NOW = 1781774099


def test_known_vector_verifies(signature_vector):
	body = webhook_body("message_created_incoming")
	timestamp = signature_vector["X-Chatwoot-Timestamp"]
	assert sign(signature_vector["secret"], timestamp, body) == signature_vector["X-Chatwoot-Signature"]
	verify_signature(
		signature_vector["secret"],
		body,
		signature_vector["X-Chatwoot-Signature"],
		timestamp,
		now=int(timestamp) + 2,
	)


def test_vector_signature_is_over_timestamp_dot_body(signature_vector):
	body = webhook_body("message_created_incoming")
	expected = hmac.new(
		signature_vector["secret"].encode(),
		signature_vector["X-Chatwoot-Timestamp"].encode() + b"." + body,
		hashlib.sha256,
	).hexdigest()
	assert signature_vector["X-Chatwoot-Signature"] == f"sha256={expected}"


def signed(body: bytes = b'{"event":"message_created"}', timestamp: int = NOW) -> tuple[bytes, str, str]:
	return body, sign(SECRET, timestamp, body), str(timestamp)


def reason_for(*args, **kwargs) -> str:
	with pytest.raises(WebhookSignatureError) as caught:
		verify_signature(*args, **kwargs)
	return caught.value.reason


def test_tampered_body_is_refused():
	body, signature, timestamp = signed()
	assert "does not match" in reason_for(SECRET, body + b" ", signature, timestamp, now=NOW)


def test_wrong_secret_is_refused():
	body, signature, timestamp = signed()
	assert "does not match" in reason_for("another-secret", body, signature, timestamp, now=NOW)


def test_hmac_of_the_body_alone_is_refused():
	body = b'{"event":"message_created"}'
	body_only = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
	assert "does not match" in reason_for(SECRET, body, body_only, str(NOW), now=NOW)


def test_timestamp_swapped_after_signing_is_refused():
	body, signature, _ = signed(timestamp=NOW - 1)
	assert "does not match" in reason_for(SECRET, body, signature, str(NOW), now=NOW)


@pytest.mark.parametrize("age, fragment", [(301, "too old"), (86400, "too old"), (-301, "in the future")])
def test_timestamps_outside_five_minutes_are_refused(age, fragment):
	body, signature, timestamp = signed(timestamp=NOW - age)
	assert fragment in reason_for(SECRET, body, signature, timestamp, now=NOW)


@pytest.mark.parametrize("age", [0, 300, -300, 120])
def test_timestamps_within_five_minutes_are_accepted(age):
	body, signature, timestamp = signed(timestamp=NOW - age)
	verify_signature(SECRET, body, signature, timestamp, now=NOW)


def test_clock_can_be_a_callable():
	body, signature, timestamp = signed()
	verify_signature(SECRET, body, signature, timestamp, now=lambda: NOW + 10)


@pytest.mark.parametrize(
	"signature, timestamp, fragment",
	[
		(None, str(NOW), "missing X-Chatwoot-Signature"),
		("", str(NOW), "missing X-Chatwoot-Signature"),
		("sha256=abc", None, "missing X-Chatwoot-Timestamp"),
		("sha256=" + "0" * 64, "yesterday", "malformed X-Chatwoot-Timestamp"),
		("sha256=" + "0" * 64, "-5", "malformed X-Chatwoot-Timestamp"),
		("md5=" + "0" * 64, str(NOW), "malformed X-Chatwoot-Signature"),
		("sha256=" + "0" * 10, str(NOW), "malformed X-Chatwoot-Signature"),
		("0" * 64, str(NOW), "malformed X-Chatwoot-Signature"),
	],
)
def test_missing_and_malformed_headers(signature, timestamp, fragment):
	assert fragment in reason_for(SECRET, b"{}", signature, timestamp, now=NOW)


def test_no_secret_configured_is_refused():
	body, signature, timestamp = signed()
	assert "no webhook secret" in reason_for("", body, signature, timestamp, now=NOW)


def test_uppercase_hex_is_accepted():
	body, signature, timestamp = signed()
	verify_signature(SECRET, body, "sha256=" + signature[7:].upper(), timestamp, now=NOW)


def test_sign_accepts_text_and_bytes():
	assert sign(SECRET, NOW, "é") == sign(SECRET, str(NOW), "é".encode())


@pytest.mark.parametrize(
	"expected, given, result",
	[
		("tok-123", "tok-123", True),
		("tok-123", "tok-124", False),
		("tok-123", "", False),
		(None, "x", False),
		("", "", False),
	],
)
def test_legacy_token(expected, given, result):
	assert verify_token(expected, given) is result
