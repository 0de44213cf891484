"""The website widget's decisions: where it shows, what its loader is told, and the identity it
carries to Chatwoot."""

import pytest

from chat_bridge.chatwoot.signature import identifier_hash
from chat_bridge.widget.identity import (
	MAC_LENGTH,
	identity_key,
	make_identifier,
	set_user_attributes,
	user_of_identifier,
)
from chat_bridge.widget.placement import (
	EVERY_PAGE,
	LISTED_ROUTES,
	PORTAL_PAGES,
	account_of_customer,
	account_of_route,
	normalize_route,
	parse_routes,
	sdk_settings,
	shows_widget,
)
from tests.mock_chatwoot_api import MockChatwoot

KEY = identity_key("the site's encryption key")


@pytest.mark.parametrize(
	("given", "route"),
	[("/orders/", "orders"), ("orders/SO-1?x=1", "orders/SO-1"), ("/", ""), ("index", ""), (None, "")],
)
def test_routes_are_normalized(given, route):
	assert normalize_route(given) == route


def test_routes_are_read_one_a_line():
	assert parse_routes("/contact\n\n# the shop\n/shop/\n/contact\n") == ("contact", "shop")


@pytest.mark.parametrize(
	("route", "placement", "shown"),
	[
		("about", EVERY_PAGE, True),
		("", EVERY_PAGE, True),
		("about", None, True),
		("orders/SO-0001", PORTAL_PAGES, True),
		("me", PORTAL_PAGES, True),
		("about", PORTAL_PAGES, False),
		("ordersX", PORTAL_PAGES, False),
		("contact", LISTED_ROUTES, True),
		("shop/cart", LISTED_ROUTES, True),
		("about", LISTED_ROUTES, False),
		("app", EVERY_PAGE, False),
		("app/contact/Jane", EVERY_PAGE, False),
		("desk", LISTED_ROUTES, False),
	],
)
def test_where_the_widget_shows(route, placement, shown):
	assert shows_widget(route, placement, listed=("contact", "shop", "desk"), portal=("/orders",)) is shown


def test_the_home_page_is_listed_as_slash_only():
	assert shows_widget("", LISTED_ROUTES, listed=parse_routes("/"))
	assert not shows_widget("about", LISTED_ROUTES, listed=parse_routes("/"))


def test_loader_settings_follow_the_browser_language_unless_a_locale_is_set():
	assert sdk_settings({}) == {"useBrowserLanguage": True}
	assert sdk_settings(
		{
			"widget_position": "left",
			"widget_type": "expanded_bubble",
			"widget_locale": " pt_BR ",
			"widget_launcher_title": "Talk to us",
			"widget_dark_mode": "auto",
		}
	) == {
		"position": "left",
		"type": "expanded_bubble",
		"locale": "pt_BR",
		"launcherTitle": "Talk to us",
		"darkMode": "auto",
	}


def test_loader_settings_leave_out_values_chatwoot_does_not_know():
	assert sdk_settings({"widget_position": "top", "widget_type": "huge", "widget_dark_mode": "pink"}) == {
		"useBrowserLanguage": True
	}


def test_an_identifier_names_its_user_and_only_under_its_key():
	identifier = make_identifier("jane@example.com", KEY)
	assert identifier.startswith("erpnext:jane@example.com:")
	assert len(identifier.rsplit(":", 1)[1]) == MAC_LENGTH
	assert user_of_identifier(identifier, KEY) == "jane@example.com"
	assert user_of_identifier(identifier, identity_key("another site")) is None


def test_an_identifier_is_stable():
	assert make_identifier("jane@example.com", KEY) == make_identifier("jane@example.com", KEY)
	assert make_identifier("jane@example.com", KEY) != make_identifier("john@example.com", KEY)


@pytest.mark.parametrize(
	"claimed",
	[
		None,
		"",
		"CUST-00017",
		"erpnext:jane@example.com",
		"erpnext::0123456789abcdef01234567",
		"erpnext:jane@example.com:" + "0" * MAC_LENGTH,
	],
)
def test_an_identifier_the_site_did_not_make_names_nobody(claimed):
	assert user_of_identifier(claimed, KEY) is None


def test_a_mac_moved_to_another_user_names_nobody():
	mac = make_identifier("jane@example.com", KEY).rsplit(":", 1)[1]
	assert user_of_identifier(f"erpnext:john@example.com:{mac}", KEY) is None


def test_a_user_name_with_a_colon_survives():
	assert user_of_identifier(make_identifier("odd:name", KEY), KEY) == "odd:name"


def test_no_identity_key_without_a_site_secret():
	with pytest.raises(ValueError):
		identity_key("")


def test_the_hash_passes_chatwoots_check():
	"""Checked by the mock's model of Chatwoot's rule, not by hashing again here."""
	inbox = {"hmac_token": "widget-hmac-secret", "hmac_mandatory": True}
	identifier = make_identifier("jane@example.com", KEY)
	checker = MockChatwoot.__new__(MockChatwoot)
	assert checker.identity_hash_valid(inbox, identifier, identifier_hash("widget-hmac-secret", identifier))
	assert not checker.identity_hash_valid(inbox, identifier, identifier_hash("another token", identifier))
	assert not checker.identity_hash_valid(inbox, identifier, None)


def test_no_hash_without_a_token():
	with pytest.raises(ValueError):
		identifier_hash("", "erpnext:jane@example.com:abc")


def test_set_user_attributes_leave_out_what_is_unknown():
	assert set_user_attributes(identifier_hash="h", name="Jane Doe", email=None) == {
		"identifier_hash": "h",
		"name": "Jane Doe",
	}
	assert set_user_attributes(
		identifier_hash="h",
		name="Jane Doe",
		email="jane@example.com",
		phone_number="+14155550123",
		company_name="Doe Trading",
		contact="Jane Doe",
		customer="CUST-0001",
	) == {
		"identifier_hash": "h",
		"name": "Jane Doe",
		"email": "jane@example.com",
		"phone_number": "+14155550123",
		"company_name": "Doe Trading",
		"custom_attributes": {"erpnext_contact": "Jane Doe", "erpnext_customer": "CUST-0001"},
	}


BRAND_ROUTES = {3: ("shop",), 4: ("shop/brand-b", "brand-b"), 5: ("",)}


@pytest.mark.parametrize(
	("route", "account"),
	[
		("/shop/cart", 3),
		("/shop/brand-b/cart", 4),  # the narrower route wins
		("/brand-b?ref=ad", 4),
		("/", 5),  # the home page is listed by its empty route
		("/shopping", None),
		("/about", None),
	],
)
def test_the_page_is_the_account_whose_routes_hold_it(route, account):
	assert account_of_route(route, BRAND_ROUTES) == account


def test_a_customer_of_one_accounts_company_gets_that_account():
	accounts = {"Brand A": 3, "Brand B": 4}
	assert account_of_customer(["Brand B", "Holding"], accounts) == 4
	assert account_of_customer(["Brand A", "Brand B"], accounts) is None  # the page decides
	assert account_of_customer([], accounts) is None
	assert account_of_customer(["Holding"], accounts) is None
