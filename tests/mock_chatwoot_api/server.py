"""The mock Chatwoot as a server: HTTP on loopback, routing, Rack::Attack, background jobs and
webhook delivery.

Deliveries go out as Chatwoot sends them by default: from a pool of workers (Sidekiq's ten
threads), in no fixed order, each payload made when its job runs, never retried, and refused for
a loopback, private or link-local address unless the mock runs with private networks allowed, as
Chatwoot does with SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true (the tests, whose sites are on loopback,
say so). Rate limits are Rack::Attack's, off unless switched on the way Chatwoot's production is.
"""

import hashlib
import hmac
import ipaddress
import json
import os
import queue
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.mock_chatwoot_api import multipart
from tests.mock_chatwoot_api.control import CustomerActions
from tests.mock_chatwoot_api.errors import ApiError, server_error
from tests.mock_chatwoot_api.routing import CONTROL, Raw, find_route
from tests.mock_chatwoot_api.state import SEED, State

# Rails' ActiveModel::Type::Boolean: "" is nil, these are false, anything else (even "False") is true.
FALSE_VALUES = {"", "0", "f", "F", "false", "FALSE", "off", "OFF"}
DELIVERY_WORKERS = 10  # SIDEKIQ_CONCURRENCY's default
DELIVERY_TIMEOUT = 5  # WEBHOOK_TIMEOUT's default, for opening and for each read
# What ssrf_filter refuses (and SafeFetch with it) unless private networks are allowed.
UNSAFE_NETWORKS = [
	ipaddress.ip_network(network)
	for network in (
		"0.0.0.0/8",
		"10.0.0.0/8",
		"100.64.0.0/10",
		"127.0.0.0/8",
		"169.254.0.0/16",
		"172.16.0.0/12",
		"192.0.0.0/24",
		"192.0.2.0/24",
		"192.168.0.0/16",
		"198.18.0.0/15",
		"198.51.100.0/24",
		"203.0.113.0/24",
		"224.0.0.0/4",
		"240.0.0.0/4",
		"255.255.255.255/32",
		"::1/128",
		"100::/64",
		"2001::/32",
		"2001:10::/28",
		"2001:20::/28",
		"2001:db8::/32",
		"2002::/16",
		"fc00::/7",
		"fe80::/10",
		"ff00::/8",
	)
]
# Rails' trusted proxies, which X-Forwarded-For is read through to the client's address.
TRUSTED_PROXIES = [
	ipaddress.ip_network(n)
	for n in ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
]
# The widget's endpoints are called from the pages of other sites.
CORS_HEADERS = {
	"Access-Control-Allow-Origin": "*",
	"Access-Control-Allow-Methods": "GET, POST, PATCH, OPTIONS",
	"Access-Control-Allow-Headers": "Content-Type, X-Auth-Token",
}


def env_flag(name: str, default: bool) -> bool:
	value = os.environ.get(name)
	return default if value is None else value not in FALSE_VALUES


def rails_json(payload: Any) -> bytes:
	"""Serialise as Rails does: compact, raw UTF-8, with < > & and the line separators escaped."""
	text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
	for character, escaped in (
		("<", "\\u003c"),
		(">", "\\u003e"),
		("&", "\\u0026"),
		("\u2028", "\\u2028"),
		("\u2029", "\\u2029"),
	):
		text = text.replace(character, escaped)
	return text.encode()


def chatwoot_signature(secret: str, timestamp: str, body: bytes) -> str:
	digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
	return f"sha256={digest}"


@dataclass
class Fault:
	status: int
	remaining: int
	method: str | None
	path_contains: str | None
	body: Any
	headers: dict
	delay: float = 0.0  # seconds before answering: longer than a client waits is a timeout

	def matches(self, method: str, path: str) -> bool:
		return (
			self.remaining > 0
			and (self.method is None or self.method == method)
			and (self.path_contains is None or self.path_contains in path)
		)


@dataclass
class Throttle:
	name: str
	limit: int
	period: int
	key: Callable[[str, str, str, dict], str | None]  # (ip, method, path, headers) → the counted key


