"""Whom a document goes to, which conversation it continues, and whether its file may go."""

from datetime import date

import pytest

from chat_bridge.chatwoot.values import ATTACHMENT_LIMIT_BYTES
from chat_bridge.documents.choices import (
	Field,
	NotSendable,
	check_attachment,
	conversation_to_continue,
	customer_named,
	party_fields,
	pdf_filename,
)
from chat_bridge.documents.notifying import (
	DAYS_AFTER,
	DAYS_BEFORE,
	NEW,
	SUBMIT,
	VALUE_CHANGE,
	date_for,
	events_of,
	firing_key,
	template_params,
	value_changed,
)

SALES_INVOICE = [
	Field("customer", "Link", "Customer"),
	Field("contact_person", "Link", "Contact"),
	Field("shipping_contact", "Link", "Contact"),
]
QUOTATION = [
	Field("quotation_to", "Link", "DocType"),
	Field("party_name", "Dynamic Link", "quotation_to"),
	Field("contact_person", "Link", "Contact"),
]


def test_erpnexts_own_fields_are_preferred():
	fields = party_fields(SALES_INVOICE)
	assert (fields.contact, fields.customer, fields.customer_type_field) == (
		"contact_person",
		"customer",
		None,
	)
	assert customer_named({"customer": "CUST-1"}, fields) == "CUST-1"


def test_a_party_field_names_a_customer_only_when_its_type_says_so():
	fields = party_fields(QUOTATION)
	assert (fields.customer, fields.customer_type_field) == ("party_name", "quotation_to")
	assert customer_named({"quotation_to": "Customer", "party_name": "CUST-1"}, fields) == "CUST-1"
	assert customer_named({"quotation_to": "Lead", "party_name": "CRM-LEAD-1"}, fields) is None


def test_a_doctype_naming_nobody_cannot_be_sent():
	fields = party_fields([Field("title", "Data"), Field("owner_user", "Link", "User")])
	assert not fields.names_anyone and customer_named({"title": "x"}, fields) is None


def test_the_latest_unresolved_conversation_in_the_inbox_is_continued():
	conversations = [
		{"id": 3, "inbox_id": 8, "status": "resolved", "last_activity_at": 300},
		{"id": 5, "inbox_id": 9, "status": "open", "last_activity_at": 500},
		{"id": 4, "inbox_id": 8, "status": "pending", "last_activity_at": 200},
		{"id": 2, "inbox_id": 8, "status": "open", "last_activity_at": 100},
	]
	assert conversation_to_continue(conversations, 8) == 4
	assert conversation_to_continue(conversations, 7) is None
	assert conversation_to_continue([{"id": 3, "inbox_id": 8, "status": "resolved"}], 8) is None


def test_a_pdf_over_chatwoots_limit_is_refused_before_sending():
	check_attachment(ATTACHMENT_LIMIT_BYTES)
	with pytest.raises(NotSendable, match="40 MB"):
		check_attachment(ATTACHMENT_LIMIT_BYTES + 1)


def test_a_pdf_is_named_after_its_document():
	assert pdf_filename("ACC-SINV-2026-00001") == "ACC-SINV-2026-00001.pdf"
	assert pdf_filename("SO/2026 #7") == "SO-2026-7.pdf"


def test_each_document_event_fires_its_notification_event():
	assert events_of("on_submit") == (SUBMIT,) and events_of("after_insert") == (NEW,)
	assert events_of("on_change") == (VALUE_CHANGE,) and events_of("validate") == ()


def test_a_value_change_is_a_change_of_that_field_in_a_save():
	assert value_changed({"status": "Draft"}, {"status": "Paid"}, "status")
	assert not value_changed({"status": "Paid"}, {"status": "Paid"}, "status")
	assert not value_changed({"status": None}, {"status": ""}, "status")
	assert not value_changed(None, {"status": "Paid"}, "status")  # a new document


def test_days_before_and_after_look_at_the_date_those_days_away():
	today = date(2026, 12, 3)
	assert date_for(DAYS_BEFORE, 3, today) == date(2026, 12, 6)
	assert date_for(DAYS_AFTER, 3, today) == date(2026, 11, 30)


def test_a_firing_has_one_key_and_another_firing_another():
	key = firing_key("Dispatch", "Delivery Note", "DN-1", SUBMIT)
	assert key == firing_key("Dispatch", "Delivery Note", "DN-1", SUBMIT) and len(key) <= 64
	assert key != firing_key("Dispatch", "Delivery Note", "DN-2", SUBMIT)
	assert firing_key("Due", "Sales Invoice", "S-1", DAYS_AFTER, "2026-11-30") != firing_key(
		"Due", "Sales Invoice", "S-1", DAYS_AFTER, "2026-12-01"
	)


def test_template_params_are_chatwoots_with_numbered_body_parameters():
	assert template_params("invoice_due", "es", ["Jane", "SINV-1"]) == {
		"name": "invoice_due",
		"language": "es",
		"processed_params": {"body": {"1": "Jane", "2": "SINV-1"}},
	}
	assert template_params(None, "en", ["x"]) is None
