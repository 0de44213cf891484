"""Helpers shared by the integration tests, which run inside a real site (bench run-tests)."""

import ipaddress
import socket
import threading
from dataclasses import dataclass

import frappe
from frappe.tests.utils import FrappeTestCase

from chat_bridge.settings import SETTINGS_DOCTYPE, sync_workspace_visibility
from chat_bridge.settings_cache import clear_flags_cache

SYSTEM_MANAGER = "chat-bridge-admin@example.com"
PLAIN_USER = "chat-bridge-plain@example.com"
OTHER_USER = "chat-bridge-other@example.com"
AGENT_USER = "chat-bridge-agent@example.com"

# The tests' Chatwoot account. The mock's seed and the example deliveries are of account 3, which
# a site in use may well hold records of: the tests move them to an account no Chatwoot reaches
# (its ids count up from 1), so that they neither meet nor change the site's own.
ACCOUNT_ID = 2_000_000_003
EXAMPLES_ACCOUNT_ID = 3
# And their customer, Jane Doe, by addresses of the tests' own: a site matches a Chatwoot contact
# to its Contacts by e-mail and phone, and may hold the examples' Jane already.
CUSTOMER_EMAIL = "jane.doe@customers.example.test"
CUSTOMER_PHONE = "+14155550142"
EXAMPLES_CUSTOMER = {
	"email": ("jane.doe@example.com", CUSTOMER_EMAIL),
	"phone_number": ("+14155550123", CUSTOMER_PHONE),
}

CONFIGURED = {
	"chatwoot_url": "https://chat.example.com",
	"account_id": ACCOUNT_ID,
	"api_access_token": "admin-token-xyz",
	"webhook_secret": "Xq7pZ2mN4vB8cR1tY6uW3eK9",
}


def on_test_account(payload):
	"""An example delivery (or part of one) moved from account 3 to the tests' account, its
	customer to the tests' addresses."""
	if isinstance(payload, list):
		return [on_test_account(item) for item in payload]
	if not isinstance(payload, dict):
		return payload
	moved = {key: on_test_account(value) for key, value in payload.items()}
	if moved.get("account_id") == EXAMPLES_ACCOUNT_ID:
		moved["account_id"] = ACCOUNT_ID
	for key, (example, own) in EXAMPLES_CUSTOMER.items():
		if moved.get(key) == example:
			moved[key] = own
	account = moved.get("account")
	if isinstance(account, dict) and account.get("id") == EXAMPLES_ACCOUNT_ID:
		moved["account"] = {**account, "id": ACCOUNT_ID}
	return moved


def insert_sent_chat_message(name: str | None = None, **values):
	"""A chat message an agent sent, as the sync writes it (under `name`, as the sync names it)."""
	return frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Chat",
			"sent_or_received": "Sent",
			"subject": "Chatwoot conversation",
			**values,
		}
	).insert(ignore_permissions=True, set_name=name)


ALL_FLAGS_ON = {
	"enabled": 1,
	"enable_dashboard": 1,
	"enable_api": 1,
	"enable_sync": 1,
	"enable_contact_sync": 1,
	"enable_conversation_sync": 1,
	"enable_message_sync": 1,
}


_created_users: set[str] = set()
_created_tokens: set[str] = set()


def blank_settings() -> dict:
	"""Every field of the settings at its default, so that nothing the site's own use left in them
	(a registered webhook, the legacy mode, Issue creation) reaches a test."""
	from frappe.model import no_value_fields
	from frappe.utils.data import cast

	meta = frappe.get_meta(SETTINGS_DOCTYPE)
	return {
		df.fieldname: cast(df.fieldtype, df.default) if df.default is not None else None
		for df in meta.fields
		if df.fieldtype not in (*no_value_fields, "Password")  # secrets: CONFIGURED or the test's own
	}


def ensure_user(email: str, roles: tuple[str, ...] = ()) -> str:
	"""A desk user with exactly `roles` (besides the automatic ones); removed after the test class
	if it was made here."""
	if not frappe.db.exists("User", email):
		_created_users.add(email)
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
	user.enabled = 1
	user.set("roles", [{"role": role} for role in roles])
	user.save(ignore_permissions=True)
	return email


