"""The Chatwoot section of a Contact form in a real browser: one section, live refresh, who sees it.

Headless Chromium (Debian's package, /usr/bin/chromium) driven by Playwright (`bench pip install
playwright`; it brings its own driver and uses that Chromium), against the site the bench serves on
127.0.0.1:8000 with a worker and its realtime server running, and the mock Chatwoot posting real
webhooks to it. Skipped where any of that is missing. Screenshots go to a temporary folder that the
test prints.
"""

import os
import tempfile
import time

import frappe
import requests
from frappe.utils.password import update_password

from chat_bridge.api.chatwoot import system_client
from chat_bridge.records.outbound import link_to_chatwoot
from chat_bridge.rollout import WEBHOOK_EVENTS
from chat_bridge.tests.test_with_chatwoot import SITE_URL, WithChatwoot
from chat_bridge.tests.utils import ALL_FLAGS_ON, PLAIN_USER, SYSTEM_MANAGER, ensure_user

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
]


class TestContactFormInABrowser(WithChatwoot):
	def setUp(self):
		super().setUp()
		try:
			from playwright.sync_api import sync_playwright
		except ImportError:
			self.skipTest("Playwright is not installed in the bench (bench pip install playwright)")
		if not os.path.exists(CHROMIUM):
			self.skipTest(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
		if frappe.conf.default_site != frappe.local.site:
			self.skipTest(f"{SITE_URL} serves {frappe.conf.default_site}, not this site")
		try:
			requests.get(f"{SITE_URL}/api/method/chat_bridge.webhook.handle", timeout=5).raise_for_status()
		except requests.RequestException:
			self.skipTest(f"{SITE_URL} does not serve chat_bridge")
		self.complete_setup_wizard()
		for user, roles in ((SYSTEM_MANAGER, ("System Manager",)), (PLAIN_USER, ("Sales User",))):
			ensure_user(user, roles)
			update_password(user, PASSWORD)
		webhook = system_client().create_webhook(
			f"{SITE_URL}/api/method/chat_bridge.webhook.handle", WEBHOOK_EVENTS
		)["payload"]["webhook"]
		self.configure(
			**ALL_FLAGS_ON,
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			webhook_secret=webhook["secret"],
		)
		api = system_client()
		customer = api.create_contact(name="Jane Browser", email="jane.browser@example.test")["payload"]
		self.conversation = api.create_conversation(inbox_id=8, contact_id=customer["contact"]["id"])["id"]
		self.contact = frappe.get_doc({"doctype": "Contact", "first_name": "Jane", "last_name": "Browser"})
		self.contact.insert(ignore_permissions=True)
		link_to_chatwoot(self.contact.name, 3, customer["contact"]["id"])
		frappe.db.commit()
		self.screens = tempfile.mkdtemp(prefix="chat_bridge_screens_")
		self.playwright = sync_playwright().start()
		self.addCleanup(self.playwright.stop)
		self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
		self.addCleanup(self.browser.close)

	def complete_setup_wizard(self):
		"""The desk sends a new site to its setup wizard; this test is about what comes after."""
		before = frappe.db.get_single_value("System Settings", "setup_complete")
		per_app = frappe.db.has_column("Installed Application", "is_setup_complete")  # newer v15
		rows = (
			frappe.get_all("Installed Application", fields=["name", "is_setup_complete"]) if per_app else []
		)
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
		for row in rows:
			frappe.db.set_value("Installed Application", row.name, "is_setup_complete", 1)
		frappe.db.commit()
		frappe.clear_cache()

		def restore():
			frappe.db.set_single_value("System Settings", "setup_complete", before)
			for row in rows:
				frappe.db.set_value(
					"Installed Application", row.name, "is_setup_complete", row.is_setup_complete
				)
			frappe.db.commit()
			frappe.clear_cache()

		self.addCleanup(restore)

	def desk_as(self, user: str):
		context = self.browser.new_context(viewport={"width": 1280, "height": 900})
		self.addCleanup(context.close)
		answer = context.request.post(f"{SITE_URL}/api/method/login", form={"usr": user, "pwd": PASSWORD})
		self.assertTrue(answer.ok, answer.text())
		return context.new_page()

	def open_contact(self, page, name: str):
		page.goto(f"{SITE_URL}/app/contact/{name}", wait_until="networkidle")
		page.wait_for_timeout(1500)

	def screenshot(self, page, name: str):
		path = os.path.join(self.screens, f"{name}.png")
		page.evaluate("window.scrollTo(0, 0)")
		page.screenshot(path=path)
		print(f"screenshot: {path}")

	def test_an_open_contact_shows_a_new_message_without_a_reload(self):
		page = self.desk_as(SYSTEM_MANAGER)
		self.open_contact(page, self.contact.name)
		page.wait_for_selector(".chatwoot-panel table", timeout=15_000)
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
		self.screenshot(page, "contact-after-live-refresh")

	def test_a_new_contact_has_one_chatwoot_section_after_its_first_save(self):
		page = self.desk_as(SYSTEM_MANAGER)
		page.goto(f"{SITE_URL}/app/contact/new", wait_until="networkidle")
		page.fill('input[data-fieldname="first_name"]', "Saved")
		page.fill('input[data-fieldname="last_name"]', f"Once {frappe.generate_hash(length=6)}")
		page.keyboard.press("Control+s")
		page.wait_for_url(lambda url: "/app/contact/" in url and not url.endswith("/new"), timeout=15_000)
		page.wait_for_selector(".chatwoot-panel", timeout=15_000)
		page.wait_for_timeout(2500)  # the refreshes that follow a first save
		self.assertEqual(page.locator(".chatwoot-panel").count(), 1)
		self.screenshot(page, "new-contact-after-first-save")

	def test_an_open_section_goes_quietly_once_the_integration_is_switched_off(self):
		page = self.desk_as(SYSTEM_MANAGER)
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

	def test_a_user_it_is_not_for_sees_no_section_and_no_popup(self):
		page = self.desk_as(PLAIN_USER)
		self.open_contact(page, self.contact.name)
		page.wait_for_selector(".form-layout", timeout=15_000)
		page.wait_for_timeout(1500)
		self.assertEqual(page.locator(".chatwoot-panel").count(), 0)
		self.assertEqual(
			page.locator(".modal.show").count(), 0, page.locator(".modal.show").all_inner_texts()
		)
		self.screenshot(page, "contact-as-a-sales-user")
