"""The website widget in the site's pages, and the signed-in visitor's identity for it.

`update_website_context` (a website hook) adds the widget to the pages the settings choose: its
configuration and a small loader, inline, so the page costs no extra request. That part is the
same for every visitor, because Frappe caches a rendered page by its path and serves the copy to
whoever asks next; a visitor's identity in the page would be served to the next visitor too.

So a signed-in visitor's page asks `identity` for theirs once it has loaded. It answers for the
session user only, with `identifier_hash` computed here: the widget's HMAC token never leaves the
server. With several Chatwoot accounts, the page carries the inbox its route chooses, and the
answer names the inbox of the visitor's own account when that is another one (the rule is in
`chat_bridge.widget.placement`). The desk, where the widget shows only when the settings ask for
it, gets the configuration and the desk user's identity in its boot.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import frappe
from frappe.utils import cint

from chat_bridge.accounts import (
	ACCOUNT_DOCTYPE,
	account_secret,
	company_of,
	first_account_id,
	others_connected,
)
from chat_bridge.chatwoot.signature import identifier_hash
from chat_bridge.erpnext import has_erpnext
from chat_bridge.features import MASTER_FLAG, Feature
from chat_bridge.records.contacts import contact_of_user, customer_of_contact
from chat_bridge.settings import feature_enabled, get_settings, widget_identity_key
from chat_bridge.sync.contacts import e164
from chat_bridge.widget.identity import make_identifier, set_user_attributes
from chat_bridge.widget.placement import (
	DESK_ROUTES,
	account_of_customer,
	account_of_route,
	parse_routes,
	sdk_settings,
	shows_widget,
)

# What the pages' widget and the desk's boot are made from; a change to any means re-rendering them.
WIDGET_INPUTS = (MASTER_FLAG, Feature.WIDGET.value, "chatwoot_url", "widget_hmac_token")
# The same, on a Chatwoot Account.
ACCOUNT_WIDGET_INPUTS = (
	"enabled",
	"chatwoot_url",
	"widget_website_token",
	"widget_hmac_token",
	"widget_routes",
)
LOADER = Path(__file__).resolve().parent / "public" / "js" / "chatwoot_widget.js"
CONFIG_ELEMENT = "chat-bridge-widget"


@dataclass(frozen=True)
class WebsiteInbox:
	account_id: int
	base_url: str
	website_token: str
	routes: tuple[str, ...] = ()
	first: bool = False

	def hmac_token(self) -> str | None:
		return account_secret(self.account_id, self.first, "widget_hmac_token")

	def loader_values(self) -> dict:
		return {"account": self.account_id, "base_url": self.base_url, "website_token": self.website_token}


def website_inboxes() -> dict[int, WebsiteInbox]:
	"""The website inbox of every connected account that has one, by account: the first account's
	is in the settings, every other's on its Chatwoot Account."""
	settings = get_settings()
	inboxes = {}
	first = first_account_id()
	if first and settings.chatwoot_url and settings.widget_website_token:
		inboxes[first] = WebsiteInbox(first, settings.chatwoot_url, settings.widget_website_token, first=True)
	others = others_connected()
	if others:
		for row in frappe.get_all(
			ACCOUNT_DOCTYPE,
			filters={"account_id": ("in", others), "widget_website_token": ("is", "set")},
			fields=["account_id", "chatwoot_url", "widget_website_token", "widget_routes"],
			order_by="account_id",
		):
			base_url = row.chatwoot_url or settings.chatwoot_url
			if base_url:
				inboxes[row.account_id] = WebsiteInbox(
					row.account_id, base_url, row.widget_website_token, parse_routes(row.widget_routes)
				)
	return inboxes


def page_inbox(route: str | None, inboxes: dict[int, WebsiteInbox]) -> WebsiteInbox | None:
	"""The inbox a page shows everyone who is not a customer of another account."""
	account_id = account_of_route(route, {inbox.account_id: inbox.routes for inbox in inboxes.values()})
	return inboxes.get(account_id or first_account_id())


def widget_config(route: str | None = None) -> dict | None:
	"""What the loader needs on the page at `route`, the same for every visitor; None while the
	widget is off or no account has a website inbox for the page."""
	if not feature_enabled(Feature.WIDGET):
		return None
	inbox = page_inbox(route, website_inboxes())
	if inbox is None:
		return None
	return {**inbox.loader_values(), "settings": sdk_settings(get_settings().as_dict())}


def update_website_context(context) -> dict | None:
	"""Website hook: the widget's configuration and loader at the end of the page's body."""
	route = getattr(frappe.local, "path", None) or context.get("path")
	config = widget_config(route)
	if config is None:
		return None
	settings = get_settings()
	if not shows_widget(
		route,
		settings.widget_pages,
		parse_routes(settings.widget_routes),
		portal_routes(),
	):
		return None
	return {"body_include": (context.get("body_include") or "") + widget_html(config)}


