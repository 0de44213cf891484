"""python -m benchmarks.harness SCENARIO --site SITE [options]."""

import argparse
import signal
import sys
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import scenarios
from benchmarks.harness.processes import HarnessError
from benchmarks.harness.run import Run

SCENARIOS = {
	"burst": scenarios.burst,
	"throughput": scenarios.throughput,
	"worker-kill": scenarios.worker_kill,
	"redis-flush": scenarios.redis_flush,
	"db-outage": scenarios.db_outage,
	"chatwoot-faults": scenarios.chatwoot_faults,
	"backfill": scenarios.backfill,
	"push-context": scenarios.push_context,
}
# Events a scenario sends unless --events says otherwise, and at what pace (None: as fast as answered).
SIZES = {
	"throughput": (2_000, None),
	"worker-kill": (3_000, None),
	"redis-flush": (3_000, 50.0),
	"db-outage": (3_000, 50.0),
	"chatwoot-faults": (1_000, None),
}
# Contacts and conversations the mock starts with, where a scenario needs more than a few.
CATALOGUES = {"backfill": (100_000, 20_000), "push-context": (10_000, 0)}


def parser() -> argparse.ArgumentParser:
	parser = argparse.ArgumentParser(
		prog="python -m benchmarks.harness",
		description=harness.__doc__,
		formatter_class=argparse.RawDescriptionHelpFormatter,
	)
	parser.add_argument("scenario", choices=sorted(SCENARIOS))
	parser.add_argument("--site", required=True, help="a site of the bench, resolving to 127.0.0.1")
	parser.add_argument("--bench", type=Path, default=Path.cwd().parent, help="the bench (default: ..)")
	parser.add_argument("--deliveries", type=int, default=10_000, help="burst: deliveries in all")
	parser.add_argument("--events", type=int, help="other scenarios: deliveries to send")
	parser.add_argument("--rate", type=float, help="deliveries a second (default: as fast as answered)")
	parser.add_argument("--senders", type=int, default=20, help="concurrent senders")
	parser.add_argument(
		"--fault-after", type=float, default=10, help="seconds into the burst the fault comes"
	)
	parser.add_argument("--outage", type=float, default=30, help="db-outage: seconds the database is away")
	parser.add_argument("--db-stop", help="db-outage: the shell command that stops the database")
	parser.add_argument("--db-start", help="db-outage: the shell command that starts it again")
	parser.add_argument(
		"--contacts", type=int, help="backfill, chatwoot-faults, push-context: contacts the mock holds"
	)
	parser.add_argument("--conversations", type=int, help="backfill, chatwoot-faults: and conversations")
	parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for a step to finish")
	return parser


def main(argv: list[str] | None = None) -> int:
	sys.stdout.reconfigure(line_buffering=True)  # each figure as it comes, into a log file too
	# Started in the background, a process ignores Ctrl-C, and so would every command it starts:
	# the backfill scenario's Ctrl-C would be lost.
	signal.signal(signal.SIGINT, signal.default_int_handler)
	options = parser().parse_args(argv)
	events, rate = SIZES.get(options.scenario, (None, None))
	options.events = options.events or events
	options.rate = options.rate or rate
	contacts, conversations = CATALOGUES.get(options.scenario, (2_000, 400))
	options.contacts = options.contacts or contacts
	options.conversations = options.conversations or conversations
	try:
		with Run(options.bench, options.site) as run:
			card = SCENARIOS[options.scenario](run, options)
	except HarnessError as error:
		print(f"harness: {error}", file=sys.stderr)
		return 2
	except KeyboardInterrupt:
		print("harness: interrupted; what it started is stopped and what it wrote removed.", file=sys.stderr)
		return 130
	print("\n".join(card.lines()))
	return 1 if card.failed else 0


if __name__ == "__main__":
	sys.exit(main())
