"""The pure webhook intake against the least any receiver must do, per delivery.

`intake.receive` (size, signature, parse, classify, dedupe key) is timed over the example deliveries
beside a bare loop of `hmac` + `compare_digest` + `json.loads` over the same bodies, in the same run.
Prints the ratio (goal: at most 1.5).

	python -m benchmarks.bench_intake
"""

import argparse
import hashlib
import hmac
import json
import time
from pathlib import Path

from chat_bridge.chatwoot.intake import IntakeConfig, receive
from chat_bridge.chatwoot.signature import sign

EXAMPLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "webhooks"
SECRET = "benchmark-secret"
NOW = 1_781_774_099


def deliveries() -> list[tuple[bytes, dict]]:
	items = []
	for number, path in enumerate(sorted(EXAMPLES.glob("*.json"))):
		if path.stem == "signature_test_vector":
			continue
		body = path.read_bytes()
		headers = {
			"X-Chatwoot-Timestamp": str(NOW),
			"X-Chatwoot-Signature": sign(SECRET, NOW, body),
			"X-Chatwoot-Delivery": f"delivery-{number}",
		}
		items.append((body, headers))
	return items


def bare(items, rounds: int) -> float:
	key = SECRET.encode()
	started = time.perf_counter()
	for _ in range(rounds):
		for body, headers in items:
			digest = hmac.new(
				key, headers["X-Chatwoot-Timestamp"].encode() + b"." + body, hashlib.sha256
			).hexdigest()
			assert hmac.compare_digest(
				("sha256=" + digest).encode(), headers["X-Chatwoot-Signature"].encode()
			)
			json.loads(body)
	return time.perf_counter() - started


def with_intake(items, rounds: int) -> float:
	config = IntakeConfig(secret=SECRET)
	started = time.perf_counter()
	for _ in range(rounds):
		for body, headers in items:
			receive(body, headers, None, config, now=NOW)
	return time.perf_counter() - started


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--rounds", type=int, default=5000)
	parser.add_argument("--repeat", type=int, default=5)
	args = parser.parse_args()
	items = deliveries()
	bare_best = min(bare(items, args.rounds) for _ in range(args.repeat))
	intake_best = min(with_intake(items, args.rounds) for _ in range(args.repeat))
	count = len(items) * args.rounds
	ratio = intake_best / bare_best
	print(f"deliveries per run:     {count} ({len(items)} example bodies)")
	print(f"bare hmac + json.loads: {bare_best / count * 1e6:.1f} µs per delivery")
	print(f"intake.receive:         {intake_best / count * 1e6:.1f} µs per delivery")
	print(f"ratio intake/bare:      {ratio:.2f}  (goal <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
	main()