def ensure_website_user(email: str, first_name: str, last_name: str = "") -> tuple[str, str]:
	"""A portal user (a Website User, no desk) with their own Contact, as ERPNext invites customers;
	(user, contact). Both are removed after the test class."""
	if not frappe.db.exists("User", email):
		_created_users.add(email)
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first_name,
				"last_name": last_name,
				"send_welcome_email": 0,
				"user_type": "Website User",
			}
		).insert(ignore_permissions=True)
	contact = frappe.db.get_value("Contact", {"user": email})
	if not contact:
		doc = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": first_name,
				"last_name": last_name,
				"user": email,
				"email_ids": [{"email_id": email, "is_primary": 1}],
			}
		).insert(ignore_permissions=True)
		contact = doc.name
	frappe.db.commit()
	return email, contact


def delete_created_users() -> None:
	"""Remove the users and tokens ensure_user and ensure_agent_token made, and what points at them."""
	frappe.db.rollback()
	frappe.set_user("Administrator")
	for user in sorted(_created_users | _created_tokens):
		frappe.db.delete("Chatwoot User Token", {"user": user})
	for email in sorted(_created_users):
		frappe.db.delete("ToDo", {"allocated_to": email})
		for contact in frappe.get_all("Contact", filters={"user": email}, pluck="name"):
			frappe.delete_doc("Contact", contact, ignore_permissions=True, force=True)
		frappe.delete_doc("User", email, ignore_permissions=True, force=True, ignore_missing=True)
	_created_users.clear()
	_created_tokens.clear()
	frappe.db.commit()


def delete_made_since(started) -> None:
	"""Remove what the tests and the sync wrote into the site since `started`, and nothing older:
	the site's own conversations may carry the same Chatwoot ids as the tests' stories."""
	frappe.db.rollback()
	since = {"creation": (">=", started)}
	for doctype, filters in (
		("Communication", {"name": ("like", "CW-%")}),
		("Issue", {"subject": ("like", "Chatwoot conversation #%")}),
	):
		if frappe.db.table_exists(doctype):
			for name in frappe.get_all(doctype, filters={**filters, **since}, pluck="name"):
				frappe.delete_doc(doctype, name, ignore_permissions=True, force=True)
	frappe.db.delete("Comment", {"name": ("like", "CW-%"), **since})
	frappe.db.delete("ToDo", {"description": ("like", "Chatwoot conversation #%"), **since})
	contacts = frappe.get_all("Contact", filters=since, pluck="name")
	frappe.db.delete("Chatwoot Conversation Mapping", since)
	frappe.db.delete("Chatwoot Contact Mapping", since)
	for contact in contacts:
		frappe.delete_doc("Contact", contact, ignore_permissions=True, force=True, ignore_missing=True)
	frappe.db.delete("Chatwoot Webhook Event", since)
	frappe.db.delete("Error Log", {"method": ("like", "Chatwoot%"), **since})
	frappe.db.commit()


def ensure_agent_token(user: str, chatwoot_user_id: int, token: str = "agent-token") -> str:
	"""Whoever is Chatwoot agent `chatwoot_user_id` through a Chatwoot User Token: `user`, made so
	if nobody is.

	The token's own check with Chatwoot is skipped: the sync tests are about what the agent id leads
	to, not about verifying tokens (test_rest_api does that against the mock).
	"""
	holder = frappe.db.get_value("Chatwoot User Token", {"chatwoot_user_id": chatwoot_user_id}, "user")
	if holder:
		return holder
	ensure_user(user)
	if not frappe.db.exists("Chatwoot User Token", user):
		_created_tokens.add(user)
		record = frappe.get_doc({"doctype": "Chatwoot User Token", "user": user, "api_access_token": token})
		record.flags.ignore_validate = True
		record.insert(ignore_permissions=True)
	frappe.db.set_value("Chatwoot User Token", user, "chatwoot_user_id", chatwoot_user_id)
	frappe.db.commit()
	return user


def is_loopback(host: str) -> bool:
	if host == "localhost" or host.endswith(".localhost"):
		return True
	try:
		return ipaddress.ip_address(host.strip("[]")).is_loopback
	except ValueError:
		return False


