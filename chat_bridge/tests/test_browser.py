"""Chat Bridge in a real browser: the Chatwoot section of a Contact form (one section, live
refresh, who sees it) and the website widget on the portal (signed in, then signed out).

Headless Chromium (Debian's package, /usr/bin/chromium) driven by Playwright (`bench pip install
playwright`; it brings its own driver and uses that Chromium), against the site the bench serves at
SITE_URL (test_with_chatwoot) with a worker and its realtime server running, and the mock Chatwoot posting real
webhooks to it and serving its stand-in widget loader. Skipped where any of that is missing.
Screenshots go to a temporary folder that the test prints.
"""

import json
import os
import tempfile
import time
from urllib.parse import urlsplit

import frappe
from frappe.utils.password import update_password

from chat_bridge.clients import system_client
from chat_bridge.erpnext import has_erpnext
from chat_bridge.records.outbound import link_to_chatwoot
from chat_bridge.settings import widget_identity_key
from chat_bridge.tests.https_front import HttpsFront
from chat_bridge.tests.test_accounts import AGENT_IN_BOTH, OTHER_ACCOUNT, TwoAccounts
from chat_bridge.tests.test_analytics import ANALYST, AnalyticsTestCase
from chat_bridge.tests.test_documents import DocumentsTestCase
from chat_bridge.tests.test_widget import WIDGET
from chat_bridge.tests.test_with_chatwoot import SITE_URL, WithChatwoot, skip_unless_served
from chat_bridge.tests.utils import (
	ACCOUNT_ID,
	AGENT_USER,
	ALL_FLAGS_ON,
	PLAIN_USER,
	SYSTEM_MANAGER,
	ensure_user,
	ensure_website_user,
	insert_sent_chat_message,
)
from chat_bridge.widget.identity import user_of_identifier

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "Browser-test-7!"
CHROMIUM_ARGS = [
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	# Names for the card's same-site and cross-site runs, all on this machine.
	"--host-resolver-rules=MAP erp.example.test 127.0.0.1, MAP chatwoot.example.test 127.0.0.1",
]
# ERPNext as the browser reaches it in the card's tests: a name under the same registrable domain
# (example.test) as the "same-site" Chatwoot, and a different site from the mock's 127.0.0.1.
CARD_SITE = f"http://erp.example.test:{urlsplit(SITE_URL).port or 80}"


class InABrowser(WithChatwoot):
	"""Headless Chromium against the served site, or a skip saying what is missing."""

	def setUp(self):
		super().setUp()
		try:
			from playwright.sync_api import sync_playwright
		except ImportError:
			self.skipTest("Playwright is not installed in the bench (bench pip install playwright)")
		if not os.path.exists(CHROMIUM):
			self.skipTest(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
		skip_unless_served(self)
		self.complete_setup_wizard()
		self.screens = tempfile.mkdtemp(prefix="chat_bridge_screens_")
		self.playwright = sync_playwright().start()
		self.addCleanup(self.playwright.stop)
		self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
		self.addCleanup(self.browser.close)

	def complete_setup_wizard(self):
		"""The desk sends a new site to its setup wizard; these tests are about what comes after."""
		before = frappe.db.get_single_value("System Settings", "setup_complete")
		per_app = frappe.db.has_column("Installed Application", "is_setup_complete")  # newer v15
		rows = (
			frappe.get_all("Installed Application", fields=["name", "is_setup_complete"]) if per_app else []
		)
		# Until the wizard has run, the desk's home is the wizard itself (later v15 releases).
		home = frappe.db.get_default("desktop:home_page")
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
		for row in rows:
			frappe.db.set_value("Installed Application", row.name, "is_setup_complete", 1)
		if home == "setup-wizard":
			frappe.db.set_default("desktop:home_page", "workspace")
		if has_erpnext():
			self.ensure_fiscal_year()
		frappe.db.commit()
		frappe.clear_cache()

		def restore():
			frappe.db.set_single_value("System Settings", "setup_complete", before)
			for row in rows:
				frappe.db.set_value(
					"Installed Application", row.name, "is_setup_complete", row.is_setup_complete
				)
			if home == "setup-wizard":
				frappe.db.set_default("desktop:home_page", home)
			frappe.db.commit()
			frappe.clear_cache()

		self.addCleanup(restore)

	def ensure_fiscal_year(self):
		"""Once setup is complete, ERPNext's desk asks for today's Fiscal Year on every page and opens
		a message over it when there is none, which takes the form's Ctrl+S. `run-tests --app
		chat_bridge` runs only this app's before_tests, not ERPNext's, which makes one."""
		from erpnext.accounts.utils import get_fiscal_year

		today = frappe.utils.getdate()
		if get_fiscal_year(today, boolean=True):
			return
		year = frappe.get_doc(
			{
				"doctype": "Fiscal Year",
				"year": f"Chat Bridge Tests {today.year}",
				"year_start_date": f"{today.year}-01-01",
				"year_end_date": f"{today.year}-12-31",
			}
		).insert(ignore_permissions=True)
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.delete_doc, "Fiscal Year", year.name, force=True, ignore_permissions=True)

	def signed_in_as(self, user: str):
		"""A page of a browser signed in as `user` (whose password is PASSWORD)."""
		update_password(user, PASSWORD)
		frappe.db.commit()
		context = self.browser.new_context(viewport={"width": 1280, "height": 900})
		self.addCleanup(context.close)
		answer = context.request.post(f"{SITE_URL}/api/method/login", form={"usr": user, "pwd": PASSWORD})
		self.assertTrue(answer.ok, answer.text())
		return context.new_page()

	def screenshot_of(self, element, name: str):
		path = os.path.join(self.screens, f"{name}.png")
		element.scroll_into_view_if_needed()
		element.screenshot(path=path)
		print(f"screenshot: {path}")

	def screenshot(self, page, name: str):
		path = os.path.join(self.screens, f"{name}.png")
		page.evaluate("window.scrollTo(0, 0)")
		page.screenshot(path=path)
		print(f"screenshot: {path}")