class RackAttack:
	"""Chatwoot's config/initializers/rack_attack.rb: fixed windows, safelisted loopback and
	RACK_ATTACK_ALLOWED_IPS, the first throttle that trips answers 429 `Retry later`."""

	def __init__(self, clock: Callable[[], float], allowed_ips: set[str] | None = None):
		self.clock = clock
		extra = {ip.strip() for ip in os.environ.get("RACK_ATTACK_ALLOWED_IPS", "").split(",") if ip.strip()}
		self.allowed = {"127.0.0.1", "::1", *extra, *(allowed_ips or ())}
		self.counts: dict[str, int] = defaultdict(int)
		self.throttles = [
			Throttle("req/ip", int(os.environ.get("RACK_ATTACK_LIMIT", 3000)), 60, lambda ip, m, p, h: ip),
			Throttle(
				"contact search",
				int(os.environ.get("RATE_LIMIT_CONTACT_SEARCH", 100)),
				60,
				lambda ip, m, p, h: _account_in(p, "/api/v1/accounts/", "/contacts/search"),
			),
			Throttle(
				"reports user",
				int(os.environ.get("RATE_LIMIT_REPORTS_API_USER_LEVEL", 100)),
				60,
				lambda ip, m, p, h: _reports_user(p, h),
			),
			Throttle(
				"reports account",
				int(os.environ.get("RATE_LIMIT_REPORTS_API_ACCOUNT_LEVEL", 1000)),
				60,
				lambda ip, m, p, h: _reports_account(p),
			),
			Throttle(
				"conversations meta",
				int(os.environ.get("RATE_LIMIT_CONVERSATIONS_META", 30)),
				60,
				lambda ip, m, p, h: _conversations_meta(m, p, h),
			),
		]

	def refuses(self, ip: str, method: str, path: str, headers: dict) -> str | None:
		"""The throttle that refuses this request, or None."""
		if ip in self.allowed or path == "/health":
			return None
		now = self.clock()
		for throttle in self.throttles:
			key = throttle.key(ip, method, path, headers)
			if key is None:
				continue
			counter = f"{throttle.name}:{key.strip().lower()}:{int(now // throttle.period)}"
			self.counts[counter] += 1
			if self.counts[counter] > throttle.limit:
				return throttle.name
		return None


def _account_in(path: str, prefix: str, marker: str) -> str | None:
	if prefix in path and marker in path:
		return path.split(prefix, 1)[1].split("/", 1)[0]
	return None


def _reports_account(path: str) -> str | None:
	marker = "/api/v2/accounts/"
	if marker in path:
		account, _, rest = path.split(marker, 1)[1].partition("/")
		if account.isdigit() and rest.startswith("reports"):
			return account
	return None


def _reports_user(path: str, headers: dict) -> str | None:
	account = _reports_account(path)
	who = headers.get("uid") or headers.get("api_access_token") or headers.get("api-access-token")
	return f"{who}:{account}" if account and who else None


def _conversations_meta(method: str, path: str, headers: dict) -> str | None:
	account = _account_in(path, "/api/v1/accounts/", "/conversations/meta")
	who = headers.get("uid") or headers.get("api_access_token") or headers.get("api-access-token")
	return f"{who}:{account}" if method == "GET" and account and who else None


def client_ip(peer: str, forwarded: str | None) -> str:
	"""The client as Rails sees it: the last address of X-Forwarded-For that is not a trusted proxy."""
	if not forwarded or not _trusted(peer):
		return peer
	for address in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
		if not _trusted(address):
			return address
	return peer


def _trusted(address: str) -> bool:
	try:
		ip = ipaddress.ip_address(address)
	except ValueError:
		return False
	return any(ip in network for network in TRUSTED_PROXIES)


def unsafe(address: str) -> bool:
	ip = ipaddress.ip_address(address)
	if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
		ip = ip.ipv4_mapped
	return any(ip.version == network.version and ip in network for network in UNSAFE_NETWORKS)


