"""Chatwoot webhook signatures (Chatwoot 4.11.2 and newer).

Chatwoot signs each delivery of an account webhook with the webhook's secret:

	X-Chatwoot-Timestamp: <unix seconds>
	X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

The timestamp is part of what is signed, so a captured delivery cannot be replayed later with a
fresh timestamp, and the body is signed byte for byte as sent: verify the raw request body, never
a re-serialised copy. Versions up to 4.11.1 sign nothing; see `verify_token` for the legacy mode.

The website widget's identity check is an HMAC too, the other way round: the site signs a visitor's
identifier for Chatwoot (`identifier_hash`).
"""

import hashlib
import hmac
import time
from collections.abc import Callable

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE = 300  # seconds either way


class WebhookSignatureError(Exception):
	"""A delivery whose signature does not prove it came from Chatwoot; `reason` says why in one line."""

	def __init__(self, reason: str):
		super().__init__(reason)
		self.reason = reason


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
	"""The X-Chatwoot-Signature value Chatwoot sends for `body` at `timestamp`."""
	if isinstance(body, str):
		body = body.encode()
	message = str(timestamp).encode() + b"." + body
	return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
	secret: str,
	body: bytes,
	signature: str | None,
	timestamp: str | None,
	*,
	now: float | Callable[[], float] | None = None,
	tolerance: int = DEFAULT_TOLERANCE,
) -> None:
	"""Return if `signature` is Chatwoot's for `body` at `timestamp`; else raise WebhookSignatureError.

	`now` (seconds, or a clock) is there for tests; the timestamp must be within `tolerance`
	seconds of it either way.
	"""
	if not secret:
		raise WebhookSignatureError("no webhook secret is configured")
	if not signature:
		raise WebhookSignatureError("missing X-Chatwoot-Signature header")
	if not timestamp:
		raise WebhookSignatureError("missing X-Chatwoot-Timestamp header")
	timestamp = timestamp.strip()
	if not (timestamp.isascii() and timestamp.isdigit()):
		raise WebhookSignatureError("malformed X-Chatwoot-Timestamp header")
	signature = signature.strip()
	if not signature.startswith(SIGNATURE_PREFIX) or len(signature) != len(SIGNATURE_PREFIX) + 64:
		raise WebhookSignatureError("malformed X-Chatwoot-Signature header (expected sha256=<64 hex digits>)")

	current = now() if callable(now) else (time.time() if now is None else now)
	age = current - int(timestamp)
	if age > tolerance:
		raise WebhookSignatureError(f"timestamp is too old ({int(age)}s; at most {tolerance}s is accepted)")
	if age < -tolerance:
		raise WebhookSignatureError(f"timestamp is in the future ({int(-age)}s ahead)")

	expected = sign(secret, timestamp, body)
	if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
		raise WebhookSignatureError("signature does not match: wrong secret, or the body was changed")


def verify_token(expected: str | None, given: str | None) -> bool:
	"""Constant-time check of the secret token that stands in for a signature in the legacy mode."""
	if not expected or not given:
		return False
	return hmac.compare_digest(expected.encode(), given.encode())


def identifier_hash(hmac_token: str, identifier: str) -> str:
	"""The `identifier_hash` a website widget sends with `setUser`: hex HMAC-SHA256 of the identifier
	under the inbox's identity-validation token, which Chatwoot checks before it trusts the identity.

	Computed on the server only: the token lets whoever holds it sign in as any visitor.
	"""
	if not hmac_token:
		raise ValueError("No identity-validation (HMAC) token is configured for the widget.")
	return hmac.new(hmac_token.encode(), str(identifier).encode(), hashlib.sha256).hexdigest()