def speaks_spanish(test, user: str) -> None:
	"""`user` reads the desk and the card in Spanish for the rest of `test`."""
	frappe.db.set_value("User", user, "language", "es")
	frappe.db.commit()
	frappe.clear_cache(user=user)

	def back_to_the_default():
		frappe.db.set_value("User", user, "language", None)
		frappe.db.commit()
		frappe.clear_cache(user=user)

	test.addCleanup(back_to_the_default)


class TestContactFormInABrowser(InABrowser):
	def setUp(self):
		super().setUp()
		for user, roles in ((SYSTEM_MANAGER, ("System Manager",)), (PLAIN_USER, ("Sales User",))):
			ensure_user(user, roles)
		self.register_site_webhook()
		api = system_client()
		customer = api.create_contact(name="Jane Browser", email="jane.browser@example.test")["payload"]
		self.conversation = api.create_conversation(inbox_id=8, contact_id=customer["contact"]["id"])["id"]
		self.customer_id = customer["contact"]["id"]
		self.contact = frappe.get_doc({"doctype": "Contact", "first_name": "Jane", "last_name": "Browser"})
		self.contact.insert(ignore_permissions=True)
		link_to_chatwoot(self.contact.name, ACCOUNT_ID, customer["contact"]["id"])
		frappe.db.commit()

	def open_contact(self, page, name: str):
		page.goto(f"{SITE_URL}/app/contact/{name}", wait_until="networkidle")
		page.wait_for_timeout(1500)

	def test_an_open_contact_shows_a_new_message_without_a_reload(self):
		system_client().create_conversation(inbox_id=8, contact_id=self.customer_id)  # a second one
		page = self.signed_in_as(SYSTEM_MANAGER)
		self.open_contact(page, self.contact.name)
		page.wait_for_selector(".chatwoot-panel table", timeout=15_000)
		page.click(f'tr[data-conversation="{self.conversation}"] a.history')
		if not page.evaluate("Boolean(frappe.realtime.socket && frappe.realtime.socket.connected)"):
			self.skipTest("the desk's realtime socket did not connect (is the realtime server reachable?)")
		said = f"It left the warehouse at {time.strftime('%H:%M:%S')}"
		system_client().send_message(self.conversation, said)  # the mock posts message_created to the site
		page.wait_for_function(
			"text => document.querySelector('.chatwoot-panel').innerText.includes(text)",
			arg=said,
			timeout=30_000,
		)
		self.assertEqual(page.locator(".chatwoot-panel").count(), 1)
		# The history the reader had open stays open, with the new message in it.
		page.wait_for_function(
			"""text => [...document.querySelectorAll('tr.chatwoot-history:not(.hidden)')]
				.some(row => row.innerText.includes(text))""",
			arg=said,
			timeout=15_000,
		)
		self.screenshot(page, "contact-after-live-refresh")

	def test_a_chat_message_without_a_sender_address_shows_its_senders_initials(self):
		"""Not the reader's: Frappe draws the signed-in user's avatar for a Communication without sender."""
		insert_sent_chat_message(
			content="On its way",
			sender_full_name="Carl Agent",
			reference_doctype="Contact",
			reference_name=self.contact.name,
		)
		frappe.db.commit()
		page = self.signed_in_as(SYSTEM_MANAGER)
		self.open_contact(page, self.contact.name)
		item = page.locator(".timeline-item", has_text="On its way").first
		item.wait_for(timeout=15_000)
		self.assertEqual(item.locator(".avatar").first.get_attribute("title"), "Carl Agent")
		self.assertEqual(item.locator(".avatar").first.inner_text().strip(), "CA")
		item.scroll_into_view_if_needed()
		page.screenshot(path=os.path.join(self.screens, "chat-message-avatar.png"))
		print(f"screenshot: {self.screens}/chat-message-avatar.png")

	def test_a_new_contact_has_one_chatwoot_section_after_its_first_save(self):
		page = self.signed_in_as(SYSTEM_MANAGER)
		page.goto(f"{SITE_URL}/app/contact/new", wait_until="networkidle")
		page.fill('input[data-fieldname="first_name"]', "Saved")
		page.fill('input[data-fieldname="last_name"]', f"Once {frappe.generate_hash(length=6)}")
		self.assertEqual(
			page.locator(".modal.show").count(), 0, page.locator(".modal.show").all_inner_texts()
		)
		page.keyboard.press("Control+s")
		page.wait_for_function("window.cur_frm && !cur_frm.is_new()", timeout=15_000)  # saved
		page.wait_for_selector(".chatwoot-panel", timeout=15_000)
		page.wait_for_timeout(2500)  # the refreshes that follow a first save
		self.assertEqual(page.locator(".chatwoot-panel").count(), 1)
		self.screenshot(page, "new-contact-after-first-save")

	def test_an_open_section_goes_quietly_once_the_integration_is_switched_off(self):
		page = self.signed_in_as(SYSTEM_MANAGER)
		self.open_contact(page, self.contact.name)
		page.wait_for_selector(".chatwoot-panel table", timeout=15_000)
		self.configure(**{**ALL_FLAGS_ON, "enabled": 0}, chatwoot_url=self.mock.url)  # the rollback
		page.evaluate("cur_frm.refresh()")  # what the page already loaded still says "on"
		page.wait_for_function("!document.querySelector('.chatwoot-panel')", timeout=15_000)
		page.wait_for_timeout(1000)
		self.assertEqual(
			page.locator(".modal.show").count(), 0, page.locator(".modal.show").all_inner_texts()
		)
		self.screenshot(page, "contact-after-rollback")

	def test_a_spanish_speaking_user_reads_the_section_in_spanish(self):
		speaks_spanish(self, SYSTEM_MANAGER)
		page = self.signed_in_as(SYSTEM_MANAGER)
		self.open_contact(page, self.contact.name)
		page.wait_for_selector(".chatwoot-panel table", timeout=15_000)
		shown = page.inner_text(".chatwoot-panel")
		for spanish in ("Contacto de Chatwoot", "abierta", "Sin asignar", "Historial", "Responder"):
			self.assertIn(spanish, shown)
		self.assertNotIn("Unassigned", shown)
		self.screenshot(page, "contact-in-spanish")

	def test_a_user_it_is_not_for_sees_no_section_and_no_popup(self):
		page = self.signed_in_as(PLAIN_USER)
		self.open_contact(page, self.contact.name)
		page.wait_for_selector(".form-layout", timeout=15_000)
		page.wait_for_timeout(1500)
		self.assertEqual(page.locator(".chatwoot-panel").count(), 0)
		self.assertEqual(
			page.locator(".modal.show").count(), 0, page.locator(".modal.show").all_inner_texts()
		)
		self.screenshot(page, "contact-as-a-sales-user")