def widget_html(config: dict) -> str:
	# "</" inside a script element would end it early.
	data = json.dumps(config).replace("</", "<\\/")
	return (
		f'<script type="application/json" id="{CONFIG_ELEMENT}">{data}</script>'
		f"<script>{loader_source()}</script>"
	)


@cache
def loader_source() -> str:
	return LOADER.read_text()


def portal_routes() -> list[str]:
	"""The routes of the portal menu (Portal Settings), enabled or not: they are portal pages either way."""
	portal = frappe.get_cached_doc("Portal Settings")
	return [item.route for item in (*portal.menu, *portal.custom_menu) if item.route]


@frappe.whitelist(allow_guest=True, methods=["GET"])
def identity(account=None) -> dict | None:
	"""The session user's `setUser` arguments for the widget of the page's inbox (`account`, the
	first account's when not given); with `inbox` too when the user is a customer of another
	account, whose inbox the page then loads instead. None for a guest or while the widget does
	not identify visitors. Takes no user: nobody can ask for someone else's."""
	return visitor_identity(frappe.session.user, cint(account) or None)


def visitor_identity(user: str, page_account: int | None = None) -> dict | None:
	"""{identifier, attributes[, inbox]} for `user` on a page showing `page_account`'s inbox, or
	None when the widget does not identify them.

	Without the inbox's HMAC token the widget does not identify anyone: an identity Chatwoot
	cannot verify is one any visitor could claim. The answer is then only the inbox to load, when
	it is not the page's.
	"""
	if user in ("Guest", None) or not feature_enabled(Feature.WIDGET):
		return None
	person = frappe.db.get_value("User", user, ["full_name", "email", "mobile_no", "phone"], as_dict=True)
	if person is None:
		return None
	contact = contact_of_user(user)
	details = (
		frappe.db.get_value("Contact", contact, ["company_name", "mobile_no", "phone"], as_dict=True)
		if contact
		else frappe._dict()
	)
	customer = customer_of_contact(contact) if contact else None
	inboxes = website_inboxes()
	page_account = page_account or first_account_id()
	inbox = inboxes.get(customer_account(customer, inboxes) or page_account)
	if inbox is None:
		return None
	answer = {} if inbox.account_id == page_account else {"inbox": inbox.loader_values()}
	hmac_token = inbox.hmac_token()
	if not hmac_token:
		return answer or None
	identifier = make_identifier(user, widget_identity_key())
	company = frappe.db.get_value("Customer", customer, "customer_name") if customer else details.company_name
	return {
		**answer,
		"identifier": identifier,
		"attributes": set_user_attributes(
			identifier_hash=identifier_hash(hmac_token, identifier),
			name=person.full_name,
			email=person.email,
			phone_number=e164(details.mobile_no or details.phone or person.mobile_no or person.phone),
			company_name=company,
			contact=contact,
			customer=customer,
		),
	}


def customer_account(customer: str | None, inboxes: dict[int, WebsiteInbox]) -> int | None:
	"""The account, among those with a website inbox, of the one Company the Customer is allowed
	to transact with (ERPNext's Customer → Allowed To Transact With)."""
	if not customer or len(inboxes) < 2 or not has_erpnext():
		return None
	companies = frappe.get_all(
		"Allowed To Transact With",
		filters={"parenttype": "Customer", "parent": customer},
		pluck="company",
	)
	by_company = {company_of(account_id): account_id for account_id in inboxes}
	by_company.pop(None, None)
	return account_of_customer(companies, by_company)


def desk_widget() -> dict | None:
	"""For the desk's boot: the configuration with the desk user's identity, when the settings put
	the widget in the desk too; the inbox is the first account's, or the user's own account's."""
	config = widget_config(DESK_ROUTES[0])  # no account's Widget Routes hold the desk
	if config is None or not get_settings().widget_in_desk:
		return None
	identity = visitor_identity(frappe.session.user, config["account"]) or {}
	config.update(identity.pop("inbox", {}))
	return {**config, "identity": identity or None}


def widget_inputs(settings) -> dict:
	"""The settings' values that the widget in pages and in the desk's boot is made from."""
	return {
		field: settings.get(field)
		for field in settings.as_dict()
		if field in WIDGET_INPUTS or field.startswith("widget_")
	}


def account_widget_inputs(account) -> dict:
	"""The same, of a Chatwoot Account."""
	return {field: account.get(field) for field in ACCOUNT_WIDGET_INPUTS}


def refresh_widget_pages() -> None:
	"""Drop the cached pages and desk boots, which carry the widget as it was configured."""
	from frappe.website.utils import clear_website_cache

	clear_website_cache()
	frappe.cache.delete_key("bootinfo")
