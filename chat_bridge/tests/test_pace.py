"""One pace with a Chatwoot for every process of the bench, kept in Redis."""

import frappe

from chat_bridge.clients import SharedPace, system_client
from chat_bridge.tests.utils import ChatBridgeTestCase


class TestSharedPace(ChatBridgeTestCase):
	def test_a_second_holds_fifty_slots_then_says_how_long_to_wait(self):
		pace = SharedPace(f"https://pace-{frappe.generate_hash(length=8)}.example.test")
		self.addCleanup(frappe.cache.delete, pace.key)
		self.assertEqual([pace() for _ in range(50)], [0.0] * 50)
		wait = pace()
		self.assertGreater(wait, 0.5)  # until the first of them is a second (and a little) old
		self.assertLessEqual(wait, 1.01)
		other = SharedPace(f"https://another-{frappe.generate_hash(length=8)}.example.test")  # its own second
		self.addCleanup(frappe.cache.delete, other.key)
		self.assertEqual(other(), 0.0)

	def test_clients_of_the_site_keep_the_shared_pace(self):
		self.configure(enabled=1, enable_api=1)
		client = system_client()
		self.assertIsInstance(client.transport.limiter.shared, SharedPace)
