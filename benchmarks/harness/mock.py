"""The mock Chatwoot as a process of its own, driven over loopback through its /__mock routes."""

import sys
import time
from pathlib import Path

import requests

from benchmarks.harness.processes import HarnessError, Started, free_port, wait_until
from chat_bridge.chatwoot.events import HANDLED_EVENTS

REPO = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "admin-token"  # the seed's administrator
SUBSCRIPTIONS = sorted(HANDLED_EVENTS)


class MockProcess:
	def __init__(self, log_dir: Path, account: int, contacts: int = 0, conversations: int = 0):
		self.port = free_port()
		self.url = f"http://127.0.0.1:{self.port}"
		self.account = account
		argv = [sys.executable, "-m", "tests.mock_chatwoot_api.mock_server", "--port", str(self.port)]
		# The site it delivers to is on loopback, which Chatwoot posts to only when allowed.
		argv.append("--allow-private-network")
		argv += [
			"--account",
			str(account),
			"--contacts",
			str(contacts),
			"--conversations",
			str(conversations),
		]
		self.process = Started("mock", argv, REPO, log_dir)
		self.session = requests.Session()

	def __enter__(self) -> "MockProcess":
		self.process.start()
		wait_until(self._answers, timeout=300, what="the mock Chatwoot to start")
		return self

	def __exit__(self, *exc) -> None:
		self.process.stop()

	def _answers(self) -> bool:
		if not self.process.alive():
			raise HarnessError(f"The mock Chatwoot stopped; see {self.process.log_path}.")
		try:
			return self.session.get(f"{self.url}/__mock/stats", timeout=2).ok
		except requests.RequestException:
			return False

	def control(self, method: str, route: str, **body) -> dict:
		response = self.session.request(method, f"{self.url}/__mock/{route}", json=body or None, timeout=30)
		response.raise_for_status()
		return response.json()

	def api(self, method: str, path: str, **body) -> dict:
		response = self.session.request(
			method,
			f"{self.url}/api/v1/accounts/{self.account}{path}",
			json=body or None,
			headers={"api_access_token": ADMIN_TOKEN},
			timeout=30,
		)
		response.raise_for_status()
		return response.json()

	def register_webhook(self, url: str) -> str:
		"""Point the account's webhook at the site, as an administrator would; its secret."""
		created = self.api("POST", "/webhooks", webhook={"url": url, "subscriptions": SUBSCRIPTIONS})
		return created["payload"]["webhook"]["secret"]

	def burst(self, deliveries: int, timeout: float, **options) -> dict:
		"""Send a burst and wait for its last answer; its report, each delivery's answer included."""
		self.start_burst(deliveries, **options)
		return self.wait_for_burst(timeout)

	def start_burst(self, deliveries: int, **options) -> float:
		"""Start sending a burst (options as the mock's start_burst); when it started."""
		self.control("POST", "burst", deliveries=deliveries, **{k: v for k, v in options.items() if v})
		return time.monotonic()

	def wait_for_burst(self, timeout: float) -> dict:
		wait_until(
			lambda: self.control("GET", "burst")["done"], timeout=timeout, interval=1, what="the burst"
		)
		return self.control("GET", "burst?detail=1")

	def stats(self, since: float = 0.0) -> dict:
		return self.control("GET", f"stats?since={since}")