class TestPrivateNotesInABrowser(InABrowser):
	def test_a_sales_user_reads_the_chat_and_not_the_notes_an_agent_reads_both(self):
		from chat_bridge.tests.story import Story

		story = Story()
		self.addCleanup(story.clean_up)
		for example in ("message_created_incoming", "message_created_private_note"):
			story.deliver(story.payload(example))
		contact, mapping = story.contact_mapping().contact, story.conversation_mapping().name
		ensure_user(PLAIN_USER, ("Sales User",))
		ensure_user(AGENT_USER, ("Chatwoot Agent", "Sales User"))  # an agent who reads Contacts

		page = self.signed_in_as(PLAIN_USER)
		page.goto(f"{SITE_URL}/app/contact/{contact}", wait_until="networkidle")
		page.locator(".timeline-item", has_text="SO-0042").first.wait_for(timeout=15_000)
		self.assertNotIn("Gold customer", page.inner_text("body"))
		page.locator(".timeline-item", has_text="SO-0042").first.scroll_into_view_if_needed()
		page.screenshot(path=os.path.join(self.screens, "contact-as-sales-user.png"))

		page = self.signed_in_as(AGENT_USER)
		for doctype, name in (("contact", contact), ("chatwoot-conversation-mapping", mapping)):
			page.goto(f"{SITE_URL}/app/{doctype}/{name}", wait_until="networkidle")
			note = page.locator(".timeline-item", has_text="Gold customer").first
			note.wait_for(timeout=15_000)
			note.scroll_into_view_if_needed()
			page.screenshot(path=os.path.join(self.screens, f"{doctype}-as-chatwoot-agent.png"))
		print(f"screenshots: {self.screens}")


