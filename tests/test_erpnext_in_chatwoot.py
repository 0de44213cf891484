"""ERPNext inside Chatwoot, the parts decided without Frappe: the customer attributes, the card's
words, the headers that let Chatwoot frame the card, and finding the card's Dashboard App."""

import json
from datetime import date

import pytest

from chat_bridge.card.view import invoice_state, money, order_note
from chat_bridge.context.attributes import (
	ATTRIBUTES,
	KEYS,
	CustomerFigures,
	attribute_values,
	definitions_to_write,
	differs,
	remembered,
)
from chat_bridge.frame_headers import card_cookie, chatwoot_origin, frame_ancestors
from chat_bridge.rollout import check_dashboard_app, find_dashboard_app

FIGURES = CustomerFigures(
	customer="CUST-0001",
	customer_name="Doe Trading",
	customer_group="Commercial",
	territory="United States",
	outstanding=1234.567,
	open_orders=2,
	last_order_date=date(2026, 11, 30),
	open_issues=1,
	url="https://erp.example.com/app/customer/CUST-0001",
)


def test_every_attribute_gets_a_value():
	values = attribute_values(FIGURES)
	assert tuple(values) == KEYS
	assert values["erpnext_outstanding"] == 1234.57
	assert values["erpnext_last_order_date"] == "2026-11-30"
	assert values["erpnext_customer"] == "CUST-0001"


def test_a_customer_with_nothing_yet_gets_empty_values():
	values = attribute_values(CustomerFigures(customer="CUST-0002"))
	assert values["erpnext_customer"] == "CUST-0002"
	assert all(values[key] is None for key in KEYS if key != "erpnext_customer")


def test_display_types_are_chatwoots():
	assert {a.display_type for a in ATTRIBUTES} <= {"text", "number", "currency", "percent", "link", "date"}
	assert len(KEYS) == len(set(KEYS))


def test_only_missing_or_different_definitions_are_written():
	existing = [
		{
			"id": 1,
			"attribute_key": "erpnext_customer",
			"attribute_display_name": "ERPNext Customer",
			"attribute_display_type": "text",
		},
		{
			"id": 2,
			"attribute_key": "erpnext_outstanding",
			"attribute_display_name": "Owes",
			"attribute_display_type": "number",
		},
		{
			"id": 3,
			"attribute_key": "plan",
			"attribute_display_name": "Plan",
			"attribute_display_type": "list",
		},
	]
	create, update = definitions_to_write(existing)
	assert "erpnext_customer" not in {a.key for a in create}
	assert "plan" not in {a.key for a in create}
	assert len(create) == len(ATTRIBUTES) - 2
	assert [(i, a.key) for i, a in update] == [(2, "erpnext_outstanding")]
	assert definitions_to_write(
		[
			{
				"id": n,
				"attribute_key": a.key,
				"attribute_display_name": a.name,
				"attribute_display_type": a.display_type,
			}
			for n, a in enumerate(ATTRIBUTES)
		]
	) == ([], [])


def test_an_overwritten_value_is_noticed():
	values = attribute_values(FIGURES)
	pushed = remembered(values)
	assert not differs(pushed, {**values, "plan": "gold"})  # someone else's attributes are theirs
	assert differs(pushed, {**values, "erpnext_outstanding": 0})
	assert differs(None, values)
	assert json.loads(pushed) == values


def test_an_order_note_says_what_and_how_far():
	note = order_note(
		{
			"name": "SO-0042",
			"transaction_date": "2026-11-30",
			"grand_total": 1200,
			"currency": "USD",
			"status": "To Deliver and Bill",
			"per_delivered": 40,
			"delivery_date": "2026-12-05",
		},
		[{"qty": 2, "item_name": "Widget"}, {"qty": 1.5, "item_code": "GEAR-1"}],
	)
	assert note.splitlines() == [
		"Sales Order SO-0042 of 2026-11-30: USD 1,200.00, To Deliver and Bill.",
		"Delivery by 2026-12-05; 40% delivered.",
		"- 2 x Widget",
		"- 1.5 x GEAR-1",
	]


