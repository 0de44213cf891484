"""ERPNext inside Chatwoot, in a real site against the mock Chatwoot: the customer card (who may see
what, tampered ids, the headers, the card token), its actions, the Dashboard App's registration,
and the customer context pushed onto Chatwoot contacts (coalesced, re-asserted)."""

import unittest

import frappe
import requests
from frappe.utils import add_days, nowdate, set_request
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from chat_bridge.card import api as card_api
from chat_bridge.card.access import (
	CARD_TOKEN_SECONDS,
	authenticate_card_request,
	cookie_to_send,
	issue_card_token,
	revoke_card_token,
	user_of_card_token,
)
from chat_bridge.card.routes import CARD_COOKIE, CARD_METHODS, CARD_TOKEN_HEADER
from chat_bridge.clients import system_client
from chat_bridge.commands.registration import register_card_app
from chat_bridge.context.attributes import KEYS
from chat_bridge.context.push import DEFINED_KEY, DUE_KEY, mark_due, pop_due, push_due_contexts
from chat_bridge.erpnext import has_erpnext
from chat_bridge.frame_headers import after_request
from chat_bridge.records.outbound import link_to_chatwoot
from chat_bridge.tests.test_with_chatwoot import SITE_URL, WithChatwoot, skip_unless_served
from chat_bridge.tests.utils import (
	ACCOUNT_ID,
	ALL_FLAGS_ON,
	PLAIN_USER,
	SYSTEM_MANAGER,
	ensure_user,
	first_account_checks,
)

JANE = 1042  # the mock's contact, in conversation 58
# Who reads customers, orders, invoices and issues in ERPNext; System Manager alone reads no Customer.
SALES_ROLES = ("Chatwoot Agent", "Sales User", "Accounts User", "Support Team")
SALES_VIEWER = "card.sales@example.test"


class CardTestCase(WithChatwoot):
	def setUp(self):
		super().setUp()
		self.configure(
			**ALL_FLAGS_ON, enable_chatwoot_app=1, chatwoot_url=self.mock.url, api_access_token="admin-token"
		)
		self.contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Jane",
				"last_name": "Card",
				"email_ids": [{"email_id": "jane.card@example.test", "is_primary": 1}],
			}
		).insert(ignore_permissions=True)
		link_to_chatwoot(self.contact.name, ACCOUNT_ID, JANE)
		frappe.db.commit()
		self.addCleanup(frappe.cache.delete_value, [DUE_KEY, DEFINED_KEY.format(account_id=ACCOUNT_ID)])
		frappe.cache.delete_value([DUE_KEY, DEFINED_KEY.format(account_id=ACCOUNT_ID)])

	def card_as(self, user: str, contact_id=JANE, conversation_id=58) -> dict:
		frappe.set_user(user)
		try:
			return card_api.get_card(contact_id, conversation_id, ACCOUNT_ID)["data"]
		finally:
			frappe.set_user("Administrator")

	def customer(self, name="Doe Trading") -> str:
		customer = frappe.get_doc({"doctype": "Customer", "customer_name": name}).insert(
			ignore_permissions=True
		)
		self.addCleanup(self.remove_party, "Customer", customer.name)
		return customer.name

	def remove_party(self, doctype: str, name: str):
		"""Unlinked first: ERPNext deletes a deleted party's own Contacts, which the mappings hold."""
		frappe.db.rollback()
		frappe.db.delete("Dynamic Link", {"link_doctype": doctype, "link_name": name})
		frappe.delete_doc(doctype, name, ignore_permissions=True, force=True)
		frappe.db.commit()

	def submitted(self, doctype: str, customer: str, items=(), **values) -> str:
		"""A submitted document as far as the card reads it, written without ERPNext's accounting."""
		doc = frappe.get_doc(
			{"doctype": doctype, "customer": customer, "docstatus": 1, "currency": "USD", **values}
		)
		doc.name = frappe.generate_hash(length=10)
		doc.db_insert()
		for idx, item in enumerate(items, 1):
			child = frappe.get_doc(
				{
					"doctype": f"{doctype} Item",
					"parent": doc.name,
					"parenttype": doctype,
					"parentfield": "items",
					"idx": idx,
					**item,
				}
			)
			child.db_insert()
		self.addCleanup(self.remove_rows, doctype, doc.name)
		return doc.name

	def remove_rows(self, doctype: str, name: str):
		frappe.db.delete(f"{doctype} Item", {"parent": name})
		frappe.db.delete(doctype, {"name": name})
		frappe.db.commit()

	def link_contact_to_customer(self, customer: str):
		self.contact.append("links", {"link_doctype": "Customer", "link_name": customer})
		self.contact.save(ignore_permissions=True)
		frappe.db.commit()


