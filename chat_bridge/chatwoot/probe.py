"""Send one test delivery to a webhook URL, signed as Chatwoot signs, and report what came back.

Works without Frappe, against any URL:

	python -m chat_bridge.chatwoot.probe https://erp.example.com/api/method/chat_bridge.webhook.handle --secret …

The default event, `conversation_typing_on`, is accepted and acknowledged but changes nothing in
ERPNext: it proves the URL, the secret and the clock agree. `--event message_created` sends a
realistic customer message instead, which a site with sync on runs through the whole sync and then
undoes: its contact's address is in the reserved `.invalid` domain, which no customer has, and
Chat Bridge leaves no Contact, conversation or message of it in the figures.
"""

import argparse
import json
import sys
import time
import uuid
from dataclasses import dataclass

import requests

from chat_bridge.chatwoot.signature import sign

PROBE_EVENTS = ("conversation_typing_on", "message_created")
PROBE_EMAIL = "probe@chat-bridge.invalid"


@dataclass(frozen=True)
class ProbeResult:
	status: int | None
	answer: str
	latency_ms: float
	delivery_id: str

	@property
	def ok(self) -> bool:
		return self.status is not None and 200 <= self.status < 300


def sample_payload(event: str, account_id: int) -> dict:
	account = {"id": account_id, "name": "Chat Bridge probe"}
	if event == "conversation_typing_on":
		return {
			"event": event,
			"conversation": {"id": 1, "account": account},
			"user": {"id": 1, "type": "user"},
			"is_private": False,
		}
	message_id = int(time.time() * 1000) % 2_000_000_000
	contact = {
		"id": 990001,
		"name": "Chat Bridge Probe",
		"email": PROBE_EMAIL,
		"phone_number": None,
	}
	conversation = {
		"id": 990001,
		"inbox_id": 1,
		"status": "open",
		"labels": [],
		"meta": {"sender": {**contact, "type": "contact"}, "assignee": None, "team": None},
		"account": account,
		"updated_at": time.time(),
		"messages": [],
	}
	return {
		"event": event,
		"id": message_id,
		"account": account,
		"content": "Test message from the Chat Bridge probe.",
		"content_type": "text",
		"message_type": "incoming",
		"private": False,
		"created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
		"sender": {**contact, "account": account},
		"conversation": conversation,
		"inbox": {"id": 1, "name": "Probe"},
	}


def is_probe(payload: dict) -> bool:
	"""Whether a delivery is the probe's test message (by the address of the contact that sends it)."""
	sender = payload.get("sender")
	return isinstance(sender, dict) and sender.get("email") == PROBE_EMAIL


def send_probe(
	url: str,
	*,
	secret: str | None = None,
	token: str | None = None,
	event: str = PROBE_EVENTS[0],
	account_id: int = 1,
	timeout: float = 10.0,
	host: str | None = None,
) -> ProbeResult:
	"""POST a sample `event` to `url`: signed with `secret`, or (legacy mode) with `token` in the URL."""
	if event not in PROBE_EVENTS:
		raise ValueError(f"event must be one of {', '.join(PROBE_EVENTS)}")
	body = json.dumps(sample_payload(event, account_id), separators=(",", ":")).encode()
	timestamp = int(time.time())
	delivery_id = f"probe-{uuid.uuid4()}"
	headers = {"Content-Type": "application/json", "X-Chatwoot-Delivery": delivery_id}
	if host:
		headers["Host"] = host
	if secret:
		headers["X-Chatwoot-Timestamp"] = str(timestamp)
		headers["X-Chatwoot-Signature"] = sign(secret, timestamp, body)
	params = {"token": token} if token else None
	started = time.perf_counter()
	try:
		response = requests.post(url, data=body, headers=headers, params=params, timeout=timeout)
	except requests.RequestException as error:
		return ProbeResult(
			None, f"no answer: {type(error).__name__}", (time.perf_counter() - started) * 1000, delivery_id
		)
	return ProbeResult(
		response.status_code, response.text[:1000], (time.perf_counter() - started) * 1000, delivery_id
	)


def format_result(result: ProbeResult) -> str:
	status = result.status if result.status is not None else "-"
	return f"HTTP {status} in {result.latency_ms:.0f} ms (delivery {result.delivery_id})\n{result.answer}"


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(description="Send a signed test webhook, as Chatwoot would.")
	parser.add_argument(
		"url", help="the webhook URL, e.g. https://erp.example.com/api/method/chat_bridge.webhook.handle"
	)
	parser.add_argument("--secret", help="the webhook secret to sign with (Chatwoot 4.11.2 and newer)")
	parser.add_argument("--token", help="the Webhook Token, for the unsigned legacy mode")
	parser.add_argument("--event", choices=PROBE_EVENTS, default=PROBE_EVENTS[0])
	parser.add_argument("--account", type=int, default=1, help="the Chatwoot account id the site syncs")
	parser.add_argument("--host", help="a Host header, to reach a bench site by name on another address")
	args = parser.parse_args(argv)
	if not args.secret and not args.token:
		parser.error("give --secret (signed) or --token (legacy unsigned mode)")
	result = send_probe(
		args.url,
		secret=args.secret,
		token=args.token,
		event=args.event,
		account_id=args.account,
		host=args.host,
	)
	print(format_result(result))
	return 0 if result.ok else 1


if __name__ == "__main__":
	sys.exit(main())
