"""A mock Chatwoot: a real HTTP server on loopback that keeps state in memory.

It answers the part of Chatwoot's Application and Platform APIs that chat_bridge uses, with
Chatwoot's shapes, envelopes, page sizes and errors, and when its state changes it posts the
matching webhooks to the URLs registered with it, signed as Chatwoot 4.11.2 and newer sign them.
So the whole chain — client, webhook intake, sync — can run with no real Chatwoot.

As a command (for local development against a bench site):

	python -m tests.mock_chatwoot_api.mock_server --port 3000

As a pytest fixture: `mock_chatwoot` in tests/conftest.py.
"""

import argparse
import hashlib
import hmac
import html
import http.client
import json
import queue
import random
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SEED = Path(__file__).resolve().parent / "fixtures" / "seed.json"

CONTACTS_PER_PAGE = 15
CONVERSATIONS_PER_PAGE = 25
MESSAGES_PER_PAGE = 20
MESSAGES_AFTER_LIMIT = 100
MESSAGE_TYPES = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}
WEBHOOK_EVENTS = {
	"conversation_created",
	"conversation_updated",
	"conversation_status_changed",
	"message_created",
	"message_updated",
	"contact_created",
	"contact_updated",
	"webwidget_triggered",
	"inbox_created",
	"inbox_updated",
	"conversation_typing_on",
	"conversation_typing_off",
}
E164 = re.compile(r"^\+[1-9]\d{1,14}$")


SDK_LOADER = Path(__file__).resolve().parent / "sdk.js"
# The widget's endpoints are called from the pages of other sites.
CORS_HEADERS = {
	"Access-Control-Allow-Origin": "*",
	"Access-Control-Allow-Methods": "GET, POST, PATCH, OPTIONS",
	"Access-Control-Allow-Headers": "Content-Type",
}


class Raw:
	"""An answer that is not JSON: a script, with its content type."""

	def __init__(self, body: str, content_type: str):
		self.body, self.content_type = body, content_type


class ApiError(Exception):
	def __init__(self, status: int, body: Any):
		super().__init__(status)
		self.status = status
		self.body = body


def not_found() -> ApiError:
	return ApiError(404, {"error": "Resource could not be found"})


def forbidden() -> ApiError:
	return ApiError(403, {"error": "You are not authorized to do this action"})


def invalid(message: str, attributes: list[str]) -> ApiError:
	return ApiError(422, {"message": message, "attributes": attributes})


def iso(epoch: float | None) -> str | None:
	if epoch is None:
		return None
	return (
		datetime.fromtimestamp(epoch, tz=timezone.utc)
		.isoformat(timespec="milliseconds")
		.replace("+00:00", "Z")
	)


def rails_json(payload: Any) -> bytes:
	"""Serialise as Rails does: compact, raw UTF-8, with < > & escaped (FACTS §1)."""
	text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
	return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def chatwoot_signature(secret: str, timestamp: str, body: bytes) -> str:
	digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
	return f"sha256={digest}"


class Fault:
	def __init__(
		self,
		status: int,
		times: int,
		method: str | None,
		path_contains: str | None,
		body: Any,
		headers,
		delay: float = 0.0,
	):
		self.status, self.remaining, self.method = status, times, method
		self.path_contains, self.body, self.headers = path_contains, body, headers or {}
		self.delay = delay  # seconds before answering: longer than a client waits is a timeout

	def matches(self, method: str, path: str) -> bool:
		return (
			self.remaining > 0
			and (self.method is None or self.method == method)
			and (self.path_contains is None or self.path_contains in path)
		)