class TestWhoSeesWhat(CardTestCase):
	def test_a_guest_gets_nothing(self):
		frappe.set_user("Guest")
		try:
			with self.assertRaises(frappe.PermissionError):
				card_api.get_card(JANE, 58, ACCOUNT_ID)
		finally:
			frappe.set_user("Administrator")

	def test_the_card_of_a_mapped_contact(self):
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		card = self.card_as(SYSTEM_MANAGER)
		self.assertEqual(card["contact"]["name"], self.contact.name)
		self.assertEqual(card["contact"]["email"], "jane.card@example.test")
		self.assertIsNotNone(card["communications"])
		self.assertIsNotNone(card["todos"])

	def test_a_card_seen_a_moment_ago_is_shown_again_and_refresh_reads_it_afresh(self):
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		self.assertEqual(self.card_as(SYSTEM_MANAGER)["contact"]["company_name"], None)
		frappe.db.set_value("Contact", self.contact.name, "company_name", "Card Trading")
		frappe.db.commit()
		self.assertEqual(self.card_as(SYSTEM_MANAGER)["contact"]["company_name"], None)
		frappe.set_user(SYSTEM_MANAGER)
		try:
			fresh = card_api.get_card(JANE, 58, ACCOUNT_ID, fresh=1)["data"]
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(fresh["contact"]["company_name"], "Card Trading")
		ensure_user(PLAIN_USER, ("Chatwoot Agent",))
		self.assertEqual(self.card_as(PLAIN_USER)["contact"], {"permitted": False})  # each viewer their own

	def test_a_user_who_may_not_read_the_contact_sees_nothing_of_it(self):
		"""An agent may read only the Contacts they made: ids pointing anywhere else show nothing."""
		ensure_user(PLAIN_USER, ("Chatwoot Agent",))
		card = self.card_as(PLAIN_USER)
		self.assertEqual(card["contact"], {"permitted": False})
		self.assertNotIn("communications", card)
		self.assertNotIn(self.contact.name, frappe.as_json(card))

	def test_an_unknown_contact_is_not_in_erpnext(self):
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		stranger = system_client().create_contact(name="Nobody Here", email="nobody@example.test")
		card = self.card_as(SYSTEM_MANAGER, stranger["payload"]["contact"]["id"], None)
		self.assertIsNone(card["contact"])

	def test_an_unmapped_contact_is_matched_as_the_sync_would_without_writing(self):
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		twin = system_client().create_contact(name="Jane", email="JANE.CARD@example.test")["payload"][
			"contact"
		]
		card = self.card_as(SYSTEM_MANAGER, twin["id"], None)
		self.assertEqual(card["contact"]["name"], self.contact.name)
		self.assertFalse(frappe.db.exists("Chatwoot Contact Mapping", {"chatwoot_contact_id": twin["id"]}))

	def test_another_account_is_refused(self):
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		frappe.set_user(SYSTEM_MANAGER)
		try:
			with self.assertRaises(frappe.ValidationError):
				card_api.get_card(JANE, 58, 99)
		finally:
			frappe.set_user("Administrator")

	def test_switched_off_the_card_says_so(self):
		self.configure(
			**ALL_FLAGS_ON, enable_chatwoot_app=0, chatwoot_url=self.mock.url, api_access_token="admin-token"
		)
		with self.assertRaises(frappe.ValidationError) as refused:
			card_api.get_card(JANE, 58, ACCOUNT_ID)
		self.assertIn("ERPNext in Chatwoot is not enabled", str(refused.exception))


