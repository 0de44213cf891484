"""Realtime: a synced message reaches a desk that has the Contact open, and only that desk.

Runs against the bench's realtime server (socketio_port) for the site it serves on loopback, with
python-socketio as the desk's stand-in; skipped where there is no such server.
"""

import threading

import frappe
from frappe.utils import get_site_url

from chat_bridge.tests.story import Story
from chat_bridge.tests.utils import ALL_FLAGS_ON, ChatBridgeTestCase

WEB = "http://127.0.0.1:{port}"


def administrator_session() -> str:
	"""A signed-in session for Administrator, as the desk would hold in its sid cookie."""
	from frappe.auth import CookieManager, LoginManager
	from frappe.utils import set_request

	set_request(path="/")
	frappe.local.cookie_manager = CookieManager()
	frappe.local.login_manager = LoginManager()
	frappe.local.login_manager.login_as("Administrator")
	sid = frappe.session.sid
	frappe.db.commit()
	return sid


class DeskListener:
	"""A socket.io client signed in as a desk user, subscribed to one document's room."""

	def __init__(self, sid: str, doctype: str, name: str):
		import socketio

		conf = frappe.get_conf()
		self.namespace = f"/{frappe.local.site}"
		self.received = []
		self.event = threading.Event()
		self.client = socketio.Client(reconnection=False)
		self.client.on("chat_bridge_update", self._on_update, namespace=self.namespace)
		self.client.connect(
			WEB.format(port=conf.socketio_port or 9000),
			namespaces=[self.namespace],
			headers={"Origin": WEB.format(port=conf.webserver_port or 8000), "Cookie": f"sid={sid}"},
			transports=["polling"],  # websocket-client would add an Origin of its own
			wait_timeout=5,
		)
		self.client.emit("doc_subscribe", (doctype, name), namespace=self.namespace)

	def _on_update(self, message):
		self.received.append(message)
		self.event.set()

	def close(self):
		self.client.disconnect()


class TestRealtime(ChatBridgeTestCase):
	def setUp(self):
		super().setUp()
		try:
			import socketio  # noqa: F401 -- only to know whether the test can run
		except ImportError:
			self.skipTest(
				"python-socketio is not installed in the bench (pip install 'python-socketio[client]')"
			)
		conf = frappe.get_conf()
		if conf.default_site != frappe.local.site:
			self.skipTest(f"the realtime server on loopback serves {conf.default_site}, not this site")
		self.configure(**ALL_FLAGS_ON)
		self.story = Story()
		self.addCleanup(self.story.clean_up)

	def test_open_contact_hears_of_a_new_message_and_another_does_not(self):
		self.story.deliver(self.story.payload("contact_created"))
		contact = self.story.contact_mapping().contact
		other = frappe.get_doc(
			{"doctype": "Contact", "first_name": "Unrelated", "last_name": "Customer"}
		).insert()
		self.addCleanup(frappe.delete_doc, "Contact", other.name, force=True)
		sid = administrator_session()
		try:
			watching = DeskListener(sid, "Contact", contact)
			elsewhere = DeskListener(sid, "Contact", other.name)
		except Exception as error:
			self.skipTest(f"no realtime server answers for {get_site_url(frappe.local.site)}: {error}")
		self.addCleanup(watching.close)
		self.addCleanup(elsewhere.close)
		frappe.db.commit()
		watching.event.wait(1)  # let the room subscriptions settle

		self.story.deliver(self.story.payload("message_created_incoming"))
		self.assertTrue(watching.event.wait(10), "no chat_bridge_update reached the open Contact")
		update = watching.received[-1]
		self.assertEqual((update["kind"], update["conversation"]), ("message", self.story.conversation_id))
		self.assertEqual(update["message"], self.story.message_id(0))
		self.assertFalse(elsewhere.event.wait(1), "an unrelated Contact's desk heard the message")