class MockChatwoot:
	"""The state, the HTTP server and the webhook sender of one mock Chatwoot installation."""

	def __init__(self, host: str = "127.0.0.1", port: int = 0, seed: Path | None = SEED):
		self._lock = threading.RLock()
		self.latency = 0.0
		self.faults: list[Fault] = []
		self.requests: list[tuple[str, str]] = []
		self.request_times: list[float] = []  # monotonic, for the pace clients keep
		self.deliveries: list[dict] = []
		self.burst: Burst | None = None
		self._held: list[tuple[dict, dict]] | None = None  # while a burst is made up: its deliveries
		self._delivery_queue: queue.Queue = queue.Queue()
		self._deliveries_done = threading.Condition()
		self._reset_state()
		if seed:
			self.load_seed(json.loads(Path(seed).read_text()))
		self.server = ThreadingHTTPServer((host, port), _handler_for(self))
		self.server.daemon_threads = True
		self._threads: list[threading.Thread] = []

	# Lifecycle

	@property
	def url(self) -> str:
		host, port = self.server.server_address[:2]
		return f"http://{host}:{port}"

	def start(self) -> "MockChatwoot":
		for target in (lambda: self.server.serve_forever(poll_interval=0.05), self._deliver_forever):
			thread = threading.Thread(target=target, daemon=True)
			thread.start()
			self._threads.append(thread)
		return self

	def stop(self) -> None:
		self.server.shutdown()
		self.server.server_close()
		self._delivery_queue.put(None)

	def __enter__(self) -> "MockChatwoot":
		return self.start()

	def __exit__(self, *exc) -> None:
		self.stop()

	# State

	def _reset_state(self) -> None:
		self.account = {"id": 3, "name": "Acme Support"}
		self.users: dict[int, dict] = {}
		self.tokens: dict[str, int] = {}
		self.platform_token = "platform-token"
		self.inboxes: dict[int, dict] = {}
		self.teams: dict[int, dict] = {}
		self.labels: dict[int, dict] = {}
		self.contacts: dict[int, dict] = {}
		self._contact_listing: list[dict] | None = None
		self.conversations: dict[int, dict] = {}
		self.messages: dict[int, dict] = {}
		self._messages_of: dict[int, list[dict]] = {}  # by conversation: big accounts are paged a lot
		self.webhooks: dict[int, dict] = {}
		self.platform_accounts: dict[int, dict] = {}
		# The users the platform app created or claimed: the only ones it may touch.
		self.platform_users: set[int] = set()
		# What Chatwoot keeps of each password (here the password itself, so that tests can look for it).
		self.passwords: dict[int, str] = {}
		self.dashboard_apps: dict[int, dict] = {}
		self.csat_responses: list[dict] = []
		self.attribute_definitions: dict[int, dict] = {}
		# (inbox id, contact id) pairs whose widget identity passed the HMAC check
		self.verified_identities: set[tuple[int, int]] = set()
		self._ids = {
			"contact": 1100,
			"conversation": 100,
			"message": 1000,
			"webhook": 1,
			"user": 100,
			"account": 100,
			"dashboard_app": 0,
			"attribute_definition": 0,
		}

	def _next_id(self, kind: str) -> int:
		self._ids[kind] += 1
		return self._ids[kind]

	def load_seed(self, seed: dict) -> None:
		with self._lock:
			self.account = dict(seed["account"])
			self.platform_token = seed.get("platform_token", self.platform_token)
			for user in seed.get("users", []):
				self.users[user["id"]] = {**user, "confirmed": True, "member": True}
				self.tokens[user["access_token"]] = user["id"]
			self.inboxes = {i["id"]: dict(i) for i in seed.get("inboxes", [])}
			self.teams = {t["id"]: dict(t) for t in seed.get("teams", [])}
			self.labels = {label["id"]: dict(label) for label in seed.get("labels", [])}
			now = time.time() - 3600
			for contact in seed.get("contacts", []):
				self._store_contact(contact, now)
			for conversation in seed.get("conversations", []):
				record = self._store_conversation(conversation, now)
				for message in conversation.get("messages", []):
					self._store_message(record, message, now)

	def _store_contact(self, fields: dict, now: float) -> dict:
		contact = {
			"id": fields.get("id") or self._next_id("contact"),
			"name": fields.get("name") or "",
			"email": fields.get("email"),
			"phone_number": fields.get("phone_number"),
			"identifier": fields.get("identifier"),
			"blocked": bool(fields.get("blocked", False)),
			"additional_attributes": dict(fields.get("additional_attributes") or {}),
			"custom_attributes": dict(fields.get("custom_attributes") or {}),
			"created_at": now,
			"updated_at": now,
			"last_activity_at": None,
		}
		self.contacts[contact["id"]] = contact
		self._contact_listing = None
		return contact

	def listed_contacts(self) -> list[dict]:
		"""Contacts as the default listing shows them (cached: big lists are paged thousands of times)."""
		if self._contact_listing is None:
			self._contact_listing = sorted(
				(c for c in self.contacts.values() if c["email"] or c["phone_number"] or c["identifier"]),
				key=lambda c: c["id"],
			)
		return self._contact_listing

	def _store_conversation(self, fields: dict, now: float) -> dict:
		conversation = {
			"id": fields.get("id") or self._next_id("conversation"),
			"uuid": str(uuid.uuid4()),
			"inbox_id": fields["inbox_id"],
			"contact_id": fields["contact_id"],
			"status": fields.get("status", "open"),
			"priority": fields.get("priority"),
			"assignee_id": fields.get("assignee_id"),
			"team_id": fields.get("team_id"),
			"labels": list(fields.get("labels") or []),
			"custom_attributes": dict(fields.get("custom_attributes") or {}),
			"additional_attributes": dict(fields.get("additional_attributes") or {}),
			"snoozed_until": None,
			"first_reply_created_at": None,
			"waiting_since": None,
			"resolved_at": None,
			"source_id": str(uuid.uuid4()),
			"created_at": now,
			"updated_at": now,
			"last_activity_at": now,
		}
		self.conversations[conversation["id"]] = conversation
		return conversation

	def _store_message(self, conversation: dict, fields: dict, now: float) -> dict:
		message_type = fields.get("message_type", "outgoing")
		incoming = message_type == "incoming"
		message = {
			"id": fields.get("id") or self._next_id("message"),
			"conversation_id": conversation["id"],
			"inbox_id": conversation["inbox_id"],
			"content": fields.get("content"),
			"message_type": MESSAGE_TYPES[message_type],
			"private": bool(fields.get("private", False)),
			"content_type": fields.get("content_type", "text"),
			"content_attributes": dict(fields.get("content_attributes") or {}),
			"sender_type": "Contact" if incoming else "User",
			"sender_id": conversation["contact_id"] if incoming else fields.get("sender_id", 1),
			"status": "sent",
			"source_id": fields.get("source_id"),
			"attachments": list(fields.get("attachments") or []),
			"created_at": now,
			"updated_at": now,
		}
		self.messages[message["id"]] = message
		self._messages_of.setdefault(conversation["id"], []).append(message)
		conversation["last_activity_at"] = now
		return message

	# Test and script helpers

	def fail_next(
		self,
		status: int,
		times: int = 1,
		*,
		method: str | None = None,
		path_contains: str | None = None,
		body: Any = "Retry later",
		headers: dict | None = None,
		delay: float = 0.0,
	) -> None:
		"""Answer the next `times` matching requests with `status` (429 comes as Chatwoot sends it),
		after `delay` seconds."""
		with self._lock:
			self.faults.append(Fault(status, times, method, path_contains, body, headers, delay))

	def add_contacts(self, count: int, prefix: str = "bulk") -> None:
		with self._lock:
			now = time.time()
			for _ in range(count):
				number = self._ids["contact"] + 1
				self._store_contact(
					{"name": f"{prefix} {number}", "email": f"{prefix}{number}@example.com"}, now
				)

	def add_conversations(self, count: int, messages_each: int = 1, inbox_id: int = 8) -> None:
		"""`count` conversations of the contacts there are (round robin), each with a few messages."""
		with self._lock:
			now = time.time()
			contacts = list(self.contacts)
			for number in range(count):
				conversation = self._store_conversation(
					{"inbox_id": inbox_id, "contact_id": contacts[number % len(contacts)]}, now
				)
				for turn in range(messages_each):
					self._store_message(
						conversation,
						{
							"content": f"Message {turn} of conversation {conversation['id']}",
							"message_type": "incoming" if turn % 2 == 0 else "outgoing",
						},
						now,
					)

	def busiest_second(self, since: float = 0.0) -> int:
		"""The most requests answered within any one second (sliding), since a monotonic moment."""
		with self._lock:
			times = [t for t in self.request_times if t >= since]
		busiest, first = 0, 0
		for last, moment in enumerate(times):
			while moment - times[first] >= 1.0:
				first += 1
			busiest = max(busiest, last - first + 1)
		return busiest

	def customer_says(self, display_id: int, content: str) -> dict:
		"""The customer writes in a conversation, as the widget would."""
		return self._create_message(
			self.conversations[display_id], {"content": content, "message_type": "incoming"}
		)

	def visitor_says(self, contact_id: int, content: str, inbox_id: int = 7) -> dict:
		"""A website visitor writes in the widget: into their open conversation of the inbox, or a new one."""
		with self._lock:
			conversation = next(
				(
					c
					for c in self.conversations.values()
					if c["contact_id"] == contact_id
					and c["inbox_id"] == inbox_id
					and c["status"] != "resolved"
				),
				None,
			)
			if conversation is None:
				conversation = self._store_conversation(
					{"inbox_id": inbox_id, "contact_id": contact_id}, time.time()
				)
				self._emit("conversation_created", self.conversation_json(conversation))
			return self._create_message(conversation, {"content": content, "message_type": "incoming"})

	def rate_conversation(self, display_id: int, rating: int) -> dict:
		"""The customer answers the CSAT survey of a conversation (1 to 5)."""
		conversation = self.conversations[display_id]
		response = {
			"conversation_id": display_id,
			"rating": rating,
			"assigned_agent_id": conversation["assignee_id"],
			"created_at": time.time(),
		}
		self.csat_responses.append(response)
		return response

	def identity_hash_valid(self, inbox: dict, identifier: str, identifier_hash: str | None) -> bool:
		"""Chatwoot's rule for a widget's setUser (Widget::ContactsController#valid_hmac?): a hash,
		when given, must be the hex HMAC-SHA256 of the identifier under the inbox's hmac_token; with
		none, the identity passes unverified unless the inbox makes the check mandatory."""
		if not identifier_hash:
			return not inbox.get("hmac_mandatory")
		expected = hmac.new(
			inbox["hmac_token"].encode(), str(identifier).encode(), hashlib.sha256
		).hexdigest()
		return hmac.compare_digest(expected, str(identifier_hash))

	def wait_for_deliveries(self, count: int, timeout: float = 10.0) -> list[dict]:
		"""Block until at least `count` webhook deliveries have been attempted."""
		deadline = time.monotonic() + timeout
		with self._deliveries_done:
			while len(self.deliveries) < count:
				remaining = deadline - time.monotonic()
				if remaining <= 0:
					raise TimeoutError(
						f"{len(self.deliveries)} of {count} webhook deliveries after {timeout}s"
					)
				self._deliveries_done.wait(remaining)
			return list(self.deliveries)

	# Request handling

	def handle(self, method: str, raw_path: str, headers, body: bytes) -> tuple[int, Any, dict]:
		if self.latency:
			time.sleep(self.latency)
		parts = urlsplit(raw_path)
		path, query = parts.path.rstrip("/") or "/", parse_qs(parts.query)
		with self._lock:
			if not path.startswith(CONTROL):
				self.requests.append((method, path))
				self.request_times.append(time.monotonic())
			fault = next((f for f in self.faults if f.matches(method, path)), None)
			if fault:
				fault.remaining -= 1
		if fault:
			time.sleep(fault.delay)
			return fault.status, fault.body, fault.headers
		try:
			payload = json.loads(body) if body else {}
		except ValueError:
			return 400, {"error": "Invalid JSON"}, {}
		token = headers.get("api_access_token") or headers.get("Api-Access-Token")
		extra = CORS_HEADERS if path.startswith(("/api/v1/widget", "/packs/")) else {}
		if method == "OPTIONS":
			return 204, None, extra
		try:
			with self._lock:
				for route_method, pattern, handler, scope in ROUTES:
					if route_method != method:
						continue
					match = pattern.fullmatch(path)
					if match:
						context = self._authenticate(token, scope, match.groupdict(), query)
						return 200, handler(self, context, match.groupdict(), query, payload), extra
		except ApiError as error:
			return error.status, error.body, extra
		return 404, {"error": "Resource could not be found"}, extra

	def _authenticate(self, token: str | None, scope: str, params: dict, query: dict) -> dict:
		if scope == "public":
			return {}
		if scope == "widget":
			website_token = query.get("website_token", [""])[0]
			for inbox in self.inboxes.values():
				if website_token and inbox.get("website_token") == website_token:
					return {"inbox": inbox}
			raise not_found()
		if scope == "platform":
			if not token or not hmac.compare_digest(token, self.platform_token):
				raise ApiError(401, {"error": "Invalid access_token"})
			return {"user": None}
		user_id = self.tokens.get(token or "")
		if user_id is None:
			raise ApiError(401, {"error": "Invalid Access Token"})
		user = self.users[user_id]
		if "account_id" in params and (
			int(params["account_id"]) != self.account["id"] or not user.get("member")
		):
			raise ApiError(401, {"error": "You are not authorized to access this account"})
		if scope == "admin" and user["role"] != "administrator":
			raise forbidden()
		return {"user": user}

	# Presenters: the JSON shapes Chatwoot answers and posts

	def contact_json(self, contact: dict) -> dict:
		return {
			"additional_attributes": contact["additional_attributes"],
			"availability_status": "offline",
			"email": contact["email"],
			"id": contact["id"],
			"name": contact["name"],
			"phone_number": contact["phone_number"],
			"blocked": contact["blocked"],
			"identifier": contact["identifier"],
			"thumbnail": "",
			"custom_attributes": contact["custom_attributes"],
			"last_activity_at": int(contact["last_activity_at"]) if contact["last_activity_at"] else None,
			"created_at": int(contact["created_at"]),
		}

	def contact_webhook(self, contact: dict) -> dict:
		return {
			"account": dict(self.account),
			"additional_attributes": contact["additional_attributes"],
			"avatar": "",
			"custom_attributes": contact["custom_attributes"],
			"email": contact["email"],
			"id": contact["id"],
			"identifier": contact["identifier"],
			"name": contact["name"],
			"phone_number": contact["phone_number"],
			"thumbnail": "",
			"blocked": contact["blocked"],
		}

	def contact_push(self, contact: dict) -> dict:
		push = self.contact_webhook(contact)
		del push["account"], push["avatar"]
		return {**push, "type": "contact"}

	def user_push(self, user: dict) -> dict:
		return {
			"id": user["id"],
			"name": user["name"],
			"available_name": user["name"],
			"avatar_url": "",
			"type": "user",
			"availability_status": "online",
			"thumbnail": "",
		}

	def agent_json(self, user: dict) -> dict:
		return {
			"id": user["id"],
			"account_id": self.account["id"],
			"availability_status": "online",
			"auto_offline": True,
			"confirmed": user.get("confirmed", True),
			"email": user["email"],
			"available_name": user["name"],
			"name": user["name"],
			"role": user["role"],
			"thumbnail": "",
			"custom_role_id": None,
		}

	def team_json(self, team: dict) -> dict:
		return {
			"id": team["id"],
			"name": team["name"],
			"description": team.get("description"),
			"allow_auto_assign": True,
			"account_id": self.account["id"],
			"is_member": False,
		}

	def message_push(self, message: dict) -> dict:
		"""The REST and nested-in-conversation shape: integer message_type, epoch created_at."""
		conversation = self.conversations[message["conversation_id"]]
		return {
			"id": message["id"],
			"content": message["content"],
			"account_id": self.account["id"],
			"inbox_id": message["inbox_id"],
			"conversation_id": message["conversation_id"],
			"message_type": message["message_type"],
			"created_at": int(message["created_at"]),
			"updated_at": iso(message["updated_at"]),
			"private": message["private"],
			"status": message["status"],
			"source_id": message["source_id"],
			"content_type": message["content_type"],
			"content_attributes": message["content_attributes"],
			"sender_type": message["sender_type"],
			"sender_id": message["sender_id"],
			"external_source_ids": {},
			"additional_attributes": {},
			"processed_message_content": message["content"],
			"sentiment": {},
			"conversation": {
				"assignee_id": conversation["assignee_id"],
				"unread_count": 0,
				"last_activity_at": int(conversation["last_activity_at"]),
				"contact_inbox": {"source_id": conversation["source_id"]},
			},
			"attachments": message["attachments"],
			"sender": self._sender_push(message),
		}

	def _sender_push(self, message: dict) -> dict | None:
		if message["sender_type"] == "Contact":
			contact = self.contacts.get(message["sender_id"])
			return self.contact_push(contact) if contact else None
		user = self.users.get(message["sender_id"])
		return self.user_push(user) if user else None

	def conversation_json(self, conversation: dict) -> dict:
		"""Conversations::EventDataPresenter: the webhook shape, which the REST answers share."""
		contact = self.contacts[conversation["contact_id"]]
		assignee = self.users.get(conversation["assignee_id"])
		team = self.teams.get(conversation["team_id"])
		inbox = self.inboxes[conversation["inbox_id"]]
		latest = [
			m
			for m in self._messages_of.get(conversation["id"], [])
			if not m["private"] and m["message_type"] != 2
		]
		latest.sort(key=lambda m: m["id"])
		verified = (inbox["id"], contact["id"]) in self.verified_identities
		return {
			"additional_attributes": conversation["additional_attributes"],
			"can_reply": True,
			"channel": inbox["channel_type"],
			"contact_inbox": {
				"id": conversation["id"] + 2000,
				"contact_id": contact["id"],
				"inbox_id": inbox["id"],
				"source_id": conversation["source_id"],
				"created_at": iso(conversation["created_at"]),
				"updated_at": iso(conversation["created_at"]),
				"hmac_verified": verified,
				"pubsub_token": "mock",
			},
			"id": conversation["id"],
			"inbox_id": inbox["id"],
			"messages": [self.message_push(latest[-1])] if latest else [],
			"labels": list(conversation["labels"]),
			"meta": {
				"sender": self.contact_push(contact),
				"assignee": self.user_push(assignee) if assignee else None,
				"assignee_type": "User" if assignee else None,
				"team": {"id": team["id"], "name": team["name"]} if team else None,
				"hmac_verified": verified,
			},
			"status": conversation["status"],
			"custom_attributes": conversation["custom_attributes"],
			"snoozed_until": iso(conversation["snoozed_until"]),
			"unread_count": 0,
			"first_reply_created_at": iso(conversation["first_reply_created_at"]),
			"priority": conversation["priority"],
			"waiting_since": int(conversation["waiting_since"] or 0),
			"agent_last_seen_at": 0,
			"contact_last_seen_at": 0,
			"last_activity_at": int(conversation["last_activity_at"]),
			"timestamp": int(conversation["last_activity_at"]),
			"created_at": int(conversation["created_at"]),
			"updated_at": conversation["updated_at"],
			"account": dict(self.account),
		}

	def conversation_rest(self, conversation: dict) -> dict:
		return {
			**self.conversation_json(conversation),
			"uuid": conversation["uuid"],
			"muted": False,
			"account_id": self.account["id"],
		}

	def message_webhook(self, message: dict) -> dict:
		conversation = self.conversations[message["conversation_id"]]
		inbox = self.inboxes[message["inbox_id"]]
		if message["sender_type"] == "Contact":
			sender = self.contact_webhook(self.contacts[message["sender_id"]])
		else:
			user = self.users[message["sender_id"]]
			sender = {"id": user["id"], "name": user["name"], "email": user["email"], "type": "user"}
		payload = {
			"account": dict(self.account),
			"additional_attributes": {},
			"content_attributes": message["content_attributes"],
			"content_type": message["content_type"],
			"content": message["content"],
			"conversation": self.conversation_json(conversation),
			"created_at": iso(message["created_at"]),
			"id": message["id"],
			"inbox": {"id": inbox["id"], "name": inbox["name"]},
			"message_type": {v: k for k, v in MESSAGE_TYPES.items()}[message["message_type"]],
			"private": message["private"],
			"sender": sender,
			"source_id": message["source_id"],
		}
		if message["attachments"]:
			payload["attachments"] = message["attachments"]
		return payload

	# State changes that Chatwoot announces with webhooks

	def _create_contact(self, fields: dict) -> dict:
		self._check_contact_unique(fields)
		contact = self._store_contact(fields, time.time())
		self._emit("contact_created", self.contact_webhook(contact))
		return contact

	def _check_contact_unique(self, fields: dict, own_id: int | None = None) -> None:
		email, phone, identifier = fields.get("email"), fields.get("phone_number"), fields.get("identifier")
		if phone and not E164.match(phone):
			raise invalid("Phone number should be in e164 format", ["phone_number"])
		for other in self.contacts.values():
			if other["id"] == own_id:
				continue
			if email and other["email"] and other["email"].lower() == email.lower():
				raise invalid("Email has already been taken", ["email"])
			if phone and other["phone_number"] == phone:
				raise invalid("Phone number has already been taken", ["phone_number"])
			if identifier and other["identifier"] == identifier:
				raise invalid("Identifier has already been taken", ["identifier"])

	def _update_contact(self, contact: dict, fields: dict) -> dict:
		self._check_contact_unique(fields, own_id=contact["id"])
		changes = []
		for key in ("name", "email", "phone_number", "identifier", "blocked"):
			if key in fields and fields[key] != contact[key]:
				changes.append({key: {"previous_value": contact[key], "current_value": fields[key]}})
				contact[key] = fields[key]
		for key in ("custom_attributes", "additional_attributes"):
			if fields.get(key):
				merged = {**contact[key], **fields[key]}
				if merged != contact[key]:
					changes.append({key: {"previous_value": contact[key], "current_value": merged}})
					contact[key] = merged
		if changes:
			self._contact_listing = None
			self._touch_contact(contact, changes)
		return contact

	def _touch_contact(self, contact: dict, changes: list[dict]) -> None:
		previous, contact["updated_at"] = contact["updated_at"], time.time()
		changes = [
			*changes,
			{"updated_at": {"previous_value": iso(previous), "current_value": iso(contact["updated_at"])}},
		]
		self._emit("contact_updated", {**self.contact_webhook(contact), "changed_attributes": changes})

	def _change_conversation(self, conversation: dict, **values) -> None:
		changes = []
		for key, value in values.items():
			if conversation[key] != value:
				changes.append({key: {"previous_value": conversation[key], "current_value": value}})
				conversation[key] = value
		if not changes:
			return
		previous, conversation["updated_at"] = conversation["updated_at"], time.time()
		changes.append(
			{
				"updated_at": {
					"previous_value": iso(previous),
					"current_value": iso(conversation["updated_at"]),
				}
			}
		)
		if values.get("status") == "resolved":
			conversation["resolved_at"] = conversation["updated_at"]
		if "status" in values:
			self._emit(
				"conversation_status_changed",
				{**self.conversation_json(conversation), "changed_attributes": None},
			)
		self._emit(
			"conversation_updated", {**self.conversation_json(conversation), "changed_attributes": changes}
		)

	def _create_message(self, conversation: dict, fields: dict) -> dict:
		message = self._store_message(conversation, fields, time.time())
		self._emit("message_created", self.message_webhook(message))
		if message["message_type"] == 0:
			contact = self.contacts[conversation["contact_id"]]
			previous, contact["last_activity_at"] = contact["last_activity_at"], message["created_at"]
			self._touch_contact(
				contact,
				[
					{
						"last_activity_at": {
							"previous_value": iso(previous),
							"current_value": iso(message["created_at"]),
						}
					}
				],
			)
			if conversation["status"] == "resolved":
				self._change_conversation(conversation, status="open")
		elif not message["private"] and conversation["first_reply_created_at"] is None:
			self._change_conversation(conversation, first_reply_created_at=message["created_at"])
		return message

	# Webhook delivery

	def _emit(self, event: str, payload: dict) -> None:
		for webhook in self.webhooks.values():
			if event in webhook["subscriptions"]:
				item = (webhook, {**payload, "event": event})
				if self._held is not None:
					self._held.append(item)
				else:
					self._delivery_queue.put(item)

	def _deliver_forever(self) -> None:
		while True:
			item = self._delivery_queue.get()
			if item is None:
				return
			delivery = post_delivery(*item, str(uuid.uuid4()))
			with self._deliveries_done:
				self.deliveries.append(delivery)
				self._deliveries_done.notify_all()

	# Bursts: a busy Chatwoot's deliveries, made up front and sent by many senders at once

	def start_burst(
		self,
		deliveries: int,
		*,
		duplicates: int = 0,
		window: int = 50,
		senders: int = 20,
		rate: float | None = None,
		events: list[str] | None = None,
		seed: int = 7,
	) -> "Burst":
		"""Make up activity (contacts writing in, agents answering, assigning and resolving) until
		`deliveries` webhook deliveries are due (a conversation's worth more, at most), of the `events`
		named or of every kind; shuffle them
		within windows of `window` (Chatwoot keeps no order); send `duplicates` of them a second time,
		a little later; and send them all from `senders` threads, at most `rate` a second when given."""
		if self.burst is not None and not self.burst.done:
			raise ApiError(409, {"error": "A burst is still being sent."})
		rng = random.Random(seed)
		with self._lock:
			self._held = []
			try:
				self._make_activity(deliveries, rng, set(events or ()))
			finally:
				held, self._held = self._held, None
		# All of the activity, a few past `deliveries` at most: a message cut off here would still
		# reach the site inside a conversation's payload, and be counted nowhere.
		items = [(webhook, payload, str(uuid.uuid4()), False) for webhook, payload in held]
		for start in range(0, len(items), window):
			part = items[start : start + window]
			rng.shuffle(part)
			items[start : start + window] = part
		for index in sorted(rng.sample(range(len(items)), min(duplicates, len(items))), reverse=True):
			webhook, payload, delivery_id, _ = items[index]
			items.insert(
				min(len(items), index + rng.randint(1, window)), (webhook, payload, delivery_id, True)
			)
		self.burst = Burst(items, senders, rate).start()
		return self.burst

	def _make_activity(self, deliveries: int, rng: random.Random, events: set[str]) -> None:
		agents = [user["id"] for user in self.users.values()]
		tag = secrets.token_hex(3)
		number = 0
		while self._held_count(events) < deliveries:
			number += 1
			contact = self._create_contact(
				{"name": f"Burst {tag} {number}", "email": f"burst-{tag}-{number}@example.com"}
			)
			for _ in range(rng.randint(1, 2)):
				conversation = self._store_conversation(
					{"inbox_id": 8, "contact_id": contact["id"]}, time.time()
				)
				self._emit("conversation_created", self.conversation_json(conversation))
				if rng.random() < 0.5:
					self._change_conversation(conversation, assignee_id=rng.choice(agents))
				for turn in range(rng.randint(1, 6)):
					outgoing = turn % 2 == 1
					self._create_message(
						conversation,
						{
							"content": f"Message {turn} of conversation {conversation['id']}",
							"message_type": "outgoing" if outgoing else "incoming",
							"sender_id": conversation["assignee_id"] or agents[0],
						},
					)
				if rng.random() < 0.3:
					self._change_conversation(conversation, status="resolved")
		if events:
			self._held = [item for item in self._held if item[1]["event"] in events]

	def _held_count(self, events: set[str]) -> int:
		if not events:
			return len(self._held)
		return sum(1 for _webhook, payload in self._held if payload["event"] in events)


