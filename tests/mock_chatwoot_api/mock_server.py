"""A mock Chatwoot 4.15 on loopback, as a command: for local development against a bench site, and
for the load harness, which runs it as a process of its own.

	python -m tests.mock_chatwoot_api.mock_server --port 3000 [--seed FILE]

Chatwoot refuses to deliver webhooks to a private address unless it runs with
SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true; so does the mock, which reads the same variable (or
--allow-private-network). In tests, the `mock_chatwoot` fixture (tests/conftest.py).
"""

import argparse
import time
from pathlib import Path

from tests.mock_chatwoot_api.server import MockChatwoot
from tests.mock_chatwoot_api.state import SEED

__all__ = ["MockChatwoot", "main"]


def main(argv: list[str] | None = None) -> None:
	parser = argparse.ArgumentParser(description="Run a mock Chatwoot on loopback.")
	parser.add_argument("--host", default="127.0.0.1")
	parser.add_argument("--port", type=int, default=3000)
	parser.add_argument("--seed", type=Path, default=SEED, help="JSON file with the starting state")
	parser.add_argument("--contacts", type=int, default=0, help="add this many generated contacts")
	parser.add_argument("--conversations", type=int, default=0, help="and this many conversations of them")
	parser.add_argument("--account", type=int, help="the seed account's id, instead of the seed's")
	parser.add_argument(
		"--allow-private-network",
		action="store_true",
		default=None,
		help="deliver webhooks to private addresses, as SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true does",
	)
	parser.add_argument(
		"--rack-attack", action="store_true", default=None, help="Chatwoot's production rate limits"
	)
	args = parser.parse_args(argv)
	mock = MockChatwoot(
		args.host,
		args.port,
		seed=args.seed,
		allow_private_network=args.allow_private_network,
		rack_attack=args.rack_attack,
	)
	if args.account:
		mock.renumber_account(mock.default_account_id, args.account)
	mock.add_contacts(args.contacts)
	mock.add_conversations(args.conversations)
	mock.start()
	tokens = ", ".join(
		f"{u['email']} ({mock.role_of(u, mock.default_account_id)}): {u['access_token']}"
		for u in mock.users.values()
	)
	print(f"Mock Chatwoot at {mock.url}, account {mock.default_account_id}. Tokens: {tokens}", flush=True)
	try:
		while True:
			time.sleep(3600)
	except KeyboardInterrupt:
		mock.stop()


if __name__ == "__main__":
	main()
