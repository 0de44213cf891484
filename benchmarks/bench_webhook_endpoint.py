"""Latency of the webhook endpoint of a running site, beside the same site's /api/method/ping.

Sends signed deliveries (fresh delivery ids) to the webhook at a steady rate, open loop (a slow
answer does not slow the sender), with a ping after every fourth of them, so that both meet the same
load, including the worker processing what the webhook queued. Prints the median and p99 of each
and the ratio of the medians (goals: median at most 1.5 times ping, p99 under 100 ms).
The site must have sync on and the same webhook secret.

	python -m benchmarks.bench_webhook_endpoint http://127.0.0.1:8000 --host chat.localhost --secret …
"""

import argparse
import json
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

from benchmarks.stats import percentile, ratio_line
from chat_bridge.chatwoot.signature import sign

EXAMPLE = (
	Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "webhooks" / "conversation_updated.json"
)


def run_interleaved(
	sends: dict[str, Callable[[], None]], pattern: list[str], rate: float, seconds: float
) -> tuple[dict[str, list[float]], list[str]]:
	"""`rate` requests a second for `seconds`, their kinds taken from `pattern` over and over, each in
	its own thread. Returns the latencies (ms) of each kind's successful calls, and the errors."""
	latencies: dict[str, list[float]] = {kind: [] for kind in sends}
	errors: list[str] = []
	lock = threading.Lock()
	threads = []

	def one(kind: str) -> None:
		started = time.perf_counter()
		try:
			sends[kind]()
		except Exception as error:
			with lock:
				errors.append(f"{kind}: {type(error).__name__}: {error}")
			return
		with lock:
			latencies[kind].append((time.perf_counter() - started) * 1000)

	start = time.perf_counter()
	for number in range(int(rate * seconds)):
		delay = start + number / rate - time.perf_counter()
		if delay > 0:
			time.sleep(delay)
		thread = threading.Thread(target=one, args=(pattern[number % len(pattern)],))
		thread.start()
		threads.append(thread)
	for thread in threads:
		thread.join()
	return latencies, errors


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("base_url", help="e.g. http://127.0.0.1:8000")
	parser.add_argument("--host", help="Host header naming the site, when base_url does not")
	parser.add_argument("--secret", required=True, help="the site's Webhook Secret")
	parser.add_argument("--rate", type=float, default=50.0, help="webhook deliveries a second")
	parser.add_argument("--seconds", type=float, default=20.0)
	parser.add_argument("--smoke", action="store_true", help="a few requests: does it run")
	args = parser.parse_args()
	if args.smoke:
		args.rate, args.seconds = 10.0, 1.0

	headers = {"Host": args.host} if args.host else {}
	template = json.loads(EXAMPLE.read_text())
	local = threading.local()

	def session() -> requests.Session:
		if not hasattr(local, "session"):
			local.session = requests.Session()
		return local.session

	def expect_ok(response: requests.Response) -> None:
		if response.status_code != 200:
			raise RuntimeError(f"{response.status_code}: {response.text[:300]}")

	def ping() -> None:
		expect_ok(session().get(f"{args.base_url}/api/method/ping", headers=headers, timeout=10))

	def webhook() -> None:
		body = json.dumps({**template, "updated_at": time.time()}, separators=(",", ":")).encode()
		timestamp = int(time.time())
		signed = {
			**headers,
			"Content-Type": "application/json",
			"X-Chatwoot-Timestamp": str(timestamp),
			"X-Chatwoot-Signature": sign(args.secret, timestamp, body),
			"X-Chatwoot-Delivery": f"bench-{uuid.uuid4()}",
		}
		response = session().post(
			f"{args.base_url}/api/method/chat_bridge.webhook.handle", data=body, headers=signed, timeout=10
		)
		expect_ok(response)
		if response.json()["message"]["status"] != "queued":
			raise RuntimeError(response.text[:300])

	run_interleaved(
		{"ping": ping}, ["ping"], args.rate, 1 if args.smoke else 2
	)  # warm up the server's threads and connections
	pattern = ["webhook"] * 4 + ["ping"]
	pings_per_second = args.rate / pattern.count("webhook")
	measured, errors = run_interleaved(
		{"webhook": webhook, "ping": ping}, pattern, args.rate + pings_per_second, args.seconds
	)
	if errors:
		raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]}")
	ping_ms, hook_ms = measured["ping"], measured["webhook"]
	ratio = statistics.median(hook_ms) / statistics.median(ping_ms)
	p99 = percentile(hook_ms, 0.99)
	print(
		f"rate: {args.rate:.0f} webhooks/s and {pings_per_second:.1f} pings/s, interleaved,"
		f" for {args.seconds:.0f} s"
	)
	print(
		f"ping:    median {statistics.median(ping_ms):6.1f} ms   p99 {percentile(ping_ms, 0.99):6.1f} ms   ({len(ping_ms)} requests)"
	)
	print(
		f"webhook: median {statistics.median(hook_ms):6.1f} ms   p99 {p99:6.1f} ms   ({len(hook_ms)} requests)"
	)
	print(ratio_line("webhook/ping median", ratio, 1.5))
	print(f"webhook p99: {p99:.1f} ms  (goal < 100 ms: {'met' if p99 < 100 else 'NOT met'})")


if __name__ == "__main__":
	main()