def test_a_long_order_is_cut_short():
	note = order_note(
		{"name": "SO-1", "status": "Draft"}, [{"qty": 1, "item_code": f"I{n}"} for n in range(14)]
	)
	assert note.splitlines()[-1] == "- and 4 more items"
	assert money(None, None) == "0.00"


@pytest.mark.parametrize(
	"status, outstanding, due, state",
	[
		("Paid", 0, None, "Paid"),
		("Unpaid", 10, date(2026, 12, 10), "Unpaid"),
		("Unpaid", 10, date(2026, 11, 1), "Overdue"),
		("Partly Paid", 5, date(2026, 12, 10), "Partly Paid"),
		("Submitted", 0, None, "Paid"),
		("Return", -10, None, "Return"),
	],
)
def test_invoice_state(status, outstanding, due, state):
	assert invoice_state(status, outstanding, due, date(2026, 12, 2)) == state


@pytest.mark.parametrize(
	"url, origin",
	[
		("https://chat.example.com", "https://chat.example.com"),
		("https://chat.example.com:8443/", "https://chat.example.com:8443"),
		("chat.example.com", None),
		(None, None),
	],
)
def test_chatwoot_origin(url, origin):
	assert chatwoot_origin(url) == origin


@pytest.mark.parametrize(
	"path, ancestors",
	[
		("/chatwoot-app", "https://chat.example.com"),
		("/chatwoot-app/", "https://chat.example.com"),
		("/api/method/chat_bridge.card.api.get_card", "https://chat.example.com"),
		("/chatwoot-app/sign-in", "'none'"),
		# Other spellings Frappe's router serves as the sign-in window.
		("/chatwoot-app//sign-in", "'none'"),
		("/chatwoot-app/sign-in.html", "'none'"),
		("//chatwoot-app/sign-in/", "'none'"),
		("/chatwoot-app/anything-else", "'none'"),
		("/chatwoot-app.html", "https://chat.example.com"),
		("/app/contact", None),
		("/api/method/chat_bridge.api.rest_api.get_conversations", None),
		("/chatwoot-apps", None),
	],
)
def test_only_the_card_may_be_framed_and_only_by_chatwoot(path, ancestors):
	assert frame_ancestors(path, "https://chat.example.com") == ancestors


def test_without_a_chatwoot_url_nobody_may_frame_the_card():
	assert frame_ancestors("/chatwoot-app", None) == "'none'"


def test_the_cards_cookie_is_partitioned_secure_and_out_of_scripts_reach():
	kept = card_cookie("tok", 3599).split("; ")
	assert kept[0] == "chat_bridge_card=tok"
	assert {"Path=/api/method", "Max-Age=3599", "Secure", "HttpOnly", "SameSite=None", "Partitioned"} == set(
		kept[1:]
	)
	removed = card_cookie("", 0).split("; ")
	assert removed[0] == "chat_bridge_card=" and "Max-Age=0" in removed and "Partitioned" in removed


CARD = "https://erp.example.com/chatwoot-app"
APPS = [
	{"id": 1, "title": "Shopify", "content": [{"type": "frame", "url": "https://shop.example.com"}]},
	{"id": 4, "title": "ERPNext", "content": [{"type": "frame", "url": CARD}]},
]


def test_the_card_app_is_found_by_id_then_by_url():
	assert find_dashboard_app(APPS, CARD)["id"] == 4
	assert find_dashboard_app(APPS, "https://elsewhere.example/chatwoot-app", app_id=4)["id"] == 4
	assert find_dashboard_app(APPS, "https://elsewhere.example/chatwoot-app") is None


@pytest.mark.parametrize(
	"enabled, app, error, verdict, fragment",
	[
		(False, None, None, "PASS", "off"),
		(True, None, "forbidden", "FAIL", "could not list"),
		(True, None, None, "FAIL", "no Dashboard App"),
		(True, APPS[0], None, "FAIL", "shows https://shop.example.com"),
		(True, APPS[1], None, "PASS", "Dashboard App 4 shows the customer card"),
	],
)
def test_dashboard_app_check(enabled, app, error, verdict, fragment):
	check = check_dashboard_app(enabled, app, CARD, error, "bench --site erp.example.com")
	assert check.verdict == verdict and fragment in check.detail
	if not check.ok:
		assert "register-dashboard-app" in check.fix
