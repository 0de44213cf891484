"""The website widget in a real site: which pages carry it, the identity a signed-in user gets,
and where a widget conversation lands.

Identities are checked against the mock Chatwoot's set_user endpoint, which applies Chatwoot's rule
to the hash; the tests never hash anything themselves.
"""

import frappe
import requests
from frappe.utils import set_request
from frappe.website.serve import get_response

from chat_bridge.desk import boot_session
from chat_bridge.settings import widget_identity_key
from chat_bridge.tests.test_with_chatwoot import WithChatwoot
from chat_bridge.tests.utils import ALL_FLAGS_ON, SYSTEM_MANAGER, ensure_user, ensure_website_user
from chat_bridge.webhook.handlers import dispatch
from chat_bridge.website import CONFIG_ELEMENT, identity
from chat_bridge.widget.identity import make_identifier, user_of_identifier

HMAC_TOKEN = "widget-hmac-secret"  # the mock's inbox 7
WIDGET = {
	"enable_widget": 1,
	"widget_website_token": "widget-token",
	"widget_hmac_token": HMAC_TOKEN,
	"widget_pages": "Every website page",
}
PORTAL_USER = "ann.portal@example.test"


class WidgetTestCase(WithChatwoot):
	def setUp(self):
		super().setUp()
		self.user, self.contact = ensure_website_user(PORTAL_USER, "Ann", "Portal")
		self.addCleanup(self.forget_request)
		self.switch_widget(**WIDGET)

	def switch_widget(self, **values):
		self.configure(
			**{**ALL_FLAGS_ON, "chatwoot_url": self.mock.url, "api_access_token": "admin-token", **values}
		)

	def forget_request(self):
		if hasattr(frappe.local, "request"):
			del frappe.local.request

	def page(self, path: str, user: str = "Guest") -> str:
		frappe.set_user(user)
		set_request(method="GET", path=path)
		response = get_response()
		frappe.set_user("Administrator")
		self.assertEqual(response.status_code, 200, path)
		return frappe.safe_decode(response.get_data())

	def identity_as(self, user: str, account: int | None = None) -> dict | None:
		frappe.set_user(user)
		try:
			return identity(account)
		finally:
			frappe.set_user("Administrator")

	def chatwoot_accepts(
		self, identifier: str, attributes: dict, website_token: str = "widget-token"
	) -> requests.Response:
		"""What Chatwoot says when the widget of the inbox, in a browser it has just met, calls
		setUser with these arguments: the widget's page starts the visitor's session, and setUser
		runs in it."""
		inbox = {"website_token": website_token}
		session = requests.get(f"{self.mock.url}/widget", params=inbox, timeout=5).json()
		return requests.patch(
			f"{self.mock.url}/api/v1/widget/contact/set_user",
			params=inbox,
			headers={"X-Auth-Token": session["auth_token"]},
			json={"identifier": identifier, **attributes},
			timeout=5,
		)


class TestWidgetInPages(WidgetTestCase):
	def test_a_guest_page_has_the_loader_and_no_identity(self):
		html = self.page("/login")
		self.assertIn(f'id="{CONFIG_ELEMENT}"', html)
		self.assertIn('"website_token": "widget-token"', html)
		self.assertIn("/packs/js/sdk.js", html)
		self.assertNotIn("erpnext:", html)
		self.assertNotIn("identifier_hash", html)
		self.assertIsNone(self.identity_as("Guest"))

	def test_no_page_holds_the_hmac_token(self):
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		pages = [self.page("/login"), self.page("/me", self.user), self.page("/contact", SYSTEM_MANAGER)]
		self.switch_widget(**WIDGET, widget_in_desk=1)
		frappe.set_user(SYSTEM_MANAGER)
		boot = frappe._dict()
		boot_session(boot)
		frappe.set_user("Administrator")
		pages.append(frappe.as_json(boot))
		pages.append(frappe.as_json(self.identity_as(self.user)))
		for text in pages:
			self.assertNotIn(HMAC_TOKEN, text)

	def test_the_pages_say_the_same_to_everyone(self):
		"""Frappe caches a page by its path and serves the copy to whoever comes next."""
		as_guest = self.page("/contact")
		as_customer = self.page("/contact", self.user)
		widget = lambda html: html[html.index(f'id="{CONFIG_ELEMENT}"') :].split("</script>")[0]  # noqa: E731
		self.assertEqual(widget(as_guest), widget(as_customer))
		self.assertNotIn(self.user, widget(as_customer))

	def test_portal_pages_only(self):
		self.switch_widget(**{**WIDGET, "widget_pages": "Portal pages only"})
		self.assertNotIn(CONFIG_ELEMENT, self.page("/login"))
		self.assertIn(CONFIG_ELEMENT, self.page("/me", self.user))

	def test_listed_routes_only(self):
		self.switch_widget(**{**WIDGET, "widget_pages": "Listed routes", "widget_routes": "/me"})
		self.assertNotIn(CONFIG_ELEMENT, self.page("/login"))
		self.assertIn(CONFIG_ELEMENT, self.page("/me", self.user))

	def test_widget_off_means_nothing_on_any_page(self):
		self.page("/login")  # rendered, and cached, while the widget is on
		for flags in ({"enable_widget": 0}, {"enabled": 0}):
			self.switch_widget(**{**WIDGET, **flags})
			self.assertNotIn(CONFIG_ELEMENT, self.page("/login"))
			self.assertNotIn(CONFIG_ELEMENT, self.page("/me", self.user))
			self.assertIsNone(self.identity_as(self.user))

	def test_the_desk_has_the_widget_only_when_asked(self):
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		frappe.set_user(SYSTEM_MANAGER)
		boot = frappe._dict()
		boot_session(boot)
		self.assertIsNone(boot.chat_bridge["widget"])
		frappe.set_user("Administrator")
		self.switch_widget(**WIDGET, widget_in_desk=1)
		frappe.set_user(SYSTEM_MANAGER)
		boot_session(boot)
		frappe.set_user("Administrator")
		desk = boot.chat_bridge["widget"]
		self.assertEqual(desk["website_token"], "widget-token")
		self.assertEqual(
			user_of_identifier(desk["identity"]["identifier"], widget_identity_key()), SYSTEM_MANAGER
		)


