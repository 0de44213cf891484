"""The pure webhook intake against the least any receiver must do, per delivery.

`intake.receive` (size, signature, parse, classify, dedupe key) is timed over the example deliveries
beside a bare loop of `hmac` + `compare_digest` + `json.loads` over the same bodies, in the same run.
The two take turns in many short rounds, with the garbage collector off, and the best round of each
counts: a slow spell of the machine falls on both, and two runs agree within a few per cent.
Prints the ratio (goal: at most 1.5).

	python -m benchmarks.bench_intake            # --smoke: a few rounds, to see that it runs
"""

import argparse
import gc
import hashlib
import hmac
import json
from pathlib import Path

from benchmarks.stats import interleaved_best, ratio_line
from chat_bridge.chatwoot.intake import IntakeConfig, receive
from chat_bridge.chatwoot.signature import sign

EXAMPLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "webhooks"
SECRET = "benchmark-secret"
NOW = 1_781_774_099
EXAMPLES_ACCOUNT = 3


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


def bare(items, passes: int) -> None:
	key = SECRET.encode()
	for _ in range(passes):
		for body, headers in items:
			digest = hmac.new(
				key, headers["X-Chatwoot-Timestamp"].encode() + b"." + body, hashlib.sha256
			).hexdigest()
			assert hmac.compare_digest(
				("sha256=" + digest).encode(), headers["X-Chatwoot-Signature"].encode()
			)
			json.loads(body)


def with_intake(items, passes: int) -> None:
	# As the endpoint checks them: the account the secret is for, which every example is about.
	config = IntakeConfig(secret=SECRET, account_id=EXAMPLES_ACCOUNT)
	for _ in range(passes):
		for body, headers in items:
			receive(body, headers, None, config, now=NOW)


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--passes", type=int, default=50, help="passes over the examples in one round")
	parser.add_argument("--rounds", type=int, default=200)
	parser.add_argument("--smoke", action="store_true", help="a few small rounds: does it run")
	args = parser.parse_args()
	if args.smoke:
		args.passes, args.rounds = 2, 4
	items = deliveries()
	gc.disable()
	best = interleaved_best(
		{
			"bare": lambda: bare(items, args.passes),
			"intake": lambda: with_intake(items, args.passes),
		},
		args.rounds,
	)
	gc.enable()
	count = len(items) * args.passes
	print(f"deliveries per round:   {count} ({len(items)} example bodies), best of {args.rounds} rounds")
	print(f"bare hmac + json.loads: {best['bare'] / count * 1e6:.1f} µs per delivery")
	print(f"intake.receive:         {best['intake'] / count * 1e6:.1f} µs per delivery")
	print(ratio_line("intake/bare", best["intake"] / best["bare"], 1.5))


if __name__ == "__main__":
	main()