class TestWidgetInABrowser(InABrowser):
	"""The portal with the widget, against the mock's stand-in loader, which records what the page
	calls and checks the identity with the mock's set_user endpoint, as Chatwoot would."""

	def setUp(self):
		super().setUp()
		self.user, self.contact = ensure_website_user("ann.browser@example.test", "Ann", "Browser")
		self.configure(
			**ALL_FLAGS_ON,
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			**WIDGET,
			widget_launcher_title="Chat with Acme",
		)

	def widget_calls(self, page) -> list:
		page.wait_for_function(
			"window.__mockChatwoot && window.__mockChatwoot.runs.length > 0", timeout=15_000
		)
		page.wait_for_timeout(1500)  # the identity call and set_user, when there are any
		return page.evaluate("window.__mockChatwoot.calls")

	def test_signed_in_then_signed_out(self):
		page = self.signed_in_as(self.user)
		page.goto(f"{SITE_URL}/me", wait_until="networkidle")
		page.wait_for_function(
			"window.__mockChatwoot && window.__mockChatwoot.set_user_status", timeout=15_000
		)
		[(call, identifier, attributes)] = self.widget_calls(page)
		self.assertEqual(call, "setUser")
		self.assertEqual(user_of_identifier(identifier, widget_identity_key()), self.user)
		self.assertEqual(attributes["name"], "Ann Browser")
		self.assertEqual(page.evaluate("window.__mockChatwoot.set_user_status"), 200)  # Chatwoot's check
		self.assertNotIn("widget-hmac-secret", page.content())
		self.assertIn("Chatting as Ann Browser", page.inner_text("#mock-chatwoot-bubble"))
		self.screenshot(page, "portal-signed-in")

		self.assertTrue(page.context.request.post(f"{SITE_URL}/api/method/logout").ok)
		page.goto(f"{SITE_URL}/contact", wait_until="networkidle")
		self.assertEqual(self.widget_calls(page), [["reset"]])
		self.assertEqual(page.inner_text("#mock-chatwoot-bubble"), "Chat with Acme")
		self.screenshot(page, "portal-signed-out")

		page.reload(wait_until="networkidle")
		self.assertEqual(self.widget_calls(page), [])  # reset once, not on every page
		self.assertEqual(self.mock_contacts_with(identifier), 1)

	def test_the_next_person_in_the_same_browser_chats_as_themselves(self):
		bob, _contact = ensure_website_user("bob.browser@example.test", "Bob", "Browser")
		update_password(bob, PASSWORD)
		frappe.db.commit()
		page = self.signed_in_as(self.user)
		page.goto(f"{SITE_URL}/me", wait_until="networkidle")
		[(_call, ann, _attributes)] = self.widget_calls(page)
		self.assertTrue(page.context.request.post(f"{SITE_URL}/api/method/logout").ok)
		answer = page.context.request.post(f"{SITE_URL}/api/method/login", form={"usr": bob, "pwd": PASSWORD})
		self.assertTrue(answer.ok, answer.text())
		page.goto(f"{SITE_URL}/me", wait_until="networkidle")
		[(call, identifier, _attributes)] = self.widget_calls(page)
		self.assertEqual((call, user_of_identifier(identifier, widget_identity_key())), ("setUser", bob))
		self.assertEqual(page.evaluate("window.__mockChatwoot.set_user_status"), 200)
		self.assertEqual(page.evaluate("window.__mockChatwoot.errors"), [])
		self.assertIn("Chatting as Bob Browser", page.inner_text("#mock-chatwoot-bubble"))
		self.screenshot(page, "portal-next-person")
		# Two people, two Chatwoot contacts: Bob did not become Ann's contact.
		[ann_contact] = [c for c in self.mock.contacts.values() if c["identifier"] == ann]
		[bob_contact] = [c for c in self.mock.contacts.values() if c["identifier"] == identifier]
		self.assertNotEqual(ann_contact["id"], bob_contact["id"])
		self.assertEqual(ann_contact["name"], "Ann Browser")

	def mock_contacts_with(self, identifier: str) -> int:
		return sum(1 for c in self.mock.contacts.values() if c["identifier"] == identifier)


class TestAgentsInABrowser(InABrowser):
	"""A System Manager provisions an agent from the User form, then looks at the Chatwoot Agents page."""

	def setUp(self):
		super().setUp()
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		self.agent = ensure_user("ann.agent@example.test", ("Sales User",))
		self.configure(
			**ALL_FLAGS_ON,
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			platform_api_token="platform-token",
		)
		self.addCleanup(self.forget_agent)

	def forget_agent(self):
		frappe.db.rollback()
		frappe.db.delete("Chatwoot Agent", {"user": self.agent})
		frappe.db.delete("Chatwoot User Token", {"user": self.agent})
		frappe.db.commit()

	def test_provision_from_the_user_form(self):
		page = self.signed_in_as(SYSTEM_MANAGER)
		page.goto(f"{SITE_URL}/app/user/{self.agent}", wait_until="networkidle")
		page.get_by_role("button", name="Chatwoot").click()
		page.get_by_text("Provision Agent", exact=True).click()
		dialog = page.locator(".modal.show")
		dialog.get_by_text("Acme Website (#7)").click()
		dialog.get_by_role("button", name="Provision").click()
		page.wait_for_selector(".form-message .indicator-pill:has-text('Provisioned')", timeout=20_000)
		page.wait_for_timeout(1000)
		self.assertEqual(frappe.db.get_value("Chatwoot Agent", {"user": self.agent}, "status"), "Provisioned")
		[chatwoot] = [u for u in self.mock.users.values() if u["email"] == self.agent]
		self.assertEqual(chatwoot["inbox_ids"], {7})
		self.screenshot(page, "user-form-provisioned")

		page.goto(f"{SITE_URL}/app/chatwoot-agents", wait_until="networkidle")
		page.wait_for_selector(".chatwoot-agent-table", timeout=15_000)
		self.assertIn(self.agent, page.inner_text(".chatwoot-agent-table"))
		self.screenshot(page, "chatwoot-agents-page")