def safe_fetch_refusal(url: str, allow_private_network: bool) -> str | None:
	"""Why SafeFetch would not post to `url`, or None: only public addresses, unless allowed."""
	host = urlsplit(url).hostname or ""
	try:
		addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
	except socket.gaierror:
		return f"Could not resolve hostname '{host}'"
	if allow_private_network or any(not unsafe(address) for address in addresses):
		return None
	return f"Hostname '{host}' has no public ip addresses"


@dataclass
class DeliveryJob:
	url: str
	secret: str | None
	event: str
	build: Callable[[], dict]
	delivery_id: str
	kind: str = "account_webhook"  # or "api_inbox_webhook", the channel's own callback


class MockChatwoot(CustomerActions, State):
	"""One mock Chatwoot installation: its records, its API on loopback, its webhooks."""

	def __init__(
		self,
		host: str = "127.0.0.1",
		port: int = 0,
		seed: Path | dict | None = SEED,
		*,
		allow_private_network: bool | None = None,
		rack_attack: bool | None = None,
		frontend_url: str | None = None,
		delivery_workers: int = DELIVERY_WORKERS,
		clock: Callable[[], float] = time.time,
	):
		super().__init__(seed, clock=clock)
		if allow_private_network is None:
			allow_private_network = env_flag("SAFE_FETCH_ALLOW_PRIVATE_NETWORK", False)
		self.allow_private_network = allow_private_network
		if rack_attack is None:  # only in production, and there unless switched off
			rack_attack = os.environ.get("RAILS_ENV") == "production" and env_flag("ENABLE_RACK_ATTACK", True)
		self.rack_attack = RackAttack(clock) if rack_attack else None
		self.latency = 0.0
		self.faults: list[Fault] = []
		self.requests: list[tuple[str, str]] = []
		self.request_times: list[float] = []  # monotonic, for the pace clients keep
		self.deliveries: list[dict] = []
		self.log: list[str] = []  # what Chatwoot would write to its log
		self.burst = None
		self._held: list[DeliveryJob] | None = None  # while a burst is made up: its deliveries
		self._delivery_queue: queue.Queue = queue.Queue()
		self._deliveries_done = threading.Condition()
		self._jobs: queue.Queue = queue.Queue()
		self._jobs_pending = 0
		self._jobs_done = threading.Condition()
		self.delivery_workers = delivery_workers
		self.server = ThreadingHTTPServer((host, port), _handler_for(self))
		self.server.daemon_threads = True
		self._frontend_url = frontend_url

	# Lifecycle

	@property
	def url(self) -> str:
		host, port = self.server.server_address[:2]
		return f"http://{host}:{port}"

	@property
	def frontend_url(self) -> str:
		"""FRONTEND_URL, which Chatwoot builds sign-in links on (its API address unless told)."""
		return self._frontend_url if self._frontend_url is not None else self.url

	def start(self) -> "MockChatwoot":
		targets = [lambda: self.server.serve_forever(poll_interval=0.05), self._run_jobs]
		targets += [self._deliver_forever] * self.delivery_workers
		for target in targets:
			threading.Thread(target=target, daemon=True).start()
		return self

	def stop(self) -> None:
		self.server.shutdown()
		self.server.server_close()
		for _ in range(self.delivery_workers):
			self._delivery_queue.put(None)
		self._jobs.put(None)

	def __enter__(self) -> "MockChatwoot":
		return self.start()

	def __exit__(self, *exc) -> None:
		self.stop()

	# Background jobs

	def run_later(self, work: Callable[[], None]) -> None:
		with self._jobs_done:
			self._jobs_pending += 1
		self._jobs.put(work)

	def _run_jobs(self) -> None:
		while True:
			work = self._jobs.get()
			if work is None:
				return
			try:
				with self._lock:
					work()
			finally:
				with self._jobs_done:
					self._jobs_pending -= 1
					self._jobs_done.notify_all()

	def settle(self, timeout: float = 10.0) -> None:
		"""Wait until the background jobs queued so far have run."""
		deadline = time.monotonic() + timeout
		with self._jobs_done:
			while self._jobs_pending:
				remaining = deadline - time.monotonic()
				if remaining <= 0:
					raise TimeoutError(f"{self._jobs_pending} background jobs still running")
				self._jobs_done.wait(remaining)

	# Webhooks

	def announce(
		self, event: str, account_id: int, build: Callable[[], dict], inbox_id: int | None = None
	) -> None:
		"""WebhookListener: one job per account webhook that subscribed to the event, and one for an
		API inbox's own webhook_url (conversation and message events only)."""
		jobs = [
			DeliveryJob(webhook["url"], webhook["secret"], event, build, str(uuid.uuid4()))
			for webhook in self.webhooks.values()
			if webhook["account_id"] == account_id and event in webhook["subscriptions"]
		]
		inbox = self.inboxes.get(inbox_id or 0)
		if (
			inbox
			and inbox["channel_type"] == "Channel::Api"
			and inbox.get("webhook_url")
			and not event.startswith("contact_")
		):
			jobs.append(
				DeliveryJob(
					inbox["webhook_url"],
					inbox["secret"],
					event,
					build,
					str(uuid.uuid4()),
					"api_inbox_webhook",
				)
			)
		for job in jobs:
			if self._held is not None:
				self._held.append(job)
			else:
				self._delivery_queue.put(job)

	def _deliver_forever(self) -> None:
		while True:
			job = self._delivery_queue.get()
			if job is None:
				return
			with self._lock:
				payload = {**job.build(), "event": job.event}  # made now, as the job runs
			delivery = self.post_delivery(job, payload)
			with self._deliveries_done:
				self.deliveries.append(delivery)
				self._deliveries_done.notify_all()

	def post_delivery(self, job: DeliveryJob, payload: dict) -> dict:
		"""Webhooks::Trigger: SafeFetch first; then the POST, signed, given up after five seconds.
		Any failure is handled, logged and dropped, never retried."""
		body = rails_json(payload)
		delivery = {"event": job.event, "url": job.url, "delivery_id": job.delivery_id, "body": body}
		refusal = safe_fetch_refusal(job.url, self.allow_private_network)
		if refusal:
			result = {"status": None, "answer": refusal, "refused": True, "seconds": 0.0, "error": refusal}
		else:
			result = send(job, body)
		if result.get("error"):
			self.handle_failure(job, payload, result["error"])
		return {**delivery, **result}

	def handle_failure(self, job: DeliveryJob, payload: dict, error: str) -> None:
		"""Trigger#handle_failure (lib/webhooks/trigger.rb:34-37,65-75): an API inbox's copy of a
		message event that fails marks the message failed; every failure is logged as a WARN."""
		with self._lock:
			if job.kind == "api_inbox_webhook" and job.event in ("message_created", "message_updated"):
				message = self.messages.get(payload.get("id"))
				if message:
					self.update_message_status(message, "failed", error)
			self.log.append(f"Exception: Invalid webhook URL {job.url} : {error}")

	def wait_for_deliveries(self, count: int, timeout: float = 10.0) -> list[dict]:
		"""Block until at least `count` webhook deliveries have been attempted (or refused)."""
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

	# Faults, for tests

	def fail_next(
		self,
		status: int,
		times: int = 1,
		*,
		method: str | None = None,
		path_contains: str | None = None,
		body: Any = "Retry later\n",
		headers: dict | None = None,
		delay: float = 0.0,
	) -> None:
		"""Answer the next `times` matching requests with `status` (429 comes as Rack::Attack
		sends it), after `delay` seconds."""
		with self._lock:
			self.faults.append(Fault(status, times, method, path_contains, body, headers or {}, delay))

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

	# Requests

	def handle(
		self, method: str, raw_path: str, headers, body: bytes, peer: str = "127.0.0.1"
	) -> tuple[int, Any, dict]:
		if self.latency:
			time.sleep(self.latency)
		parts = urlsplit(raw_path)
		path, query = parts.path.rstrip("/") or "/", parse_qs(parts.query, keep_blank_values=True)
		lowered = {name.lower(): value for name, value in headers.items()}
		extra = CORS_HEADERS if path.startswith(("/api/v1/widget", "/packs/", "/widget")) else {}
		with self._lock:
			if not path.startswith(CONTROL):
				self.requests.append((method, path))
				self.request_times.append(time.monotonic())
			fault = next((f for f in self.faults if f.matches(method, path)), None)
			if fault:
				fault.remaining -= 1
			throttled = None
			if self.rack_attack and not path.startswith(CONTROL):
				ip = client_ip(peer, lowered.get("x-forwarded-for"))
				throttled = self.rack_attack.refuses(ip, method, path, lowered)
		if fault:
			time.sleep(fault.delay)
			return fault.status, fault.body, fault.headers
		if throttled:
			return 429, Raw("Retry later\n", "text/plain"), {}
		if method == "OPTIONS":
			return 204, None, extra
		try:
			payload = parse_body(lowered.get("content-type", ""), body)
		except ValueError:  # ActionDispatch::Http::Parameters::ParseError, answered by Rails itself
			return 400, {"status": 400, "error": "Bad Request"}, extra
		route, params = find_route(method, path)
		if route is None:
			return 404, {"status": 404, "error": "Not Found"}, extra  # no route: Rails' own 404
		try:
			with self._lock:
				context = route.authenticate(self, lowered, params, query)
				return route.status, route.handler(self, context, params, query, payload), extra
		except ApiError as error:
			return error.status, error.body, extra
		except Exception as error:  # what nothing rescues is Rails' 500, and a line in the log
			self.log.append(f"{type(error).__name__}: {error}")
			failure = server_error()
			return failure.status, failure.body, extra