def post_delivery(webhook: dict, payload: dict, delivery_id: str) -> dict:
	"""POST one delivery as Chatwoot does: signed, with its delivery id, given up after 5 seconds.

	Through http.client rather than requests: in a load test the mock runs on the machine it loads,
	and every millisecond it spends sending is one the site under test does not get."""
	body = rails_json(payload)
	timestamp = str(int(time.time()))
	delivery = {"event": payload["event"], "url": webhook["url"], "delivery_id": delivery_id, "body": body}
	headers = {
		"Content-Type": "application/json",
		"Accept": "application/json",
		"X-Chatwoot-Timestamp": timestamp,
		"X-Chatwoot-Signature": chatwoot_signature(webhook["secret"], timestamp, body),
		"X-Chatwoot-Delivery": delivery_id,
	}
	url = urlsplit(webhook["url"])
	connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
	connection = connection_class(url.hostname, url.port, timeout=5)
	started = time.monotonic()
	try:
		connection.request("POST", url.path + (f"?{url.query}" if url.query else ""), body, headers)
		response = connection.getresponse()
		delivery.update(status=response.status, answer=response.read().decode(errors="replace")[:500])
	except (OSError, http.client.HTTPException) as error:  # Chatwoot logs it and drops it: no retry
		delivery.update(status=None, answer=type(error).__name__)
	finally:
		connection.close()
	delivery["seconds"] = time.monotonic() - started
	return delivery


