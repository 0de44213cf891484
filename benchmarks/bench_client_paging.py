"""Paging through many contacts: ChatwootAPI.iter_contacts against a bare requests loop.

Both walk the same pages of the same mock Chatwoot (run in its own process, so that its work and
memory are not counted here), in the same run, alternating, best of several rounds. Prints the time
ratio (goal: at most 1.2) and how much the client's memory grows while iterating (goal: under 50 MB).

	python -m benchmarks.bench_client_paging --contacts 100000
"""

import argparse
import subprocess
import sys
import time
import tracemalloc

import requests

from chat_bridge.chatwoot import ChatwootAPI
from chat_bridge.chatwoot.ratelimit import RateLimiter
from chat_bridge.chatwoot.transport import Transport

TOKEN = "admin-token"
ACCOUNT = 3


def start_mock(contacts: int) -> tuple[subprocess.Popen, str]:
	process = subprocess.Popen(
		[
			sys.executable,
			"-m",
			"tests.mock_chatwoot_api.mock_server",
			"--port",
			"0",
			"--contacts",
			str(contacts),
		],
		stdout=subprocess.PIPE,
		text=True,
	)
	banner = process.stdout.readline()  # "Mock Chatwoot at http://127.0.0.1:PORT, …"
	return process, banner.split(" at ", 1)[1].split(",", 1)[0]


def bare_requests(url: str) -> int:
	session = requests.Session()
	session.headers["api_access_token"] = TOKEN
	count, page = 0, 1
	while True:
		answer = session.get(f"{url}/api/v1/accounts/{ACCOUNT}/contacts", params={"page": page}, timeout=30)
		answer.raise_for_status()
		items = answer.json()["payload"]
		if not items:
			return count
		count += len(items)
		page += 1


def with_client(url: str) -> int:
	# Unthrottled: this measures the client's own cost, not the pace it keeps with a real Chatwoot.
	transport = Transport(url, TOKEN, limiter=RateLimiter(float("inf")))
	return sum(1 for _ in ChatwootAPI(url, TOKEN, ACCOUNT, transport=transport).iter_contacts())


def timed(fn, url: str) -> tuple[float, int]:
	started = time.perf_counter()
	count = fn(url)
	return time.perf_counter() - started, count


def peak_growth_mb(url: str) -> float:
	tracemalloc.start()
	baseline = tracemalloc.get_traced_memory()[0]
	with_client(url)
	peak = tracemalloc.get_traced_memory()[1]
	tracemalloc.stop()
	return (peak - baseline) / 1_000_000


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--contacts", type=int, default=100_000)
	parser.add_argument("--rounds", type=int, default=3)
	args = parser.parse_args()

	process, url = start_mock(args.contacts)
	try:
		bare_times, client_times = [], []
		for _ in range(args.rounds):
			seconds, bare_count = timed(bare_requests, url)
			bare_times.append(seconds)
			seconds, client_count = timed(with_client, url)
			client_times.append(seconds)
		assert bare_count == client_count, (bare_count, client_count)
		growth = peak_growth_mb(url)
	finally:
		process.terminate()
		process.wait()

	ratio = min(client_times) / min(bare_times)
	print(f"contacts iterated:        {client_count} ({client_count // 15 + 1} pages)")
	print(f"bare requests loop:       {min(bare_times):.2f} s (best of {args.rounds})")
	print(f"ChatwootAPI.iter_contacts: {min(client_times):.2f} s (best of {args.rounds})")
	print(f"time ratio client/bare:   {ratio:.3f}  (goal <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'})")
	print(
		f"client peak memory growth: {growth:.2f} MB  (goal < 50 MB: {'met' if growth < 50 else 'NOT met'})"
	)


if __name__ == "__main__":
	main()