def parse_body(content_type: str, body: bytes) -> dict:
	if not body:
		return {}
	if content_type.startswith("multipart/form-data"):
		return multipart.parse(content_type, body)
	return json.loads(body)


def send(job: DeliveryJob, body: bytes) -> dict:
	"""POST through http.client rather than requests: in a load test the mock runs on the machine
	it loads, and every millisecond it spends sending is one the site under test does not get."""
	import http.client

	timestamp = str(int(time.time()))
	headers = {
		"Content-Type": "application/json",
		"Accept": "application/json",
		"X-Chatwoot-Delivery": job.delivery_id,
	}
	if job.secret:
		headers.update(
			{
				"X-Chatwoot-Timestamp": timestamp,
				"X-Chatwoot-Signature": chatwoot_signature(job.secret, timestamp, body),
			}
		)
	url = urlsplit(job.url)
	connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
	connection = connection_class(url.hostname, url.port, timeout=DELIVERY_TIMEOUT)
	started = time.monotonic()
	try:
		connection.request("POST", url.path + (f"?{url.query}" if url.query else ""), body, headers)
		response = connection.getresponse()
		result = {"status": response.status, "answer": response.read().decode(errors="replace")[:500]}
		if not 200 <= response.status < 300:  # SafeFetch::HttpError (lib/safe_fetch/fetcher.rb:9)
			result["error"] = f"{response.status} {response.reason}"
	except (OSError, http.client.HTTPException) as error:
		result = {"status": None, "answer": type(error).__name__, "error": str(error) or type(error).__name__}
	finally:
		connection.close()
	return {**result, "seconds": time.monotonic() - started}


def _handler_for(mock: MockChatwoot) -> type[BaseHTTPRequestHandler]:
	class Handler(BaseHTTPRequestHandler):
		protocol_version = "HTTP/1.1"
		disable_nagle_algorithm = True  # headers and body go out in separate writes

		def _serve(self) -> None:
			length = int(self.headers.get("Content-Length") or 0)
			body = self.rfile.read(length) if length else b""
			status, answer, extra_headers = mock.handle(
				self.command, self.path, self.headers, body, peer=self.client_address[0]
			)
			if answer is None:
				data, content_type = b"", "application/json; charset=utf-8"  # Rails' `head :ok`
			elif isinstance(answer, Raw):
				data, content_type = answer.body.encode(), answer.content_type
			elif isinstance(answer, str):
				data, content_type = answer.encode(), "text/plain"
			else:
				data, content_type = rails_json(answer), "application/json; charset=utf-8"
			self.send_response(status)
			if status != 204:
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