class NetworkRefused(socket.gaierror):
	"""A test tried to reach a host that is not this machine."""


def refuse_the_network():
	"""Make any connection to a host off this machine fail at once, loudly; returns the undo.

	Chatwoot is the mock on loopback or `responses` in these tests: a test that reaches further
	would pass or fail by what the network (or an earlier run's cache) happens to hold.
	"""
	resolve = socket.getaddrinfo

	def loopback_only(host, *args, **kwargs):
		if host is not None and not is_loopback(host if isinstance(host, str) else host.decode()):
			raise NetworkRefused(f"the tests may not reach {host}")
		return resolve(host, *args, **kwargs)

	socket.getaddrinfo = loopback_only
	return lambda: setattr(socket, "getaddrinfo", resolve)


@dataclass
class SavedSettings:
	"""The settings as they were, the encrypted secrets (which live in __Auth) included."""

	values: dict
	secrets: list

	@classmethod
	def take(cls) -> "SavedSettings":
		return cls(
			frappe.db.get_singles_dict(SETTINGS_DOCTYPE),
			frappe.db.sql("select * from `__Auth` where doctype = %s", SETTINGS_DOCTYPE, as_dict=True),
		)

	def restore(self) -> None:
		frappe.set_user("Administrator")
		frappe.db.delete("Singles", {"doctype": SETTINGS_DOCTYPE})
		for field, value in self.values.items():
			frappe.db.set_single_value(SETTINGS_DOCTYPE, field, value)
		frappe.db.delete("__Auth", {"doctype": SETTINGS_DOCTYPE})
		for secret in self.secrets:
			frappe.db.sql(
				"insert into `__Auth` (doctype, name, fieldname, password, encrypted) values (%s, %s, %s, %s, %s)",
				(secret.doctype, secret.name, secret.fieldname, secret.password, secret.encrypted),
			)
		frappe.clear_document_cache(SETTINGS_DOCTYPE, SETTINGS_DOCTYPE)
		sync_workspace_visibility()
		frappe.db.commit()
		clear_flags_cache()


class ChatBridgeTestCase(FrappeTestCase):
	"""Restores the settings and the flag cache around every test, removes the users it made, and
	keeps the network out of reach.

	Settings changes are committed: the site's scheduler and workers read the flags too, and one of
	them caching the committed values in the middle of a test would otherwise hand the test flags
	it never set.
	"""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.addClassCleanup(refuse_the_network())
		cls.addClassCleanup(delete_created_users)
		cls.addClassCleanup(delete_made_since, frappe.utils.now_datetime())

	def setUp(self):
		super().setUp()
		frappe.set_user("Administrator")
		self.addCleanup(clear_flags_cache)
		self.addCleanup(frappe.set_user, "Administrator")
		self._saved_settings = None

	def configure(self, **values):
		"""Save the settings with `values` over a complete configuration, all flags off by default."""
		if self._saved_settings is None:
			self._saved_settings = SavedSettings.take()
			self.addCleanup(self._saved_settings.restore)
		settings = frappe.get_single(SETTINGS_DOCTYPE)
		settings.update({**blank_settings(), **CONFIGURED, **values})
		settings.save(ignore_permissions=True)
		frappe.db.commit()
		return settings


def run_concurrently(jobs: list) -> list:
	"""Run each job in its own thread with its own site connection, all starting together."""
	site, results, start = frappe.local.site, [None] * len(jobs), threading.Barrier(len(jobs))

	def run(index, job):
		frappe.init(site=site)
		frappe.connect()
		frappe.set_user("Administrator")
		try:
			start.wait()
			results[index] = job()
			frappe.db.commit()
		finally:
			frappe.destroy()

	threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join()
	return results


def first_account_checks(webhook_url: str | None = None) -> dict:
	"""What `chatwoot doctor` says of a site with one account: its checks and the site's, by name."""
	from chat_bridge.doctor import gather_checks_by_account

	site, by_account = gather_checks_by_account(webhook_url)
	return {**next(iter(by_account.values())), **site}
