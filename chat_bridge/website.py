"""The website widget in the site's pages, and the signed-in visitor's identity for it.

`update_website_context` (a website hook) adds the widget to the pages the settings choose: its
configuration and a small loader, inline, so the page costs no extra request. That part is the
same for every visitor, because Frappe caches a rendered page by its path and serves the copy to
whoever asks next; a visitor's identity in the page would be served to the next visitor too.

So a signed-in visitor's page asks `identity` for theirs once it has loaded. It answers for the
session user only, with `identifier_hash` computed here: the widget's HMAC token never leaves the
server. The desk, where the widget shows only when the settings ask for it, gets the same
configuration and the desk user's identity in its boot.
"""

import json
from functools import cache
from pathlib import Path

import frappe

from chat_bridge.chatwoot.signature import identifier_hash
from chat_bridge.features import MASTER_FLAG, Feature
from chat_bridge.records.contacts import contact_of_user, customer_of_contact
from chat_bridge.settings import feature_enabled, get_secret, get_settings, widget_identity_key
from chat_bridge.sync.contacts import e164
from chat_bridge.widget.identity import make_identifier, set_user_attributes
from chat_bridge.widget.placement import parse_routes, sdk_settings, shows_widget

# What the pages' widget and the desk's boot are made from; a change to any means re-rendering them.
WIDGET_INPUTS = (MASTER_FLAG, Feature.WIDGET.value, "chatwoot_url", "widget_hmac_token")
LOADER = Path(__file__).resolve().parent / "public" / "js" / "chatwoot_widget.js"
CONFIG_ELEMENT = "chat-bridge-widget"


def widget_config() -> dict | None:
	"""What the loader needs, the same for every visitor; None while the widget is off."""
	if not feature_enabled(Feature.WIDGET):
		return None
	settings = get_settings()
	if not (settings.chatwoot_url and settings.widget_website_token):
		return None
	return {
		"base_url": settings.chatwoot_url,
		"website_token": settings.widget_website_token,
		"settings": sdk_settings(settings.as_dict()),
	}


def update_website_context(context) -> dict | None:
	"""Website hook: the widget's configuration and loader at the end of the page's body."""
	config = widget_config()
	if config is None:
		return None
	settings = get_settings()
	if not shows_widget(
		getattr(frappe.local, "path", None) or context.get("path"),
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
def identity() -> dict | None:
	"""The session user's `setUser` arguments for the widget; None for a guest or while the widget
	does not identify visitors. Takes no user: nobody can ask for someone else's."""
	return visitor_identity(frappe.session.user)


def visitor_identity(user: str) -> dict | None:
	"""{identifier, attributes} for `user`, or None when the widget does not identify them.

	Without an HMAC token the widget does not identify anyone: an identity Chatwoot cannot verify
	is one any visitor could claim.
	"""
	if user in ("Guest", None) or widget_config() is None:
		return None
	hmac_token = get_secret("widget_hmac_token")
	if not hmac_token:
		return None
	identifier = make_identifier(user, widget_identity_key())
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
	company = frappe.db.get_value("Customer", customer, "customer_name") if customer else details.company_name
	return {
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


def desk_widget() -> dict | None:
	"""For the desk's boot: the configuration with the desk user's identity, when the settings put
	the widget in the desk too."""
	config = widget_config()
	if config is None or not get_settings().widget_in_desk:
		return None
	return {**config, "identity": visitor_identity(frappe.session.user)}


def widget_inputs(settings) -> dict:
	"""The settings' values that the widget in pages and in the desk's boot is made from."""
	return {
		field: settings.get(field)
		for field in settings.as_dict()
		if field in WIDGET_INPUTS or field.startswith("widget_")
	}


def refresh_widget_pages() -> None:
	"""Drop the cached pages and desk boots, which carry the widget as it was configured."""
	from frappe.website.utils import clear_website_cache

	clear_website_cache()
	frappe.cache.delete_key("bootinfo")