class Burst:
	"""Deliveries sent from several threads at once; what each answered, and when."""

	def __init__(self, items: list[tuple[dict, dict, str, bool]], senders: int, rate: float | None):
		self.items, self.senders, self.rate = items, max(1, senders), rate
		self.results: list[dict | None] = [None] * len(items)
		self._next = 0
		self._lock = threading.Lock()
		self.started = self.finished = None
		self._running = 0

	@property
	def done(self) -> bool:
		return self.finished is not None

	def start(self) -> "Burst":
		self.started = time.monotonic()
		self._running = self.senders
		for _ in range(self.senders):
			threading.Thread(target=self._send, daemon=True).start()
		return self

	def _send(self) -> None:
		while True:
			with self._lock:
				index, self._next = self._next, self._next + 1
			if index >= len(self.items):
				break
			if self.rate:
				time.sleep(max(0.0, self.started + index / self.rate - time.monotonic()))
			webhook, payload, delivery_id, duplicate = self.items[index]
			at = time.monotonic() - self.started
			delivery = post_delivery(webhook, payload, delivery_id)
			self.results[index] = {
				"at": round(at, 3),
				"event": delivery["event"],
				"id": payload.get("id"),
				"delivery_id": delivery_id,
				"duplicate": duplicate,
				"status": delivery["status"],
				"ms": round(delivery["seconds"] * 1000, 1),
				"answer": None
				if delivery["status"] and delivery["status"] < 300
				else delivery["answer"][:200],
			}
		with self._lock:
			self._running -= 1
			if self._running == 0:
				self.finished = time.monotonic()

	def report(self, detail: bool = False) -> dict:
		sent = [r for r in self.results if r is not None]
		statuses: dict[str, int] = {}
		for result in sent:
			statuses[str(result["status"])] = statuses.get(str(result["status"]), 0) + 1
		return {
			"deliveries": len(self.items),
			"unique": len({delivery_id for _w, _p, delivery_id, _d in self.items}),
			"sent": len(sent),
			"done": self.done,
			"seconds": round((self.finished or time.monotonic()) - self.started, 3),
			"statuses": statuses,
			**({"results": sent} if detail else {}),
		}


# Route handlers: (mock, context, path params, query, body) -> JSON answer


def _page(query: dict) -> int:
	try:
		return max(int(query.get("page", ["1"])[0]), 1)
	except ValueError:
		return 1


def _slice(items: list, page: int, size: int) -> list:
	return items[(page - 1) * size : page * size]


def _contact(mock: MockChatwoot, contact_id: str) -> dict:
	contact = mock.contacts.get(int(contact_id))
	if contact is None:
		raise not_found()
	return contact


def _conversation(mock: MockChatwoot, context: dict, display_id: str) -> dict:
	conversation = mock.conversations.get(int(display_id))
	if conversation is None or conversation["inbox_id"] not in context["user"]["inbox_ids"]:
		raise not_found()
	return conversation


def get_account(mock, context, params, query, body):
	return {**mock.account, "locale": "en", "status": "active"}


def get_profile(mock, context, params, query, body):
	user = context["user"]
	return {
		**mock.agent_json(user),
		"access_token": user["access_token"],
		"accounts": [
			{"id": mock.account["id"], "name": mock.account["name"], "role": user["role"], "status": "active"}
		],
	}


_CONTACT_SORT_KEYS = {"name", "email", "phone_number", "last_activity_at", "created_at"}


def list_contacts(mock, context, params, query, body):
	listed = mock.listed_contacts()
	sort = query.get("sort", [""])[0]
	if sort.lstrip("-") in _CONTACT_SORT_KEYS:
		key = sort.lstrip("-")
		listed = sorted(listed, key=lambda c: (c[key] is None, c[key] or 0), reverse=sort.startswith("-"))
	page = _page(query)
	return {
		"meta": {"count": len(listed), "current_page": page},
		"payload": [mock.contact_json(c) for c in _slice(listed, page, CONTACTS_PER_PAGE)],
	}


def search_contacts(mock, context, params, query, body):
	q = query.get("q", [""])[0]
	needle = q.lower()
	found = [
		c
		for c in sorted(mock.contacts.values(), key=lambda c: c["id"])
		if needle
		and (
			needle in (c["name"] or "").lower()
			or needle in (c["email"] or "").lower()
			or needle in (c["phone_number"] or "")
			or q == c["identifier"]
		)
	]
	page = _page(query)
	items = _slice(found, page, CONTACTS_PER_PAGE)
	return {
		"meta": {
			"count": len(items),
			"current_page": page,
			"has_more": page * CONTACTS_PER_PAGE < len(found),
		},
		"payload": [mock.contact_json(c) for c in items],
	}


def filter_contacts(mock, context, params, query, body):
	conditions = body.get("payload") or []
	if not isinstance(conditions, list) or not conditions:
		raise ApiError(422, {"error": "Invalid filter"})

	def matches(contact: dict, condition: dict) -> bool:
		value = str(contact.get(condition.get("attribute_key")) or "").lower()
		wanted = [str(v).lower() for v in condition.get("values") or []]
		operator = condition.get("filter_operator")
		if operator == "equal_to":
			return value in wanted
		if operator == "not_equal_to":
			return value not in wanted
		if operator == "contains":
			return any(w in value for w in wanted)
		raise ApiError(422, {"error": f"Invalid operator {operator}"})

	found = [
		c
		for c in sorted(mock.contacts.values(), key=lambda c: c["id"])
		if all(matches(c, x) for x in conditions)
	]
	page = _page(query)
	return {
		"meta": {"count": len(found), "current_page": page},
		"payload": [mock.contact_json(c) for c in _slice(found, page, CONTACTS_PER_PAGE)],
	}


def create_contact(mock, context, params, query, body):
	if not any(body.get(k) for k in ("name", "email", "phone_number", "identifier")):
		raise invalid("Name can't be blank", ["name"])
	contact = mock._create_contact(body)
	inbox_id = body.get("inbox_id")
	contact_inbox = None
	if inbox_id:
		inbox = mock.inboxes.get(int(inbox_id))
		if inbox is None:
			raise not_found()
		contact_inbox = {
			"inbox": {"id": inbox["id"], "name": inbox["name"]},
			"source_id": body.get("source_id") or str(uuid.uuid4()),
		}
	return {"payload": {"contact": mock.contact_json(contact), "contact_inbox": contact_inbox}}


def get_contact(mock, context, params, query, body):
	return {"payload": mock.contact_json(_contact(mock, params["id"]))}


def update_contact(mock, context, params, query, body):
	return {"payload": mock.contact_json(mock._update_contact(_contact(mock, params["id"]), body))}


def contact_conversations(mock, context, params, query, body):
	contact = _contact(mock, params["id"])
	mine = [c for c in mock.conversations.values() if c["contact_id"] == contact["id"]]
	mine.sort(key=lambda c: c["last_activity_at"], reverse=True)
	return {"payload": [mock.conversation_json(c) for c in mine[:20]]}