@unittest.skipUnless(has_erpnext(), "needs ERPNext")
class TestCustomerCard(CardTestCase):
	def test_the_customers_money_orders_invoices_and_issues(self):
		customer = self.customer()
		self.link_contact_to_customer(customer)
		self.submitted(
			"Sales Invoice",
			customer,
			posting_date=add_days(nowdate(), -40),
			due_date=add_days(nowdate(), -10),
			grand_total=100,
			outstanding_amount=100,
			status="Overdue",
		)
		self.submitted(
			"Sales Invoice",
			customer,
			posting_date=nowdate(),
			due_date=add_days(nowdate(), 30),
			grand_total=50,
			outstanding_amount=0,
			status="Paid",
		)
		order = self.submitted(
			"Sales Order",
			customer,
			transaction_date=nowdate(),
			delivery_date=add_days(nowdate(), 3),
			status="To Deliver and Bill",
			per_delivered=40,
			grand_total=300,
		)
		card = self.card_as(ensure_user(SALES_VIEWER, SALES_ROLES))
		self.assertEqual((card["party"]["doctype"], card["party"]["name"]), ("Customer", customer))
		self.assertEqual(card["finance"]["outstanding"], 100)
		currency = card["finance"]["currency"]
		self.assertEqual(card["finance"]["outstanding_text"], f"{currency} 100.00")  # the card shows it as is
		self.assertEqual(
			{i["outstanding_text"] for i in card["invoices"]}, {f"{currency} 100.00", f"{currency} 0.00"}
		)
		self.assertEqual([o["name"] for o in card["orders"]], [order])
		self.assertEqual(sorted(i["state"] for i in card["invoices"]), ["Overdue", "Paid"])
		self.assertEqual(card["issues"], [])

	def test_without_read_on_customer_no_customer_data(self):
		customer = self.customer()
		self.link_contact_to_customer(customer)
		self.submitted("Sales Invoice", customer, grand_total=100, outstanding_amount=100, status="Unpaid")
		viewer = ensure_user(
			"card.viewer@example.test", ("Chatwoot Agent", "Maintenance User")
		)  # reads Contacts, not Customers
		card = self.card_as(viewer)
		self.assertTrue(card["contact"]["permitted"])
		self.assertIsNone(card["party"])
		for section in ("finance", "orders", "invoices"):
			self.assertNotIn(section, card)
		self.assertNotIn(customer, frappe.as_json(card))

	def test_link_create_lead_issue_and_order_note(self):
		agent = ensure_user(SALES_VIEWER, ("System Manager", "Sales Manager", *SALES_ROLES))
		customer = self.customer("Linked Trading")
		frappe.set_user(agent)
		try:
			card = card_api.link_party(JANE, "Customer", customer, ACCOUNT_ID)["data"]
			self.assertEqual(card["party"]["name"], customer)
			stranger = system_client().create_contact(
				name="Lee Lead", email=f"lee.lead.{frappe.generate_hash(length=6)}@example.test"
			)
			lead_card = card_api.create_lead(stranger["payload"]["contact"]["id"], ACCOUNT_ID)["data"]
			self.assertEqual(lead_card["party"]["doctype"], "Lead")
			self.addCleanup(self.remove_party, "Lead", lead_card["party"]["name"])
		finally:
			frappe.set_user("Administrator")
		story_mapping = frappe.get_doc(
			{
				"doctype": "Chatwoot Conversation Mapping",
				"account_id": ACCOUNT_ID,
				"chatwoot_conversation_id": 58,
				"contact": self.contact.name,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		frappe.set_user(agent)
		try:
			issue = card_api.create_issue(58, ACCOUNT_ID)["data"]["issue"]
			self.addCleanup(frappe.delete_doc, "Issue", issue, ignore_permissions=True, force=True)
			with self.assertRaises(frappe.ValidationError):
				card_api.create_issue(58, ACCOUNT_ID)  # filed already: not twice
			order = self.submitted(
				"Sales Order",
				customer,
				items=[{"item_code": "WIDGET", "item_name": "Widget", "qty": 2}],
				transaction_date=nowdate(),
				status="To Deliver and Bill",
				grand_total=20,
			)
			note = card_api.add_order_note(58, order)["data"]
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(
			frappe.db.get_value("Chatwoot Conversation Mapping", story_mapping.name, "reference_name"), issue
		)
		posted = self.mock.messages[note["message_id"]]
		self.assertTrue(posted["private"])
		self.assertIn("- 2 x Widget", posted["content"])

	def test_actions_follow_the_viewers_permissions(self):
		viewer = ensure_user("card.viewer@example.test", ("Chatwoot Agent", "Maintenance User"))
		customer = self.customer("Not Theirs")
		frappe.set_user(viewer)
		try:
			with self.assertRaises(frappe.PermissionError):
				card_api.link_party(JANE, "Customer", customer, ACCOUNT_ID)
		finally:
			frappe.set_user("Administrator")
		self.assertFalse(frappe.get_doc("Contact", self.contact.name).has_link("Customer", customer))


class TestFramingAndTokens(CardTestCase):
	def headers_for(self, path: str) -> Response:
		response = Response("", headers={"X-Frame-Options": "SAMEORIGIN"})
		after_request(response, Request(EnvironBuilder(path=path).get_environ()))
		return response

	def test_the_card_may_be_framed_by_chatwoot_and_the_rest_of_the_site_is_unchanged(self):
		card = self.headers_for("/chatwoot-app")
		self.assertEqual(card.headers["Content-Security-Policy"], f"frame-ancestors {self.mock.url}")
		self.assertNotIn("X-Frame-Options", card.headers)
		method = self.headers_for("/api/method/chat_bridge.card.api.get_card")
		self.assertEqual(method.headers["Content-Security-Policy"], f"frame-ancestors {self.mock.url}")
		sign_in = self.headers_for("/chatwoot-app/sign-in")
		self.assertEqual(sign_in.headers["Content-Security-Policy"], "frame-ancestors 'none'")
		self.assertEqual(sign_in.headers["X-Frame-Options"], "DENY")
		desk = self.headers_for("/app/contact")
		self.assertNotIn("Content-Security-Policy", desk.headers)
		self.assertEqual(desk.headers["X-Frame-Options"], "SAMEORIGIN")

	def test_a_card_token_names_its_user_until_revoked_or_the_user_is_disabled(self):
		user = ensure_user("card.agent@example.test", ("System Manager",))
		token = issue_card_token(user)
		self.assertEqual(user_of_card_token(token), user)
		self.assertIsNone(user_of_card_token(token[:-1] + ("A" if token[-1] != "A" else "B")))
		self.addCleanup(lambda: hasattr(frappe.local, "request") and delattr(frappe.local, "request"))
		for path, named in (
			("/api/method/chat_bridge.card.api.get_card", user),
			("/api/method/frappe.client.get_list", "Guest"),
		):
			set_request(method="GET", path=path, headers={CARD_TOKEN_HEADER: token})
			frappe.set_user("Guest")
			authenticate_card_request()
			self.assertEqual(frappe.session.user, named, path)  # only the card's methods take the token
		frappe.set_user("Administrator")
		frappe.db.set_value("User", user, "enabled", 0)
		self.assertIsNone(user_of_card_token(token))
		frappe.db.set_value("User", user, "enabled", 1)
		revoke_card_token(token)
		self.assertIsNone(user_of_card_token(token))

	def test_the_allow_window_is_not_framed_under_any_spelling_of_its_address(self):
		skip_unless_served(self)
		from frappe.utils.password import update_password

		user = ensure_user("card.agent@example.test", ("System Manager",))
		update_password(user, "Card-window-7!")
		frappe.db.commit()
		browser = requests.Session()
		login = browser.post(
			f"{SITE_URL}/api/method/login", data={"usr": user, "pwd": "Card-window-7!"}, timeout=10
		)
		self.assertTrue(login.ok, login.text)
		for spelling in ("/chatwoot-app/sign-in", "/chatwoot-app//sign-in", "/chatwoot-app/sign-in.html"):
			page = browser.get(
				f"{SITE_URL}{spelling}", timeout=10
			)  # Frappe may redirect to the clean address
			self.assertEqual(page.status_code, 200, spelling)
			self.assertIn("Allow", page.text, spelling)
			# nginx in front of Frappe may add its own SAMEORIGIN: browsers then take the strictest.
			self.assertIn("DENY", page.headers.get("X-Frame-Options", ""), spelling)
			self.assertEqual(page.headers.get("Content-Security-Policy"), "frame-ancestors 'none'", spelling)

	def test_a_card_token_cannot_mint_another(self):
		user = ensure_user("card.agent@example.test", ("System Manager",))
		token = issue_card_token(user)
		self.addCleanup(lambda: hasattr(frappe.local, "request") and delattr(frappe.local, "request"))
		for path in ("/api/method/chat_bridge.card.api.sign_in", "/api/method/chat_bridge.card.api.sign_in/"):
			set_request(method="POST", path=path, headers={CARD_TOKEN_HEADER: token})
			frappe.set_user("Guest")
			authenticate_card_request()
			self.assertEqual(frappe.session.user, "Guest", path)
			with self.assertRaises(frappe.PermissionError):
				card_api.sign_in()
		frappe.set_user("Administrator")

	def test_a_kept_sign_in_is_the_same_token_in_a_cookie_read_only_from_this_site(self):
		user = ensure_user("card.agent@example.test", ("System Manager",))
		token = issue_card_token(user)
		self.addCleanup(lambda: hasattr(frappe.local, "request") and delattr(frappe.local, "request"))
		self.addCleanup(lambda: setattr(frappe.local, "chat_bridge_card_cookie", None))
		set_request(method="POST", path=f"{CARD_METHODS}keep_sign_in", headers={CARD_TOKEN_HEADER: token})
		frappe.set_user("Guest")
		authenticate_card_request()
		self.assertEqual(card_api.keep_sign_in()["data"], {"kept": True})
		kept, max_age = cookie_to_send()
		self.assertEqual(kept, token)  # the token itself: revoking it ends the cookie too
		self.assertTrue(CARD_TOKEN_SECONDS - 60 < max_age <= CARD_TOKEN_SECONDS)

		cookie = {"Cookie": f"{CARD_COOKIE}={token}"}
		for fetch_site, named in (
			("same-origin", user),
			("cross-site", "Guest"),
			("same-site", "Guest"),
			(None, "Guest"),
		):
			headers = {**cookie, "Sec-Fetch-Site": fetch_site} if fetch_site else cookie
			set_request(method="GET", path=f"{CARD_METHODS}get_card", headers=headers)
			frappe.set_user("Guest")
			authenticate_card_request()
			self.assertEqual(frappe.session.user, named, fetch_site)

		named_by_cookie = {**cookie, "Sec-Fetch-Site": "same-origin"}
		set_request(method="POST", path=f"{CARD_METHODS}sign_in", headers=named_by_cookie)
		frappe.set_user("Guest")
		authenticate_card_request()
		self.assertEqual(frappe.session.user, "Guest")  # the cookie mints no token either
		set_request(method="POST", path=f"{CARD_METHODS}keep_sign_in", headers=named_by_cookie)
		frappe.set_user("Guest")
		authenticate_card_request()
		with self.assertRaises(frappe.PermissionError):
			card_api.keep_sign_in()  # nor keeps itself any longer

		set_request(method="POST", path=f"{CARD_METHODS}sign_out", headers=named_by_cookie)
		frappe.set_user("Guest")
		card_api.sign_out()
		self.assertEqual(cookie_to_send(), ("", 0))
		self.assertIsNone(user_of_card_token(token))
		frappe.set_user("Administrator")

	def test_over_http_a_kept_sign_in_sets_the_cards_partitioned_cookie(self):
		skip_unless_served(self)
		user = ensure_user("card.agent@example.test", ("System Manager",))
		frappe.db.commit()
		token = issue_card_token(user)
		self.addCleanup(revoke_card_token, token)
		kept = requests.post(
			f"{SITE_URL}{CARD_METHODS}keep_sign_in", headers={CARD_TOKEN_HEADER: token}, timeout=10
		)
		self.assertEqual(kept.status_code, 200, kept.text)
		set_cookie = kept.headers["Set-Cookie"]
		self.assertIn(f"{CARD_COOKIE}={token}; Path=/api/method; Max-Age=", set_cookie)
		for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned"):
			self.assertIn(attribute, set_cookie)
		viewer = requests.get(
			f"{SITE_URL}{CARD_METHODS}viewer",
			headers={"Cookie": f"{CARD_COOKIE}={token}", "Sec-Fetch-Site": "same-origin"},
			timeout=10,
		).json()["message"]
		self.assertEqual((viewer["user"], viewer["card_token"]), (user, True))

	def test_the_card_is_for_system_managers_and_chatwoot_agents_only(self):
		portal_customer = ensure_user("card.customer@example.test")  # signed in, but no desk role for it
		frappe.set_user(portal_customer)
		try:
			for call in (lambda: card_api.get_card(JANE, 58, ACCOUNT_ID), card_api.sign_in):
				with self.assertRaises(frappe.PermissionError):
					call()
		finally:
			frappe.set_user("Administrator")

	def test_over_http_the_card_answers_the_token_and_sends_its_headers(self):
		skip_unless_served(self)
		user = ensure_user("card.agent@example.test", ("System Manager",))
		frappe.db.commit()
		url = f"{SITE_URL}/api/method/chat_bridge.card.api.get_card"
		params = {"contact_id": JANE, "conversation_id": 58, "account_id": ACCOUNT_ID}
		self.assertEqual(requests.get(url, params=params, timeout=10).status_code, 403)  # a guest
		token = issue_card_token(user)
		answer = requests.get(url, params=params, headers={CARD_TOKEN_HEADER: token}, timeout=10)
		self.assertEqual(answer.status_code, 200, answer.text)
		self.assertEqual(answer.json()["message"]["data"]["contact"]["name"], self.contact.name)
		self.assertEqual(answer.headers["Content-Security-Policy"], f"frame-ancestors {self.mock.url}")
		self.assertNotIn("X-Frame-Options", answer.headers)
		page = requests.get(f"{SITE_URL}/chatwoot-app", timeout=10)
		self.assertEqual(page.headers["Content-Security-Policy"], f"frame-ancestors {self.mock.url}")
		self.assertNotIn(token, page.text)
		revoke_card_token(token)
		self.assertEqual(
			requests.get(url, params=params, headers={CARD_TOKEN_HEADER: token}, timeout=10).status_code, 403
		)


class TestDashboardApp(CardTestCase):
	def test_registering_twice_makes_one_app_and_doctor_checks_it(self):
		first = register_card_app("https://erp.example.com/chatwoot-app")
		again = register_card_app()
		self.assertTrue(first["created"])
		self.assertFalse(again["created"])
		self.assertEqual(list(self.mock.dashboard_apps), [first["id"]])
		self.assertEqual(
			self.mock.dashboard_apps[first["id"]]["content"],
			[{"type": "frame", "url": "https://erp.example.com/chatwoot-app"}],
		)
		self.assertEqual(first_account_checks()["dashboard_app"].verdict, "PASS")
		moved = register_card_app("https://erp2.example.com/chatwoot-app")
		self.assertEqual(
			(moved["id"], moved["moved_from"]), (first["id"], "https://erp.example.com/chatwoot-app")
		)

	def test_doctor_fails_while_chatwoot_has_no_card(self):
		check = first_account_checks()["dashboard_app"]
		self.assertEqual(check.verdict, "FAIL")
		self.assertIn("register-dashboard-app", check.fix)


@unittest.skipUnless(has_erpnext(), "needs ERPNext")
class TestCustomerContext(CardTestCase):
	def pushes_to_jane(self) -> int:
		return sum(
			1 for method, path in self.mock.requests if method == "PUT" and path.endswith(f"/contacts/{JANE}")
		)

	def test_the_customers_figures_reach_the_contact_with_their_definitions(self):
		customer = self.customer("Context Trading")
		self.link_contact_to_customer(customer)
		self.submitted("Sales Invoice", customer, grand_total=80, outstanding_amount=80, status="Unpaid")
		self.submitted(
			"Sales Order", customer, transaction_date="2026-11-30", status="To Deliver", grand_total=80
		)
		mark_due([customer])
		self.assertEqual(push_due_contexts(), 1)
		shown = self.mock.contacts[JANE]["custom_attributes"]
		self.assertEqual(shown["erpnext_customer"], customer)
		self.assertEqual(shown["erpnext_outstanding"], 80)
		self.assertEqual(shown["erpnext_open_orders"], 1)
		self.assertEqual(shown["erpnext_last_order_date"], "2026-11-30")
		self.assertEqual(shown["plan"], "gold")  # the contact's other attributes stay
		types = {
			d["attribute_key"]: d["attribute_display_type"] for d in self.mock.attribute_definitions.values()
		}
		self.assertEqual(set(types), set(KEYS))
		self.assertEqual(
			(types["erpnext_outstanding"], types["erpnext_last_order_date"], types["erpnext_customer_url"]),
			("currency", "date", "link"),
		)

	def test_a_hundred_saves_in_a_minute_give_at_most_two_pushes(self):
		customer = self.customer("Busy Trading")
		self.link_contact_to_customer(customer)
		customer_doc = frappe.get_doc("Customer", customer)
		for number in range(100):  # the doc_events of a hundred saves
			customer_doc.customer_name = f"Busy Trading {number % 2}"
			customer_doc.save(ignore_permissions=True)
			if number == 50:
				push_due_contexts()  # the minute's run comes in the middle of them
		frappe.db.commit()
		push_due_contexts()
		self.assertLessEqual(self.pushes_to_jane(), 2)
		self.assertGreaterEqual(self.pushes_to_jane(), 1)
		self.assertEqual(
			self.mock.contacts[JANE]["custom_attributes"]["erpnext_customer_name"], "Busy Trading 1"
		)
		self.assertEqual(pop_due(10), [])

	def test_an_agents_overwrite_is_put_back(self):
		customer = self.customer("Kept Trading")
		self.link_contact_to_customer(customer)
		mark_due([customer])
		push_due_contexts()
		system_client().update_contact(JANE, custom_attributes={"erpnext_customer_name": "Typed by an agent"})
		from chat_bridge.webhook.handlers import dispatch

		contact = self.mock.contacts[JANE]
		payload = {
			**self.mock.presenters.contact_webhook(contact),
			"changed_attributes": [{"custom_attributes": {}}],
		}
		self.assertEqual(dispatch("contact_updated", payload).status, "Ignored")  # nothing for the Contact
		push_due_contexts()
		self.assertEqual(
			self.mock.contacts[JANE]["custom_attributes"]["erpnext_customer_name"], "Kept Trading"
		)

	def test_a_mapping_that_does_not_push_erpnext_changes_is_left_alone(self):
		customer = self.customer("Quiet Trading")
		self.link_contact_to_customer(customer)
		frappe.db.set_value(
			"Chatwoot Contact Mapping", {"chatwoot_contact_id": JANE}, "sync_direction", "Chatwoot to ERPNext"
		)
		frappe.db.commit()
		mark_due([customer])
		push_due_contexts()
		self.assertEqual(self.pushes_to_jane(), 0)

	def test_nothing_is_pushed_while_contact_sync_is_off(self):
		customer = self.customer("Off Trading")
		self.link_contact_to_customer(customer)
		self.configure(
			**{**ALL_FLAGS_ON, "enable_contact_sync": 0},
			enable_chatwoot_app=1,
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
		)
		frappe.get_doc("Customer", customer).save(ignore_permissions=True)
		self.assertEqual(push_due_contexts(), 0)
		self.assertEqual(self.pushes_to_jane(), 0)