class TestCardInABrowser(InABrowser):
	"""The customer card framed by the mock's stand-in for Chatwoot's conversation view: once from the
	same site as ERPNext (the session cookie reaches the frame), once from another site (the agent
	signs in through the card's window)."""

	def setUp(self):
		super().setUp()
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		update_password(SYSTEM_MANAGER, PASSWORD)
		self.contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Jane",
				"last_name": "Framed",
				"email_ids": [{"email_id": "jane.framed@example.test", "is_primary": 1}],
			}
		).insert(ignore_permissions=True)
		link_to_chatwoot(self.contact.name, ACCOUNT_ID, 1042)
		frappe.get_doc(
			{
				"doctype": "Chatwoot Conversation Mapping",
				"account_id": ACCOUNT_ID,
				"chatwoot_conversation_id": 58,
				"contact": self.contact.name,
				"identity_verified": 1,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()

	def chatwoot_at(self, origin: str, site: str = CARD_SITE, context=None):
		"""Settings for a Chatwoot at `origin`, and a browser (`context`, or a new one) signed in to
		ERPNext at `site`, showing the card in Chatwoot's conversation 58."""
		self.configure(
			**ALL_FLAGS_ON, enable_chatwoot_app=1, chatwoot_url=origin, api_access_token="admin-token"
		)
		if context is None:
			context = self.browser.new_context(viewport={"width": 1280, "height": 800})
			self.addCleanup(context.close)
		page = context.new_page()
		page.goto(f"{site}/login", wait_until="domcontentloaded")
		signed_in = page.evaluate(
			"""([usr, pwd]) => fetch("/api/method/login", {method: "POST", body: new URLSearchParams({usr, pwd})})
				.then((r) => r.ok)""",
			[SYSTEM_MANAGER, PASSWORD],
		)
		self.assertTrue(signed_in)
		host = f"{self.mock.url.replace('127.0.0.1', urlsplit(origin).hostname)}/dashboard-app"
		page.goto(f"{host}?src={site}/chatwoot-app&conversation_id=58", wait_until="networkidle")
		return page

	def sign_in_through_the_cards_window(self, page, site: str = CARD_SITE):
		card = page.frame_locator("iframe")
		card.get_by_text("Sign in to ERPNext").wait_for(timeout=15_000)
		with page.context.expect_page() as opened:
			card.get_by_role("button", name="Sign in to ERPNext").click()
		window = opened.value
		window.wait_for_load_state()
		self.assertTrue(window.url.startswith(f"{site}/chatwoot-app/sign-in"), window.url)
		window.get_by_role("button", name="Allow").click()
		card.locator("h2", has_text="Jane Framed").wait_for(timeout=15_000)
		self.assertIn("Sign out", card.locator("body").inner_text())

	def test_same_site_the_session_reaches_the_card(self):
		port = urlsplit(self.mock.url).port
		page = self.chatwoot_at(f"http://chatwoot.example.test:{port}")
		card = page.frame_locator("iframe")
		card.locator("h2", has_text="Jane Framed").wait_for(timeout=15_000)
		self.assertIn("Verified", card.locator("h2").inner_text())
		self.assertGreaterEqual(page.evaluate("window.__fetchInfoRequests"), 1)
		self.screenshot(page, "card-same-site")

	def test_the_card_speaks_the_agents_language(self):
		speaks_spanish(self, SYSTEM_MANAGER)
		port = urlsplit(self.mock.url).port
		page = self.chatwoot_at(f"http://chatwoot.example.test:{port}")
		card = page.frame_locator("iframe")
		card.locator("h2", has_text="Jane Framed").wait_for(timeout=15_000)
		self.assertIn("Verificado", card.locator("h2").inner_text())
		self.screenshot(page, "card-in-spanish")

	def test_cross_site_the_agent_signs_in_through_the_cards_window(self):
		page = self.chatwoot_at(self.mock.url)
		page.frame_locator("iframe").get_by_text("Sign in to ERPNext").wait_for(timeout=15_000)
		self.screenshot(page, "card-cross-site-before-sign-in")
		self.sign_in_through_the_cards_window(page)
		self.screenshot(page, "card-cross-site-signed-in")

	def test_cross_site_one_sign_in_lasts_across_conversations_with_third_party_cookies_blocked(self):
		front = HttpsFront("erp.example.test", SITE_URL)
		self.addCleanup(front.stop)
		self.mock.add_conversations(3)  # Jane's, the mock's one contact
		page = self.chatwoot_at(self.mock.url, site=front.url, context=self.blocking_third_party_cookies())
		card = page.frame_locator("iframe")
		self.sign_in_through_the_cards_window(page, site=front.url)
		storage = page.frames[1].evaluate(
			"() => { try { sessionStorage.length; return 'allowed'; } catch (e) { return e.name; } }"
		)
		self.assertEqual(storage, "SecurityError")  # the browser really treats the frame as third-party
		others = [c["id"] for c in self.mock.all_conversations(ACCOUNT_ID) if c["id"] != 58][:3]
		for number, conversation in enumerate(others, start=2):
			page.evaluate("(id) => window.__openConversation(id)", conversation)
			self.assertEqual(page.evaluate("window.__mounts"), number)  # a new frame, as Chatwoot makes
			card.locator("h2", has_text="Jane Framed").wait_for(timeout=15_000)
			self.assertNotIn("Sign in to ERPNext", card.locator("body").inner_text())
			self.assertIn("Sign out", card.locator("body").inner_text())
		self.screenshot(page, "card-cross-site-after-three-switches")
		card.locator("#sign-out").click()
		card.get_by_text("Sign in to ERPNext").wait_for(timeout=15_000)
		page.evaluate("(id) => window.__openConversation(id)", 58)
		card.get_by_text("Sign in to ERPNext").wait_for(timeout=15_000)  # the cookie went with the token

	def blocking_third_party_cookies(self):
		"""A browser whose profile blocks third-party cookies (Chromium's setting, not a flag), and takes
		the test's self-signed certificate."""
		profile = tempfile.mkdtemp(prefix="chat_bridge_profile_")
		os.makedirs(os.path.join(profile, "Default"))
		with open(os.path.join(profile, "Default", "Preferences"), "w") as preferences:
			json.dump({"profile": {"cookie_controls_mode": 1}}, preferences)
		context = self.playwright.chromium.launch_persistent_context(
			profile,
			executable_path=CHROMIUM,
			args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"],
			viewport={"width": 1280, "height": 800},
		)
		self.addCleanup(context.close)
		return context


class TestSupportLeadInABrowser(InABrowser, AnalyticsTestCase):
	"""A user with only Support Analytics, on the analytics story of test_analytics."""

	def wait_for_text(self, page, *texts: str, timeout: int = 20_000):
		"""Whatever the case: a card's label is shown in capitals."""
		page.wait_for_function(
			"""texts => texts.every(
				t => document.body.innerText.toLowerCase().includes(t.toLowerCase())
			)""",
			arg=list(texts),
			timeout=timeout,
		)

	def test_a_support_lead_walks_the_workspace_the_dashboard_and_the_reports(self):
		page = self.signed_in_as(ANALYST)
		page.set_viewport_size({"width": 1400, "height": 900})
		page.goto(f"{SITE_URL}/app/customer-support", wait_until="networkidle")
		self.wait_for_text(page, "Chatwoot Conversation Analysis", "Open Chatwoot Conversations")
		page.wait_for_timeout(1500)  # the cards' figures
		self.assertNotIn("Chatwoot Integration Settings", page.inner_text(".layout-main-section"))
		self.screenshot(page, "support-lead-workspace")

		page.goto(f"{SITE_URL}/app/dashboard-view/Customer Support", wait_until="networkidle")
		cards = (
			"Open Chatwoot Conversations",
			"Unassigned Chatwoot Conversations",
			"Median First Response Today",
			"Chatwoot Resolution Rate This Week",
		)
		self.wait_for_text(page, *cards)
		page.wait_for_timeout(1500)  # the figures
		self.screenshot(page, "support-lead-dashboard")

		for report in ("Chatwoot Conversation Analysis", "Chatwoot Agent Performance"):
			page.goto(
				f"{SITE_URL}/app/query-report/{report}?from_date=2026-11-01&to_date=2026-11-30",
				wait_until="networkidle",
			)
			page.wait_for_selector(".dt-scrollable .dt-row", timeout=20_000)
			page.wait_for_timeout(1500)  # the chart draws after the table
			self.screenshot(page, "support-lead-" + frappe.scrub(report))
			if report == "Chatwoot Conversation Analysis":
				inboxes = page.locator('select[data-fieldname="inbox"] option').all_inner_texts()
				self.assertIn("Inbox 7", inboxes)  # by name when API access is on
			else:  # every figure in view at 1400 pixels
				cell = page.locator(".dt-header .dt-cell__content", has_text="Messages Sent").first
				self.assertLessEqual(cell.bounding_box()["x"] + cell.bounding_box()["width"], 1400)

	def test_after_a_rollback_the_workspace_says_it_is_switched_off(self):
		self.configure(enabled=0)
		page = self.signed_in_as(ANALYST)
		page.goto(f"{SITE_URL}/app/customer-support", wait_until="networkidle")
		self.wait_for_text(page, "Chat Bridge is switched off")
		self.assertNotIn("could not find", page.inner_text("body"))
		self.screenshot(page, "support-lead-after-rollback")


class TestDocumentsInABrowser(InABrowser, DocumentsTestCase):
	"""A Sales Invoice sent through Chatwoot from its form's dialog, and from the customer card."""

	def test_an_invoice_is_sent_from_its_form_and_from_the_card(self):
		user = ensure_user("documents.sender@example.test", ("System Manager", "Accounts User", "Sales User"))
		page = self.signed_in_as(user)
		page.goto(f"{SITE_URL}/app/sales-invoice/{self.invoice}", wait_until="networkidle")
		page.get_by_role("button", name="Chatwoot").click()
		page.get_by_role("link", name="Send via Chatwoot").click()
		dialog = page.locator(".modal-dialog:visible")
		dialog.get_by_text("Send Sales Invoice via Chatwoot").wait_for(timeout=15_000)
		self.assertIn(self.invoice, dialog.locator("textarea").input_value())
		self.screenshot(page, "send-dialog-on-a-sales-invoice")
		dialog.get_by_role("button", name="Send").click()
		page.get_by_text("Queued to send via Chatwoot").first.wait_for(timeout=15_000)
		self.wait_for_messages_with_the_pdf(1)  # the worker sends it
		page.reload(wait_until="networkidle")
		sent = page.locator(".timeline-item", has_text="Here is your").first
		sent.wait_for(timeout=15_000)
		self.screenshot_of(
			sent.locator("xpath=ancestor::div[contains(@class, 'new-timeline')]"), "invoice-timeline"
		)

		page.on("dialog", lambda question: question.accept())
		page.goto(
			f"{self.mock.url}/dashboard-app?src={SITE_URL}/chatwoot-app&conversation_id=58",
			wait_until="networkidle",
		)
		card = page.frame_locator("iframe")
		card.locator("h3", has_text="Sales Invoices").wait_for(timeout=15_000)
		card.get_by_role("button", name="Send PDF").first.click()
		card.get_by_text("Queued to send via Chatwoot").wait_for(timeout=15_000)
		self.wait_for_messages_with_the_pdf(2)
		self.screenshot(page, "card-sent-an-invoice")

	def wait_for_messages_with_the_pdf(self, count: int, seconds: float = 30):
		deadline = time.monotonic() + seconds
		while len(self.messages_with_the_pdf()) < count and time.monotonic() < deadline:
			time.sleep(0.2)
		self.assertEqual(len(self.messages_with_the_pdf()), count)


class TestTwoAccountsInABrowser(InABrowser, TwoAccounts):
	"""A site with two Chatwoot accounts: the reports speak of each account, and a reader kept to one
	Company is offered only its account (the dashboard stage); an agent is provisioned in the account
	chosen on the User form; a customer of Brand B's Company chats with Brand B's inbox."""

	REPORT = "Chatwoot Conversation Analysis"

	def account_choices(self, page) -> list[str]:
		page.goto(f"{SITE_URL}/app/query-report/{self.REPORT}", wait_until="networkidle")
		page.wait_for_function(
			"""document.querySelectorAll('select[data-fieldname="account"] option').length > 0""",
			timeout=20_000,
		)
		page.wait_for_timeout(1500)  # the report's first run
		return page.locator('select[data-fieldname="account"] option').all_inner_texts()

	def test_the_reports_offer_each_account_and_only_the_permitted_ones(self):
		self.configure(
			enabled=1, enable_dashboard=1, chatwoot_url=self.mock.url, api_access_token="admin-token"
		)
		page = self.signed_in_as(ensure_user(SYSTEM_MANAGER, ("System Manager",)))
		choices = self.account_choices(page)
		self.assertEqual(len(choices), 2, choices)
		self.assertIn(f"Brand B ({OTHER_ACCOUNT})", choices[1])
		self.assertTrue(page.locator('.frappe-control[data-fieldname="account"]').is_visible())
		shown = page.locator('select[data-fieldname="account"]').evaluate("s => s.selectedOptions[0].text")
		self.assertIn(str(ACCOUNT_ID), shown)  # the first account, said so
		self.screenshot(page, "report-with-two-accounts")
		if not has_erpnext():
			return
		reader = ensure_user("brand-a.lead@example.test", ("Support Analytics",))
		frappe.get_doc(
			{"doctype": "User Permission", "user": reader, "allow": "Company", "for_value": self.companies[0]}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.delete, "User Permission", {"user": reader})
		page = self.signed_in_as(reader)
		self.assertEqual(len(self.account_choices(page)), 1)
		self.assertFalse(page.locator('.frappe-control[data-fieldname="account"]').is_visible())
		self.screenshot(page, "report-for-a-brand-a-reader")

	def test_an_agent_is_provisioned_in_the_account_chosen(self):
		self.configure(
			**ALL_FLAGS_ON,
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			platform_api_token="platform-token",
		)
		agent = ensure_user(AGENT_IN_BOTH, ("Sales User",))
		self.addCleanup(self.forget_agent, agent)
		page = self.signed_in_as(ensure_user(SYSTEM_MANAGER, ("System Manager",)))
		page.goto(f"{SITE_URL}/app/user/{agent}", wait_until="networkidle")
		page.get_by_role("button", name="Chatwoot").click()
		page.get_by_text("Provision Agent", exact=True).click()
		prompt = page.locator(".modal.show", has_text="Provision in which account?")
		prompt.locator('select[data-fieldname="account"]').select_option(str(OTHER_ACCOUNT))
		self.screenshot(page, "user-form-choose-account")
		prompt.get_by_role("button", name="Next").click()
		dialog = page.locator(".modal.show", has_text="Brand B site")
		dialog.get_by_text(f"Brand B site (#{self.other_inbox['id']})").click()
		dialog.get_by_role("button", name="Provision").click()
		page.wait_for_selector(".form-message .indicator-pill:has-text('Brand B')", timeout=20_000)
		page.wait_for_timeout(1000)
		records = frappe.get_all("Chatwoot Agent", filters={"user": agent}, fields=["account_id", "status"])
		self.assertEqual([(r.account_id, r.status) for r in records], [(OTHER_ACCOUNT, "Provisioned")])
		self.screenshot(page, "user-form-agent-of-brand-b")

		page.goto(f"{SITE_URL}/app/chatwoot-agents", wait_until="networkidle")
		page.wait_for_selector(".chatwoot-agent-table", timeout=15_000)
		self.assertNotIn(agent, page.inner_text(".chatwoot-agent-table"))  # the first account's agents
		page.locator('select[data-fieldname="account"]').select_option(str(OTHER_ACCOUNT))
		page.wait_for_function(
			f"(document.querySelector('.chatwoot-agent-table') || {{innerText: ''}}).innerText.includes('{agent}')",
			timeout=15_000,
		)
		self.screenshot(page, "chatwoot-agents-of-brand-b")

	def test_the_dashboard_lists_the_conversations_of_the_account_chosen(self):
		self.configure(**ALL_FLAGS_ON, chatwoot_url=self.mock.url, api_access_token="admin-token")
		contact = self.mock.store_contact(
			{"account_id": OTHER_ACCOUNT, "name": "Bo Brand-B", "email": "bo@customers.example.test"},
			self.mock.clock(),
		)
		self.mock.visitor_says(contact["id"], "Hello brand B", inbox_id=self.other_inbox["id"])
		page = self.signed_in_as(ensure_user(SYSTEM_MANAGER, ("System Manager",)))
		page.goto(f"{SITE_URL}/app/chatwoot-dashboard", wait_until="networkidle")
		page.wait_for_selector(".chatwoot-conversations", timeout=15_000)
		self.assertNotIn("Bo Brand-B", page.inner_text(".chatwoot-conversations"))
		page.locator('select[data-fieldname="account"]').select_option(str(OTHER_ACCOUNT))
		page.wait_for_function(
			"(document.querySelector('.chatwoot-conversations') || {innerText: ''}).innerText.includes('Bo Brand-B')",
			timeout=15_000,
		)
		link = page.locator(".chatwoot-conversations a.chatwoot-open").first.get_attribute("href")
		self.assertIn(f"/accounts/{OTHER_ACCOUNT}/conversations/", link)
		self.screenshot(page, "dashboard-of-brand-b")

	def test_the_chatwoot_account_form(self):
		page = self.signed_in_as(ensure_user(SYSTEM_MANAGER, ("System Manager",)))
		page.goto(f"{SITE_URL}/app/chatwoot-account/{OTHER_ACCOUNT}", wait_until="networkidle")
		page.wait_for_selector('.frappe-control[data-fieldname="api_access_token"]', timeout=15_000)
		for label in ("Connected", "API Access Token", "Platform API Token", "Max Agents", "Webhook Secret"):
			self.assertTrue(page.get_by_text(label, exact=True).first.is_visible(), label)
		self.assertTrue(page.locator('input[data-fieldname="enabled"]').is_checked())
		page.get_by_text("Website Widget", exact=True).click()  # a collapsed section
		widget_routes = page.locator('.frappe-control[data-fieldname="widget_routes"]')
		widget_routes.wait_for(state="visible", timeout=5_000)
		self.assertEqual(page.locator(".modal.show").count(), 0)  # the form opens without an error
		self.screenshot(page, "chatwoot-account-form")

	def forget_agent(self, agent: str):
		frappe.db.rollback()
		frappe.db.delete("Chatwoot Agent", {"user": agent})
		frappe.db.delete("Chatwoot User Token", {"user": agent})
		frappe.db.commit()

	def test_a_brand_b_customer_chats_with_brand_b(self):
		if not has_erpnext():
			self.skipTest("Customers and Companies are ERPNext's")
		self.configure(**ALL_FLAGS_ON, chatwoot_url=self.mock.url, api_access_token="admin-token", **WIDGET)
		inbox = self.mock.add_inbox(
			{"name": "Brand B website", "channel_type": "Channel::WebWidget", "account_id": OTHER_ACCOUNT}
		)
		account = frappe.get_doc("Chatwoot Account", str(OTHER_ACCOUNT))
		account.update(
			{"widget_website_token": inbox["website_token"], "widget_hmac_token": inbox["hmac_token"]}
		)
		account.save(ignore_permissions=True)
		user, contact = ensure_website_user("bea.buyer@example.test", "Bea", "Buyer")
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": "Bea Buyer",
				"companies": [{"company": self.companies[1]}],
			}
		).insert(ignore_permissions=True)
		contact = frappe.get_doc("Contact", contact)
		contact.append("links", {"link_doctype": "Customer", "link_name": customer.name})
		contact.save(ignore_permissions=True)
		frappe.db.commit()
		self.addCleanup(self.forget_customer, customer.name)

		page = self.signed_in_as(user)
		page.goto(f"{SITE_URL}/me", wait_until="networkidle")
		page.wait_for_function(
			"window.__mockChatwoot && window.__mockChatwoot.set_user_status", timeout=15_000
		)
		[run] = page.evaluate("window.__mockChatwoot.runs")
		self.assertEqual(run["options"]["websiteToken"], inbox["website_token"])
		self.assertEqual(page.evaluate("window.__mockChatwoot.set_user_status"), 200)  # B's inbox's check
		[chatwoot_contact] = [c for c in self.mock.contacts.values() if c["email"] == user]
		self.assertEqual(chatwoot_contact["account_id"], OTHER_ACCOUNT)
		self.screenshot(page, "portal-brand-b-customer")

		guest = self.browser.new_context().new_page()
		self.addCleanup(guest.context.close)
		guest.goto(f"{SITE_URL}/me", wait_until="networkidle")  # the login page, for a guest
		guest.wait_for_function(
			"window.__mockChatwoot && window.__mockChatwoot.runs.length > 0", timeout=15_000
		)
		[run] = guest.evaluate("window.__mockChatwoot.runs")
		self.assertEqual(run["options"]["websiteToken"], "widget-token")  # the first account's inbox

	def forget_customer(self, customer: str):
		frappe.db.rollback()
		frappe.db.delete("Dynamic Link", {"link_doctype": "Customer", "link_name": customer})
		frappe.delete_doc("Customer", customer, ignore_permissions=True, force=True)
		frappe.db.commit()