def list_conversations(mock, context, params, query, body):
	user = context["user"]
	status = query.get("status", ["open"])[0]
	if status not in ("open", "resolved", "pending", "snoozed", "all"):
		raise ApiError(422, {"error": f"Invalid status {status}"})
	found = [c for c in mock.conversations.values() if c["inbox_id"] in user["inbox_ids"]]
	if status != "all":
		found = [c for c in found if c["status"] == status]
	for key in ("inbox_id", "team_id"):
		if key in query:
			found = [c for c in found if str(c[key]) == query[key][0]]
	labels = query.get("labels[]")
	if labels:
		found = [c for c in found if set(labels) & set(c["labels"])]
	meta = {
		"mine_count": sum(1 for c in found if c["assignee_id"] == user["id"]),
		"assigned_count": sum(1 for c in found if c["assignee_id"]),
		"unassigned_count": sum(1 for c in found if not c["assignee_id"]),
		"all_count": len(found),
	}
	assignee_type = query.get("assignee_type", ["me"])[0]
	selectors: dict[str, Callable[[dict], bool]] = {
		"me": lambda c: c["assignee_id"] == user["id"],
		"assigned": lambda c: bool(c["assignee_id"]),
		"unassigned": lambda c: not c["assignee_id"],
		"all": lambda c: True,
	}
	if assignee_type not in selectors:
		raise ApiError(422, {"error": f"Invalid assignee_type {assignee_type}"})
	found = [c for c in found if selectors[assignee_type](c)]
	found.sort(key=lambda c: (c["last_activity_at"], c["id"]), reverse=True)
	page = _page(query)
	return {
		"data": {
			"meta": meta,
			"payload": [mock.conversation_rest(c) for c in _slice(found, page, CONVERSATIONS_PER_PAGE)],
		}
	}


def get_conversation(mock, context, params, query, body):
	return mock.conversation_rest(_conversation(mock, context, params["conversation_id"]))


def create_conversation(mock, context, params, query, body):
	inbox = mock.inboxes.get(int(body.get("inbox_id") or 0))
	contact = mock.contacts.get(int(body.get("contact_id") or 0))
	if inbox is None or contact is None:
		raise ApiError(422, {"error": "inbox_id and contact_id are required"})
	fields = {
		k: body[k]
		for k in ("status", "assignee_id", "team_id", "custom_attributes", "additional_attributes")
		if k in body
	}
	conversation = mock._store_conversation(
		{"inbox_id": inbox["id"], "contact_id": contact["id"], **fields}, time.time()
	)
	mock._emit("conversation_created", mock.conversation_json(conversation))
	if (body.get("message") or {}).get("content"):
		mock._create_message(
			conversation,
			{
				"content": body["message"]["content"],
				"message_type": "outgoing",
				"sender_id": context["user"]["id"],
			},
		)
	return mock.conversation_rest(conversation)


def toggle_status(mock, context, params, query, body):
	conversation = _conversation(mock, context, params["conversation_id"])
	status = body.get("status") or ("resolved" if conversation["status"] == "open" else "open")
	if status not in ("open", "resolved", "pending", "snoozed"):
		raise ApiError(422, {"error": f"Invalid status {status}"})
	snoozed_until = (
		float(body["snoozed_until"]) if status == "snoozed" and body.get("snoozed_until") else None
	)
	mock._change_conversation(conversation, status=status, snoozed_until=snoozed_until)
	return {
		"meta": {},
		"payload": {
			"success": True,
			"conversation_id": conversation["id"],
			"current_status": conversation["status"],
			"snoozed_until": iso(conversation["snoozed_until"]),
		},
	}


def toggle_priority(mock, context, params, query, body):
	conversation = _conversation(mock, context, params["conversation_id"])
	priority = body.get("priority")
	if priority not in (None, "low", "medium", "high", "urgent"):
		raise ApiError(422, {"error": f"Invalid priority {priority}"})
	mock._change_conversation(conversation, priority=priority)
	return None


def assign(mock, context, params, query, body):
	conversation = _conversation(mock, context, params["conversation_id"])
	if "team_id" in body:
		team = mock.teams.get(int(body["team_id"] or 0))
		if body["team_id"] and team is None:
			raise not_found()
		mock._change_conversation(conversation, team_id=team["id"] if team else None)
		return mock.team_json(team) if team else None
	assignee_id = body.get("assignee_id")
	user = mock.users.get(int(assignee_id)) if assignee_id else None
	if assignee_id and user is None:
		raise not_found()
	mock._change_conversation(conversation, assignee_id=user["id"] if user else None)
	return mock.agent_json(user) if user else None


def get_labels(mock, context, params, query, body):
	return {"payload": list(_conversation(mock, context, params["conversation_id"])["labels"])}


def set_labels(mock, context, params, query, body):
	conversation = _conversation(mock, context, params["conversation_id"])
	labels = body.get("labels")
	if not isinstance(labels, list):
		raise ApiError(422, {"error": "labels must be a list"})
	mock._change_conversation(conversation, labels=list(dict.fromkeys(str(label) for label in labels)))
	return {"payload": list(conversation["labels"])}


def list_messages(mock, context, params, query, body):
	conversation = _conversation(mock, context, params["conversation_id"])
	mine = sorted(mock._messages_of.get(conversation["id"], []), key=lambda m: (m["created_at"], m["id"]))
	before, after = query.get("before", [None])[0], query.get("after", [None])[0]
	if after is not None and before is not None:
		page = [m for m in mine if int(after) <= m["id"] < int(before)][:1000]
	elif before is not None:
		page = [m for m in mine if m["id"] < int(before)][-MESSAGES_PER_PAGE:]
	elif after is not None:
		page = [m for m in mine if m["id"] > int(after)][:MESSAGES_AFTER_LIMIT]
	else:
		page = mine[-MESSAGES_PER_PAGE:]
	contact = mock.contacts[conversation["contact_id"]]
	assignee = mock.users.get(conversation["assignee_id"])
	return {
		"meta": {
			"labels": list(conversation["labels"]),
			"additional_attributes": conversation["additional_attributes"],
			"contact": mock.contact_json(contact),
			"assignee": mock.agent_json(assignee) if assignee else None,
			"agent_last_seen_at": None,
			"assignee_last_seen_at": None,
		},
		"payload": [mock.message_push(m) for m in page],
	}


def create_message(mock, context, params, query, body):
	conversation = _conversation(mock, context, params["conversation_id"])
	message_type = body.get("message_type", "outgoing")
	if message_type not in ("incoming", "outgoing"):
		raise ApiError(422, {"error": f"Invalid message_type {message_type}"})
	if (
		message_type == "incoming"
		and mock.inboxes[conversation["inbox_id"]]["channel_type"] != "Channel::Api"
	):
		raise ApiError(422, {"error": "Incoming messages are only allowed in Api inboxes"})
	if not body.get("content"):
		raise invalid("Content can't be blank", ["content"])
	fields = {**body, "message_type": message_type, "sender_id": context["user"]["id"]}
	return mock.message_push(mock._create_message(conversation, fields))


def list_inboxes(mock, context, params, query, body):
	user = context["user"]
	return {
		"payload": [
			_inbox_json(i, administrator=user["role"] == "administrator")
			for i in mock.inboxes.values()
			if i["id"] in user["inbox_ids"]
		]
	}


def _inbox_json(inbox: dict, administrator: bool) -> dict:
	answer = {
		"id": inbox["id"],
		"name": inbox["name"],
		"channel_type": inbox["channel_type"],
		"channel_id": inbox["id"],
		"enable_auto_assignment": True,
	}
	if inbox["channel_type"] == "Channel::WebWidget":
		answer.update(
			website_token=inbox.get("website_token"), hmac_mandatory=bool(inbox.get("hmac_mandatory"))
		)
		if administrator:  # Chatwoot shows the identity-validation token to administrators only
			answer["hmac_token"] = inbox.get("hmac_token")
	return answer


def sdk_loader(mock, context, params, query, body):
	return Raw(SDK_LOADER.read_text(), "application/javascript; charset=utf-8")


def dashboard_app_host(mock, context, params, query, body):
	"""A page standing in for Chatwoot's conversation view with a Dashboard App tab: it frames `src`
	and posts it the appContext of `conversation_id`, on load and when asked (`fetch-info`), as
	Chatwoot's DashboardApp/Frame.vue does: a JSON string, to any origin."""
	src = query.get("src", [""])[0]
	if not re.match(r"^https?://", src):
		raise invalid("src must be an http(s) URL", ["src"])
	conversation = mock.conversations.get(int(query.get("conversation_id", ["0"])[0] or 0))
	if conversation is None:
		raise not_found()
	agent = mock.users[int(query.get("agent_id", ["1"])[0])]
	app_context = {
		"event": "appContext",
		"data": {
			"conversation": mock.conversation_rest(conversation),
			"contact": mock.contact_json(mock.contacts[conversation["contact_id"]]),
			"currentAgent": {"id": agent["id"], "name": agent["name"], "email": agent["email"]},
		},
	}
	message = json.dumps(json.dumps(app_context)).replace("</", "<\\/")
	page = DASHBOARD_APP_HOST.replace("{src}", html.escape(src, quote=True)).replace("{message}", message)
	page = page.replace("{conversation}", str(conversation["id"]))
	return Raw(page, "text/html; charset=utf-8")


