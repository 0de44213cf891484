"""Paging through many contacts: ChatwootAPI.iter_contacts against a bare requests loop.

Both walk the same pages of the same mock Chatwoot (run in its own process, so that its work and
memory are not counted here), in the same run, alternating, best of several rounds. Prints the time
ratio (goal: at most 1.2) and how much the client's memory grows while iterating (goal: under 50 MB).

	python -m benchmarks.bench_client_paging --contacts 100000     # --smoke: a few pages
"""

import argparse
import math
import subprocess
import sys
import tracemalloc
from pathlib import Path

import requests

from benchmarks.stats import interleaved_best, ratio_line
from chat_bridge.chatwoot import ChatwootAPI
from chat_bridge.chatwoot.ratelimit import RateLimiter
from chat_bridge.chatwoot.transport import Transport

TOKEN = "admin-token"
ACCOUNT = 3


REPO = Path(__file__).resolve().parents[1]


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
		cwd=REPO,  # where `tests` is the repository's, from wherever the benchmark is run
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
	transport = Transport(url, TOKEN, limiter=RateLimiter(math.inf))
	return sum(1 for _ in ChatwootAPI(url, TOKEN, ACCOUNT, transport=transport).iter_contacts())


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
	parser.add_argument("--smoke", action="store_true", help="a few pages: does it run")
	args = parser.parse_args()
	if args.smoke:
		args.contacts, args.rounds = 60, 2

	process, url = start_mock(args.contacts)
	try:
		counts = {"bare": bare_requests(url), "client": with_client(url)}
		assert counts["bare"] == counts["client"], counts
		best = interleaved_best(
			{"bare": lambda: bare_requests(url), "client": lambda: with_client(url)}, args.rounds
		)
		growth = peak_growth_mb(url)
	finally:
		process.terminate()
		process.wait()

	print(f"contacts iterated:         {counts['client']} ({counts['client'] // 15 + 1} pages)")
	print(f"bare requests loop:        {best['bare']:.2f} s (best of {args.rounds})")
	print(f"ChatwootAPI.iter_contacts: {best['client']:.2f} s (best of {args.rounds})")
	print(ratio_line("client/bare time", best["client"] / best["bare"], 1.2))
	print(
		f"client peak memory growth: {growth:.2f} MB  (goal < 50 MB: {'met' if growth < 50 else 'NOT met'})"
	)


if __name__ == "__main__":
	main()
