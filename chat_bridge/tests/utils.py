"""Helpers shared by the integration tests, which run inside a real site (bench run-tests)."""

import frappe
from frappe.tests.utils import FrappeTestCase

from chat_bridge.settings import SETTINGS_DOCTYPE, clear_flags_cache

SYSTEM_MANAGER = "chat-bridge-admin@example.com"
PLAIN_USER = "chat-bridge-plain@example.com"
OTHER_USER = "chat-bridge-other@example.com"

CONFIGURED = {
	"chatwoot_url": "https://chat.example.com",
	"account_id": 3,
	"api_access_token": "admin-token-xyz",
	"webhook_secret": "Xq7pZ2mN4vB8cR1tY6uW3eK9",
}

ALL_FLAGS_ON = {
	"enabled": 1,
	"enable_dashboard": 1,
	"enable_api": 1,
	"enable_sync": 1,
	"enable_contact_sync": 1,
	"enable_conversation_sync": 1,
	"enable_message_sync": 1,
}

ALL_FLAGS_OFF = dict.fromkeys(ALL_FLAGS_ON, 0)


def ensure_user(email: str, roles: tuple[str, ...] = ()) -> str:
	"""A desk user with exactly `roles` (besides the automatic ones)."""
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": email.split("@")[0],
				"send_welcome_email": 0,
				"user_type": "System User",
			}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	user.set("roles", [{"role": role} for role in roles])
	user.save(ignore_permissions=True)
	return email


def ensure_agent_token(user: str, chatwoot_user_id: int, token: str = "agent-token") -> str:
	"""The user holding a Chatwoot User Token for agent `chatwoot_user_id`, given one if nobody has."""
	holder = frappe.db.get_value("Chatwoot User Token", {"chatwoot_user_id": chatwoot_user_id}, "user")
	if holder:
		return holder
	ensure_user(user)
	if frappe.db.exists("Chatwoot User Token", user):
		frappe.db.set_value("Chatwoot User Token", user, "chatwoot_user_id", chatwoot_user_id)
	else:
		frappe.get_doc(
			{
				"doctype": "Chatwoot User Token",
				"user": user,
				"chatwoot_user_id": chatwoot_user_id,
				"api_access_token": token,
			}
		).insert(ignore_permissions=True)
	frappe.db.commit()
	return user


class ChatBridgeTestCase(FrappeTestCase):
	"""Restores the settings and the flag cache around every test.

	Settings changes are committed: the site's scheduler and workers read the flags too, and one of
	them caching the committed values in the middle of a test would otherwise hand the test flags
	it never set.
	"""

	def setUp(self):
		super().setUp()
		frappe.set_user("Administrator")
		self.addCleanup(clear_flags_cache)
		self.addCleanup(frappe.set_user, "Administrator")
		self._saved_settings = None

	def _restore_settings(self):
		frappe.set_user("Administrator")
		frappe.db.delete("Singles", {"doctype": SETTINGS_DOCTYPE})
		for field, value in self._saved_settings.items():
			frappe.db.set_single_value(SETTINGS_DOCTYPE, field, value)
		frappe.db.commit()
		frappe.clear_document_cache(SETTINGS_DOCTYPE, SETTINGS_DOCTYPE)
		clear_flags_cache()

	def configure(self, **values):
		"""Save the settings with `values` over a complete configuration, all flags off by default."""
		if self._saved_settings is None:
			self._saved_settings = frappe.db.get_singles_dict(SETTINGS_DOCTYPE)
			self.addCleanup(self._restore_settings)
		settings = frappe.get_single(SETTINGS_DOCTYPE)
		settings.update({**ALL_FLAGS_OFF, **CONFIGURED, **values})
		settings.save(ignore_permissions=True)
		frappe.db.commit()
		return settings