DASHBOARD_APP_HOST = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Mock Chatwoot: conversation #{conversation}</title></head>
<body style="margin:0;font:14px sans-serif;display:flex;height:100vh">
<div style="flex:1;padding:16px;background:#f4f6f8">
<p><b>Mock Chatwoot</b> · conversation #{conversation}</p>
<p style="color:#6c7680">Messages · <u>ERPNext</u> (the Dashboard App tab, framed on the right)</p></div>
<iframe id="app" src="{src}" style="width:440px;border:0;border-left:1px solid #dde3e8;background:#fff"></iframe>
<script>
const frame = document.getElementById("app");
const message = {message};
window.__fetchInfoRequests = 0;
const send = () => frame.contentWindow.postMessage(message, "*");
frame.addEventListener("load", send);
window.addEventListener("message", (event) => {
	if (event.source === frame.contentWindow && event.data === "chatwoot-dashboard-app:fetch-info") {
		window.__fetchInfoRequests += 1;
		send();
	}
});
</script></body></html>
"""


def widget_set_user(mock, context, params, query, body):
	"""PATCH /api/v1/widget/contact/set_user: the visitor says who they are, proven by the hash."""
	inbox, identifier = context["inbox"], body.get("identifier")
	if identifier in (None, ""):
		raise invalid("Identifier can't be blank", ["identifier"])
	if not mock.identity_hash_valid(inbox, identifier, body.get("identifier_hash")):
		raise ApiError(401, {"error": "HMAC failed: Invalid Identifier Hash Provided"})
	email = body.get("email")
	contact = next((c for c in mock.contacts.values() if c["identifier"] == str(identifier)), None) or next(
		(c for c in mock.contacts.values() if email and (c["email"] or "").lower() == email.lower()), None
	)
	fields = {
		"identifier": str(identifier),
		**{key: body[key] for key in ("name", "email", "phone_number") if body.get(key)},
		"custom_attributes": body.get("custom_attributes") or {},
		"additional_attributes": {"company_name": body["company_name"]} if body.get("company_name") else {},
	}
	contact = mock._create_contact(fields) if contact is None else mock._update_contact(contact, fields)
	if body.get("identifier_hash"):
		mock.verified_identities.add((inbox["id"], contact["id"]))
	return {"id": contact["id"], "name": contact["name"], "email": contact["email"], "pubsub_token": "mock"}


def list_account_labels(mock, context, params, query, body):
	return {"payload": [{**label, "show_on_sidebar": True} for label in mock.labels.values()]}


def list_teams(mock, context, params, query, body):
	return [mock.team_json(t) for t in mock.teams.values()]


def list_agents(mock, context, params, query, body):
	return [mock.agent_json(u) for u in mock.users.values() if u.get("member")]


def _inbox(mock: MockChatwoot, inbox_id) -> dict:
	try:
		inbox = mock.inboxes.get(int(inbox_id))
	except (TypeError, ValueError):
		inbox = None
	if inbox is None:
		raise not_found()
	return inbox


def _members(mock: MockChatwoot, user_ids) -> list[dict]:
	"""Agents of the account by id (Chatwoot looks them up in the account: 404 for anyone else)."""
	if not isinstance(user_ids, list) or not all(isinstance(u, int) for u in user_ids):
		raise ApiError(422, {"error": "user_ids must be a list of integers"})
	users = [mock.users.get(u) for u in user_ids]
	if any(u is None or not u.get("member") for u in users):
		raise not_found()
	return users


def _inbox_members_json(mock: MockChatwoot, inbox: dict) -> dict:
	return {
		"payload": [
			mock.agent_json(u)
			for u in mock.users.values()
			if u.get("member") and inbox["id"] in u["inbox_ids"]
		]
	}


def list_inbox_members(mock, context, params, query, body):
	return _inbox_members_json(mock, _inbox(mock, params["inbox_id"]))


def add_inbox_members(mock, context, params, query, body):
	"""POST adds the users to the inbox; its other members stay."""
	inbox = _inbox(mock, body.get("inbox_id"))
	for user in _members(mock, body.get("user_ids")):
		if inbox["id"] not in user["inbox_ids"]:
			user["inbox_ids"].append(inbox["id"])
	return _inbox_members_json(mock, inbox)


def replace_inbox_members(mock, context, params, query, body):
	"""PATCH makes the users the inbox's only members."""
	inbox = _inbox(mock, body.get("inbox_id"))
	keep = {u["id"] for u in _members(mock, body.get("user_ids"))}
	for user in mock.users.values():
		if user["id"] in keep and inbox["id"] not in user["inbox_ids"]:
			user["inbox_ids"].append(inbox["id"])
		elif user["id"] not in keep and inbox["id"] in user["inbox_ids"]:
			user["inbox_ids"].remove(inbox["id"])
	return _inbox_members_json(mock, inbox)


def remove_inbox_members(mock, context, params, query, body):
	inbox = _inbox(mock, body.get("inbox_id"))
	for user in _members(mock, body.get("user_ids")):
		if inbox["id"] in user["inbox_ids"]:
			user["inbox_ids"].remove(inbox["id"])
	return None


def create_agent(mock, context, params, query, body):
	if not body.get("name") or not body.get("email"):
		raise invalid("Name and email are required", ["name", "email"])
	if any(u["email"].lower() == body["email"].lower() for u in mock.users.values()):
		raise invalid("Email has already been taken", ["email"])
	user = {
		"id": mock._next_id("user"),
		"name": body["name"],
		"email": body["email"],
		"role": body.get("role", "agent"),
		"access_token": secrets.token_hex(12),
		"inbox_ids": [],
		"confirmed": False,  # until the agent accepts the invitation Chatwoot e-mailed
		"member": True,
	}
	mock.users[user["id"]] = user
	mock.tokens[user["access_token"]] = user["id"]
	return mock.agent_json(user)


def update_agent(mock, context, params, query, body):
	user = mock.users.get(int(params["id"]))
	if user is None:
		raise not_found()
	for key in ("name", "role"):
		if key in body:
			user[key] = body[key]
	return mock.agent_json(user)


def delete_agent(mock, context, params, query, body):
	user = mock.users.pop(int(params["id"]), None)
	if user is None:
		raise not_found()
	mock.tokens.pop(user["access_token"], None)
	return None


def _webhook_json(mock: MockChatwoot, webhook: dict) -> dict:
	return {**webhook, "account_id": mock.account["id"]}


def _validate_webhook(mock: MockChatwoot, fields: dict, own_id: int | None = None) -> None:
	url = fields.get("url")
	if url is not None and not re.match(r"^https?://", url):
		raise invalid("Url is invalid", ["url"])
	if url and any(w["url"] == url and w["id"] != own_id for w in mock.webhooks.values()):
		raise invalid("Url has already been taken", ["url"])
	subscriptions = fields.get("subscriptions")
	if subscriptions is not None and (not subscriptions or set(subscriptions) - WEBHOOK_EVENTS):
		raise invalid("Subscriptions Invalid events", ["subscriptions"])


def list_webhooks(mock, context, params, query, body):
	return {"payload": {"webhooks": [_webhook_json(mock, w) for w in mock.webhooks.values()]}}


def create_webhook(mock, context, params, query, body):
	fields = body.get("webhook", body)
	if not fields.get("url"):
		raise invalid("Url can't be blank", ["url"])
	_validate_webhook(mock, {"subscriptions": fields.get("subscriptions") or [], **fields})
	webhook = {
		"id": mock._next_id("webhook"),
		"url": fields["url"],
		"name": fields.get("name"),
		"subscriptions": list(fields.get("subscriptions") or []),
		"secret": secrets.token_urlsafe(18),
	}
	mock.webhooks[webhook["id"]] = webhook
	return {"payload": {"webhook": _webhook_json(mock, webhook)}}


def update_webhook(mock, context, params, query, body):
	webhook = mock.webhooks.get(int(params["webhook_id"]))
	if webhook is None:
		raise not_found()
	fields = body.get("webhook", body)
	_validate_webhook(mock, fields, own_id=webhook["id"])
	for key in ("url", "name", "subscriptions"):
		if key in fields:
			webhook[key] = fields[key]
	return {"payload": {"webhook": _webhook_json(mock, webhook)}}


def delete_webhook(mock, context, params, query, body):
	if mock.webhooks.pop(int(params["webhook_id"]), None) is None:
		raise not_found()
	return None


def report_summary(mock, context, params, query, body):
	"""The summary report, for the account or (type=agent&id=…) one agent's conversations: what
	began, was resolved or got its first reply within [since, until], and the messages sent."""
	try:
		since, until = int(query["since"][0]), int(query["until"][0])
	except (KeyError, ValueError):
		raise ApiError(422, {"error": "since and until are required"}) from None
	agent = int(query["id"][0]) if query.get("type", ["account"])[0] == "agent" and query.get("id") else None

	def average(values: list[float]) -> float:
		return sum(values) / len(values) if values else 0

	def counts(start: int, end: int) -> dict:
		within = lambda moment: moment is not None and start <= moment <= end  # noqa: E731
		mine = [c for c in mock.conversations.values() if agent is None or c["assignee_id"] == agent]
		ids = {c["id"] for c in mine}
		messages = [
			m
			for m in mock.messages.values()
			if within(m["created_at"]) and not m["private"] and m["conversation_id"] in ids
		]
		resolved = [c for c in mine if within(c.get("resolved_at"))]
		answered = [c for c in mine if within(c["first_reply_created_at"])]
		return {
			"conversations_count": sum(1 for c in mine if within(c["created_at"])),
			"incoming_messages_count": sum(1 for m in messages if m["message_type"] == 0),
			"outgoing_messages_count": sum(
				1 for m in messages if m["message_type"] == 1 and (agent is None or m["sender_id"] == agent)
			),
			"avg_first_response_time": average(
				[c["first_reply_created_at"] - c["created_at"] for c in answered]
			),
			"avg_resolution_time": average([c["resolved_at"] - c["created_at"] for c in resolved]),
			"resolutions_count": len(resolved),
			"reply_time": 0,
		}

	return {**counts(since, until), "previous": counts(2 * since - until, since)}


def csat_metrics(mock, context, params, query, body):
	"""CSAT responses within [since, until], of the conversations of `user_ids[]` when given."""
	since, until = int(query.get("since", ["0"])[0]), int(query.get("until", [str(2**31)])[0])
	agents = {int(u) for u in query.get("user_ids[]", [])}
	responses = [
		r
		for r in mock.csat_responses
		if since <= r["created_at"] <= until and (not agents or r["assigned_agent_id"] in agents)
	]
	ratings: dict[str, int] = {}
	for response in responses:
		ratings[str(response["rating"])] = ratings.get(str(response["rating"]), 0) + 1
	return {
		"total_count": len(responses),
		"ratings_count": ratings,
		"total_sent_messages_count": len(responses),
	}


