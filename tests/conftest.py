import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WEBHOOKS = FIXTURES / "webhooks"


def webhook_body(name: str) -> bytes:
	"""The exact bytes of an example delivery (what a signature covers)."""
	return (WEBHOOKS / f"{name}.json").read_bytes()


def webhook_payload(name: str) -> dict:
	return json.loads(webhook_body(name))


@pytest.fixture
def signature_vector() -> dict:
	return json.loads((WEBHOOKS / "signature_test_vector.json").read_text())


@pytest.fixture
def mock_state():
	"""The mock Chatwoot's records, with no server: for reading Chatwoot's shapes from its presenters."""
	from tests.mock_chatwoot_api.state import State

	return State()


@pytest.fixture
def mock_chatwoot():
	"""A running mock Chatwoot on a free loopback port, seeded with account 3 "Acme Support".

	It delivers webhooks to loopback, where the tests' receivers are: as Chatwoot does only when
	it runs with SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true.
	"""
	from tests.mock_chatwoot_api import MockChatwoot

	with MockChatwoot(allow_private_network=True) as server:
		yield server


class WebhookReceiver:
	"""Records the POSTs it receives and answers 200, like a site that accepted them."""

	def __init__(self):
		import threading
		from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

		received = self.received = []

		class Handler(BaseHTTPRequestHandler):
			disable_nagle_algorithm = True

			def do_POST(self):
				body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
				received.append({"path": self.path, "headers": dict(self.headers), "body": body})
				self.send_response(200)
				self.send_header("Content-Length", "0")
				self.end_headers()

			def log_message(self, *args):
				pass

		self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		threading.Thread(
			target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
		).start()

	@property
	def url(self) -> str:
		host, port = self.server.server_address[:2]
		return f"http://{host}:{port}/api/method/chat_bridge.webhook.handle"

	def close(self):
		self.server.shutdown()
		self.server.server_close()


@pytest.fixture
def webhook_receiver():
	receiver = WebhookReceiver()
	yield receiver
	receiver.close()