class TestIdentity(WidgetTestCase):
	def test_a_signed_in_user_gets_an_identity_chatwoot_accepts(self):
		given = self.identity_as(self.user)
		self.assertEqual(user_of_identifier(given["identifier"], widget_identity_key()), self.user)
		attributes = given["attributes"]
		self.assertEqual(attributes["name"], "Ann Portal")
		self.assertEqual(attributes["email"], self.user)
		self.assertEqual(attributes["custom_attributes"], {"erpnext_contact": self.contact})
		self.assertEqual(self.chatwoot_accepts(given["identifier"], attributes).status_code, 200)

	def test_a_hash_is_good_only_for_its_own_identifier(self):
		ann = self.identity_as(self.user)
		other = ensure_user("bob.other@example.test")
		bob = make_identifier(other, widget_identity_key())
		answer = self.chatwoot_accepts(bob, ann["attributes"])
		self.assertEqual(answer.status_code, 401)

	def test_nobody_gets_another_users_identity(self):
		"""The method takes no user: whatever is asked for, the answer is the session user's."""
		other = ensure_user("bob.other@example.test")
		set_request(method="GET", path="/api/method/chat_bridge.website.identity")
		frappe.set_user(self.user)
		frappe.local.form_dict = frappe._dict(user=other)
		try:
			answer = frappe.handler.execute_cmd("chat_bridge.website.identity")
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(user_of_identifier(answer["identifier"], widget_identity_key()), self.user)

	def test_without_an_hmac_token_nobody_is_identified(self):
		self.switch_widget(**{**WIDGET, "widget_hmac_token": None})
		self.assertIsNone(self.identity_as(self.user))
		self.assertIn(CONFIG_ELEMENT, self.page("/me", self.user))  # the anonymous widget still shows


class TestWidgetConversations(WidgetTestCase):
	"""A conversation the signed-in customer starts in the widget, through the sync."""

	def deliver(self, event: str, payload: dict):
		outcome = dispatch(event, {**payload, "event": event})
		frappe.db.commit()
		self.assertEqual(outcome.status, "Processed", outcome.reason)

	def chat_as(self, identifier: str, attributes: dict) -> int:
		"""The customer identifies in the widget and writes; the sync gets what Chatwoot posts."""
		answer = self.chatwoot_accepts(identifier, attributes)
		contact = self.mock.contacts[answer.json()["id"]]
		self.mock.visitor_says(contact["id"], "Where is my order?")
		self.deliver("contact_created", self.mock.presenters.contact_webhook(contact))
		conversation = next(c for c in self.mock.conversations.values() if c["contact_id"] == contact["id"])
		self.deliver("conversation_created", self.mock.presenters.conversation_webhook(conversation))
		return conversation["id"]

	def mapping_of(self, conversation_id: int):
		return frappe.get_doc("Chatwoot Conversation Mapping", {"chatwoot_conversation_id": conversation_id})

	def test_the_conversation_lands_on_the_users_contact_even_with_another_email(self):
		given = self.identity_as(self.user)
		attributes = {**given["attributes"], "email": "ann.at.home@example.test"}  # not the one in ERPNext
		mapping = self.mapping_of(self.chat_as(given["identifier"], attributes))
		self.assertEqual(mapping.contact, self.contact)
		self.assertEqual(mapping.identity_verified, 1)

	def test_a_forged_identifier_is_matched_like_anyone_else(self):
		self.mock.inboxes[7]["hmac_mandatory"] = False  # a Chatwoot that lets the claim through
		forged = f"erpnext:{self.user}:" + "0" * 24
		mapping = self.mapping_of(self.chat_as(forged, {"name": "Mallory", "email": "mallory@example.test"}))
		self.assertNotEqual(mapping.contact, self.contact)
		self.assertEqual(mapping.identity_verified, 0)

	def test_a_verified_identity_moves_a_guessed_link(self):
		stranger = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Guessed",
				"email_ids": [{"email_id": "ann.guess@example.test", "is_primary": 1}],
			}
		).insert(ignore_permissions=True)
		anonymous = self.mock.create_contact({"name": "Ann", "email": "ann.guess@example.test"})
		self.deliver("contact_created", self.mock.presenters.contact_webhook(anonymous))
		mapping = {"chatwoot_contact_id": anonymous["id"]}
		self.assertEqual(frappe.db.get_value("Chatwoot Contact Mapping", mapping, "contact"), stranger.name)
		given = self.identity_as(self.user)
		self.chatwoot_accepts(given["identifier"], {**given["attributes"], "email": "ann.guess@example.test"})
		self.deliver(
			"contact_updated", self.mock.presenters.contact_webhook(self.mock.contacts[anonymous["id"]])
		)
		self.assertEqual(frappe.db.get_value("Chatwoot Contact Mapping", mapping, "contact"), self.contact)