def search_messages(mock, context, params, query, body):
	"""Messages whose content holds `q` (case aside), in the conversations the token may see."""
	text = query.get("q", [""])[0].strip().lower()
	visible = {
		c["id"]: c for c in mock.conversations.values() if c["inbox_id"] in context["user"]["inbox_ids"]
	}
	found = [
		m
		for m in sorted(mock.messages.values(), key=lambda m: -m["created_at"])
		if text and m["conversation_id"] in visible and text in (m["content"] or "").lower()
	]
	page = _slice(found, _page(query), 15)
	return {
		"payload": {
			"messages": [
				{
					"id": m["id"],
					"content": m["content"],
					"message_type": m["message_type"],
					"content_type": m["content_type"],
					"source_id": m["source_id"],
					"inbox_id": m["inbox_id"],
					"conversation_id": m["conversation_id"],
					"created_at": int(m["created_at"]),
					"sender": mock._sender_push(m),
				}
				for m in page
			],
			"meta": {"current_page": _page(query), "total_count": len(found)},
		}
	}


PASSWORD_SPECIALS = "!@#$%^&*()_+-=[]{}|"


def password_errors(password: str) -> list[str]:
	"""Chatwoot's password rules (Devise's length and devise-secure_password's content)."""
	errors = []
	if not 6 <= len(password) <= 128:
		errors.append(
			"Password is too short (minimum is 6 characters)"
			if len(password) < 6
			else "Password is too long (maximum is 128 characters)"
		)
	for test, what in (
		(str.isupper, "uppercase letter"),
		(str.islower, "lowercase letter"),
		(str.isdigit, "number"),
		(lambda c: c in PASSWORD_SPECIALS, f"special character ({PASSWORD_SPECIALS})"),
	):
		if not any(test(c) for c in password):
			errors.append(f"Password must contain at least 1 {what}")
	return errors


def _platform_user(mock: MockChatwoot, user_id) -> dict:
	"""A user the platform app may touch: 401 "Non permissible resource" for any other."""
	user = mock.users.get(int(user_id))
	if user is None:
		raise not_found()
	if user["id"] not in mock.platform_users:
		raise ApiError(401, {"error": "Non permissible resource"})
	return user


def _platform_user_json(user: dict) -> dict:
	return {
		"id": user["id"],
		"name": user["name"],
		"email": user["email"],
		"access_token": user["access_token"],
		"confirmed": user.get("confirmed", True),
	}


def platform_create_user(mock, context, params, query, body):
	"""Creates a confirmed user; an e-mail Chatwoot has already is claimed, its password unchanged."""
	if not body.get("email") or not body.get("name"):
		raise invalid("Name and email are required", ["name", "email"])
	for user in mock.users.values():
		if user["email"].lower() == body["email"].lower():
			break
	else:
		errors = password_errors(str(body.get("password") or ""))
		if errors:
			raise invalid(", ".join(errors), ["password"])
		user = {
			"id": mock._next_id("user"),
			"name": body["name"],
			"email": body["email"],
			"role": "agent",
			"access_token": secrets.token_hex(12),
			"inbox_ids": [],
			"confirmed": True,
			"member": False,
		}
		mock.users[user["id"]] = user
		mock.tokens[user["access_token"]] = user["id"]
		mock.passwords[user["id"]] = body["password"]
	mock.platform_users.add(user["id"])
	return _platform_user_json(user)


def platform_get_user(mock, context, params, query, body):
	return _platform_user_json(_platform_user(mock, params["id"]))


def platform_delete_user(mock, context, params, query, body):
	user = _platform_user(mock, params["id"])
	del mock.users[user["id"]]
	mock.tokens.pop(user["access_token"], None)
	mock.platform_users.discard(user["id"])
	return None


def platform_create_account(mock, context, params, query, body):
	if not body.get("name"):
		raise invalid("Name can't be blank", ["name"])
	account = {
		"id": mock._next_id("account"),
		"name": body["name"],
		"locale": body.get("locale", "en"),
		"status": "active",
	}
	mock.platform_accounts[account["id"]] = account
	return account


def platform_add_account_user(mock, context, params, query, body):
	"""Makes the user a member of the account with the role, or changes their role."""
	account_id = int(params["account_id"])
	if account_id not in mock.platform_accounts and account_id != mock.account["id"]:
		raise not_found()
	user = _platform_user(mock, body.get("user_id") or 0)
	role = body.get("role", "agent")
	if role not in ("agent", "administrator"):
		raise invalid("Role is not included in the list", ["role"])
	if account_id == mock.account["id"]:
		user["role"], user["member"] = role, True
	return {"account_id": account_id, "user_id": user["id"], "role": role}


def platform_remove_account_user(mock, context, params, query, body):
	"""Takes the user out of the account, and so out of its inboxes; the user stays."""
	account_id = int(params["account_id"])
	if account_id not in mock.platform_accounts and account_id != mock.account["id"]:
		raise not_found()
	user = _platform_user(mock, body.get("user_id") or 0)
	if account_id == mock.account["id"]:
		if not user.get("member"):
			raise not_found()
		user["member"], user["inbox_ids"] = False, []
	return None


def platform_login(mock, context, params, query, body):
	user = _platform_user(mock, params["id"])
	return {"url": f"{mock.url}/app/login?email={user['email']}&sso_auth_token={secrets.token_hex(8)}"}


def _dashboard_app_fields(body: dict) -> dict:
	fields = body.get("dashboard_app", body)
	content = fields.get("content")
	if not fields.get("title"):
		raise invalid("Title can't be blank", ["title"])
	if (
		not isinstance(content, list)
		or not content
		or any(
			not isinstance(item, dict)
			or item.get("type") != "frame"
			or not re.match(r"^https?://", str(item.get("url") or ""))
			for item in content
		)
	):
		raise invalid("Content is invalid", ["content"])
	return {"title": fields["title"], "content": [{"type": "frame", "url": i["url"]} for i in content]}


def list_dashboard_apps(mock, context, params, query, body):
	return list(mock.dashboard_apps.values())


def create_dashboard_app(mock, context, params, query, body):
	app = {
		"id": mock._next_id("dashboard_app"),
		**_dashboard_app_fields(body),
		"created_at": iso(time.time()),
	}
	mock.dashboard_apps[app["id"]] = app
	return app


def update_dashboard_app(mock, context, params, query, body):
	app = mock.dashboard_apps.get(int(params["id"]))
	if app is None:
		raise not_found()
	app.update(_dashboard_app_fields(body))
	return app


def delete_dashboard_app(mock, context, params, query, body):
	if mock.dashboard_apps.pop(int(params["id"]), None) is None:
		raise not_found()
	return None


ATTRIBUTE_MODELS = ("conversation_attribute", "contact_attribute")
ATTRIBUTE_DISPLAY_TYPES = ("text", "number", "currency", "percent", "link", "date", "list", "checkbox")
# Contact attributes Chatwoot has already: a definition may not take their keys.
STANDARD_CONTACT_KEYS = {
	"name",
	"email",
	"phone_number",
	"identifier",
	"country_code",
	"city",
	"created_at",
	"last_activity_at",
	"referer",
	"blocked",
}


def _enum(value, names: tuple, attribute: str) -> str:
	"""Rails enums take the name or its number."""
	if isinstance(value, int) and 0 <= value < len(names):
		return names[value]
	if value in names:
		return value
	raise invalid(f"{attribute.replace('_', ' ').capitalize()} is not included in the list", [attribute])


def list_attribute_definitions(mock, context, params, query, body):
	wanted = query.get("attribute_model", ["conversation_attribute"])[0]
	model = _enum(int(wanted) if wanted.isdigit() else wanted, ATTRIBUTE_MODELS, "attribute_model")
	return [d for d in mock.attribute_definitions.values() if d["attribute_model"] == model]


def create_attribute_definition(mock, context, params, query, body):
	fields = body.get("custom_attribute_definition", body)
	model = _enum(fields.get("attribute_model"), ATTRIBUTE_MODELS, "attribute_model")
	display_type = _enum(
		fields.get("attribute_display_type", "text"), ATTRIBUTE_DISPLAY_TYPES, "attribute_display_type"
	)
	key = fields.get("attribute_key")
	if not key or not fields.get("attribute_display_name"):
		raise invalid(
			"Attribute key and display name can't be blank", ["attribute_key", "attribute_display_name"]
		)
	if model == "contact_attribute" and key in STANDARD_CONTACT_KEYS:
		raise invalid(f"Attribute key {key} is a standard attribute", ["attribute_key"])
	if any(
		d["attribute_key"] == key and d["attribute_model"] == model
		for d in mock.attribute_definitions.values()
	):
		raise invalid("Attribute key has already been taken", ["attribute_key"])
	now = iso(time.time())
	definition = {
		"id": mock._next_id("attribute_definition"),
		"attribute_display_name": fields["attribute_display_name"],
		"attribute_display_type": display_type,
		"attribute_description": fields.get("attribute_description"),
		"attribute_key": key,
		"attribute_model": model,
		"attribute_values": list(fields.get("attribute_values") or []),
		"default_value": None,
		"regex_pattern": fields.get("regex_pattern"),
		"regex_cue": fields.get("regex_cue"),
		"created_at": now,
		"updated_at": now,
	}
	mock.attribute_definitions[definition["id"]] = definition
	return definition


def update_attribute_definition(mock, context, params, query, body):
	definition = mock.attribute_definitions.get(int(params["id"]))
	if definition is None:
		raise not_found()
	fields = body.get("custom_attribute_definition", body)
	if "attribute_display_type" in fields:
		definition["attribute_display_type"] = _enum(
			fields["attribute_display_type"], ATTRIBUTE_DISPLAY_TYPES, "attribute_display_type"
		)
	for key in ("attribute_display_name", "attribute_description"):
		if key in fields:
			definition[key] = fields[key]
	definition["updated_at"] = iso(time.time())
	return definition


# The mock's own controls, for a harness that runs it as a separate process; Chatwoot has none.
CONTROL = "/__mock"


def control_faults(mock, context, params, query, body):
	"""{status, times, method?, path_contains?, delay?}: the next matching requests fail so."""
	mock.fail_next(
		int(body["status"]),
		int(body.get("times", 1)),
		method=body.get("method"),
		path_contains=body.get("path_contains"),
		body=body.get("body", "Retry later"),
		delay=float(body.get("delay", 0)),
	)
	return {"faults": len(mock.faults)}


def control_clear(mock, context, params, query, body):
	mock.faults.clear()
	mock.latency = float(body.get("latency", 0))
	return {"faults": 0, "latency": mock.latency}


def control_seed(mock, context, params, query, body):
	"""{contacts, conversations, messages_each}: more of each, generated."""
	mock.add_contacts(int(body.get("contacts", 0)))
	mock.add_conversations(int(body.get("conversations", 0)), int(body.get("messages_each", 1)))
	return {
		"contacts": len(mock.contacts),
		"conversations": len(mock.conversations),
		"messages": len(mock.messages),
	}


def control_start_burst(mock, context, params, query, body):
	"""{deliveries, duplicates?, window?, senders?, rate?, events?, seed?}: see start_burst."""
	burst = mock.start_burst(
		int(body["deliveries"]),
		duplicates=int(body.get("duplicates", 0)),
		window=int(body.get("window", 50)),
		senders=int(body.get("senders", 20)),
		rate=float(body["rate"]) if body.get("rate") else None,
		events=body.get("events"),
		seed=int(body.get("seed", 7)),
	)
	return burst.report()


def control_burst(mock, context, params, query, body):
	"""How the last burst went; ?detail=1 adds each delivery's answer and time."""
	if mock.burst is None:
		raise not_found()
	return mock.burst.report(detail=query.get("detail", ["0"])[0] == "1")


def control_stats(mock, context, params, query, body):
	since = float(query.get("since", ["0"])[0])
	return {
		"requests": len(mock.requests),
		"busiest_second": mock.busiest_second(since),
		"now": time.monotonic(),
		"deliveries": len(mock.deliveries),
		"faults_left": sum(max(f.remaining, 0) for f in mock.faults),
		"contacts": len(mock.listed_contacts()),
		"contacts_with_customer": sum(
			"erpnext_customer" in c["custom_attributes"] for c in mock.contacts.values()
		),
		"conversations": len(mock.conversations),
		"messages": len(mock.messages),
	}


def _route(method: str, template: str, handler, scope: str = "user"):
	pattern = re.sub(r"{(\w+)}", lambda m: f"(?P<{m.group(1)}>\\d+)", template)
	return method, re.compile(pattern), handler, scope


A = "/api/v1/accounts/{account_id}"
ROUTES = [
	_route("GET", A, get_account),
	_route("GET", "/api/v1/profile", get_profile),
	_route("GET", f"{A}/contacts", list_contacts),
	_route("GET", f"{A}/contacts/search", search_contacts),
	_route("POST", f"{A}/contacts/filter", filter_contacts),
	_route("POST", f"{A}/contacts", create_contact),
	_route("GET", f"{A}/contacts/{{id}}", get_contact),
	_route("PUT", f"{A}/contacts/{{id}}", update_contact),
	_route("PATCH", f"{A}/contacts/{{id}}", update_contact),
	_route("GET", f"{A}/contacts/{{id}}/conversations", contact_conversations),
	_route("GET", f"{A}/conversations", list_conversations),
	_route("POST", f"{A}/conversations", create_conversation),
	_route("GET", f"{A}/conversations/{{conversation_id}}", get_conversation),
	_route("POST", f"{A}/conversations/{{conversation_id}}/toggle_status", toggle_status),
	_route("POST", f"{A}/conversations/{{conversation_id}}/toggle_priority", toggle_priority),
	_route("POST", f"{A}/conversations/{{conversation_id}}/assignments", assign),
	_route("GET", f"{A}/conversations/{{conversation_id}}/labels", get_labels),
	_route("POST", f"{A}/conversations/{{conversation_id}}/labels", set_labels),
	_route("GET", f"{A}/conversations/{{conversation_id}}/messages", list_messages),
	_route("POST", f"{A}/conversations/{{conversation_id}}/messages", create_message),
	_route("GET", f"{A}/inboxes", list_inboxes),
	_route("GET", f"{A}/inbox_members/{{inbox_id}}", list_inbox_members, "admin"),
	_route("POST", f"{A}/inbox_members", add_inbox_members, "admin"),
	_route("PATCH", f"{A}/inbox_members", replace_inbox_members, "admin"),
	_route("DELETE", f"{A}/inbox_members", remove_inbox_members, "admin"),
	_route("GET", f"{A}/labels", list_account_labels),
	_route("GET", f"{A}/dashboard_apps", list_dashboard_apps),
	_route("POST", f"{A}/dashboard_apps", create_dashboard_app, "admin"),
	_route("PATCH", f"{A}/dashboard_apps/{{id}}", update_dashboard_app, "admin"),
	_route("DELETE", f"{A}/dashboard_apps/{{id}}", delete_dashboard_app, "admin"),
	_route("GET", f"{A}/custom_attribute_definitions", list_attribute_definitions),
	_route("POST", f"{A}/custom_attribute_definitions", create_attribute_definition, "admin"),
	_route("PATCH", f"{A}/custom_attribute_definitions/{{id}}", update_attribute_definition, "admin"),
	_route("GET", f"{A}/teams", list_teams),
	_route("GET", f"{A}/agents", list_agents),
	_route("POST", f"{A}/agents", create_agent, "admin"),
	_route("PATCH", f"{A}/agents/{{id}}", update_agent, "admin"),
	_route("DELETE", f"{A}/agents/{{id}}", delete_agent, "admin"),
	_route("GET", f"{A}/webhooks", list_webhooks, "admin"),
	_route("POST", f"{A}/webhooks", create_webhook, "admin"),
	_route("PATCH", f"{A}/webhooks/{{webhook_id}}", update_webhook, "admin"),
	_route("DELETE", f"{A}/webhooks/{{webhook_id}}", delete_webhook, "admin"),
	_route("GET", "/api/v2/accounts/{account_id}/reports/summary", report_summary, "admin"),
	_route("GET", f"{A}/csat_survey_responses/metrics", csat_metrics, "admin"),
	_route("GET", f"{A}/search/messages", search_messages),
	_route("POST", f"{CONTROL}/faults", control_faults, "public"),
	_route("POST", f"{CONTROL}/clear", control_clear, "public"),
	_route("POST", f"{CONTROL}/seed", control_seed, "public"),
	_route("GET", f"{CONTROL}/stats", control_stats, "public"),
	_route("POST", f"{CONTROL}/burst", control_start_burst, "public"),
	_route("GET", f"{CONTROL}/burst", control_burst, "public"),
	_route("GET", "/packs/js/sdk.js", sdk_loader, "public"),
	_route("GET", "/dashboard-app", dashboard_app_host, "public"),
	_route("PATCH", "/api/v1/widget/contact/set_user", widget_set_user, "widget"),
	_route("POST", "/platform/api/v1/users", platform_create_user, "platform"),
	_route("GET", "/platform/api/v1/users/{id}", platform_get_user, "platform"),
	_route("DELETE", "/platform/api/v1/users/{id}", platform_delete_user, "platform"),
	_route("GET", "/platform/api/v1/users/{id}/login", platform_login, "platform"),
	_route("POST", "/platform/api/v1/accounts", platform_create_account, "platform"),
	_route(
		"POST", "/platform/api/v1/accounts/{account_id}/account_users", platform_add_account_user, "platform"
	),
	_route(
		"DELETE",
		"/platform/api/v1/accounts/{account_id}/account_users",
		platform_remove_account_user,
		"platform",
	),
]


def _handler_for(mock: MockChatwoot) -> type[BaseHTTPRequestHandler]:
	class Handler(BaseHTTPRequestHandler):
		protocol_version = "HTTP/1.1"
		disable_nagle_algorithm = True  # headers and body go out in separate writes

		def _serve(self) -> None:
			length = int(self.headers.get("Content-Length") or 0)
			body = self.rfile.read(length) if length else b""
			status, answer, extra_headers = mock.handle(self.command, self.path, self.headers, body)
			if answer is None:
				data, content_type = b"", "application/json; charset=utf-8"  # Rails' `head :ok`
			elif isinstance(answer, Raw):
				data, content_type = answer.body.encode(), answer.content_type
			elif isinstance(answer, str):
				data, content_type = answer.encode(), "text/plain; charset=utf-8"
			else:
				data, content_type = rails_json(answer), "application/json; charset=utf-8"
			self.send_response(status)
			self.send_header("Content-Type", content_type)
			self.send_header("Content-Length", str(len(data)))
			for name, value in extra_headers.items():
				self.send_header(name, value)
			self.end_headers()
			self.wfile.write(data)

		do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

		def log_message(self, format, *args):  # quiet: tests read the state, not the log
			pass

	return Handler


def main(argv: list[str] | None = None) -> None:
	parser = argparse.ArgumentParser(description="Run a mock Chatwoot on loopback.")
	parser.add_argument("--host", default="127.0.0.1")
	parser.add_argument("--port", type=int, default=3000)
	parser.add_argument("--seed", type=Path, default=SEED, help="JSON file with the starting state")
	parser.add_argument("--contacts", type=int, default=0, help="add this many generated contacts")
	parser.add_argument("--conversations", type=int, default=0, help="and this many conversations of them")
	parser.add_argument("--account", type=int, help="the account's id, instead of the seed's")
	args = parser.parse_args(argv)
	mock = MockChatwoot(args.host, args.port, seed=args.seed)
	if args.account:
		mock.account["id"] = args.account
	mock.add_contacts(args.contacts)
	mock.add_conversations(args.conversations)
	mock.start()
	tokens = ", ".join(f"{u['email']} ({u['role']}): {u['access_token']}" for u in mock.users.values())
	print(f"Mock Chatwoot at {mock.url}, account {mock.account['id']}. Tokens: {tokens}", flush=True)
	try:
		while True:
			time.sleep(3600)
	except KeyboardInterrupt:
		mock.stop()


if __name__ == "__main__":
	main()
