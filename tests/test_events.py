import ast
import json
from datetime import datetime, timezone

import pytest

from chat_bridge.chatwoot.events import (
	HANDLED_EVENTS,
	ContactView,
	ConversationView,
	EventKind,
	MessageView,
	TypingView,
	changed_attributes,
	classify_event,
	delivery_key,
	event_account_id,
	event_object_id,
	message_type_name,
	normalize_event,
	parse_time,
)
from tests.conftest import WEBHOOKS, webhook_body, webhook_payload
from tests.mock_chatwoot_api.accounts import add_agent_bot
from tests.static_checks import APP_PACKAGE

EXAMPLES = sorted(p.stem for p in WEBHOOKS.glob("*.json") if p.stem != "signature_test_vector")


@pytest.mark.parametrize(
	"raw, expected",
	[
		("message.created", "message_created"),
		("message_created", "message_created"),
		(" Conversation.Status_Changed ", "conversation_status_changed"),
		(None, ""),
		(42, ""),
	],
)
def test_normalize_event(raw, expected):
	assert normalize_event(raw) == expected


@pytest.mark.parametrize(
	"name, kind",
	[
		("message_created", EventKind.HANDLED),
		("contact.updated", EventKind.HANDLED),
		("conversation_typing_on", EventKind.IGNORED),
		("webwidget_triggered", EventKind.IGNORED),
		("inbox_updated", EventKind.IGNORED),
		("account_created", EventKind.UNKNOWN),
		("message_deleted", EventKind.UNKNOWN),
		("", EventKind.UNKNOWN),
	],
)
def test_classify(name, kind):
	assert classify_event(name) is kind


def test_the_webhook_has_a_handler_for_each_handled_event_and_no_other():
	"""The handler table is Frappe-bound, so its keys are read from the source."""
	source = APP_PACKAGE / "webhook" / "handlers.py"
	table = next(
		node.value
		for node in ast.parse(source.read_text()).body
		if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "HANDLERS"
	)
	keys = {key.value if isinstance(key, ast.Constant) else key.id for key in table.keys}
	assert keys == {*HANDLED_EVENTS, "ACCOUNT_CREATED"}


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_is_a_handled_event_of_account_3(name):
	payload = webhook_payload(name)
	assert classify_event(payload["event"]) is EventKind.HANDLED
	assert event_account_id(payload["event"], payload) == 3


def test_message_view_of_an_incoming_message():
	view = MessageView.from_payload(webhook_payload("message_created_incoming"))
	assert (view.id, view.account_id, view.inbox_id) == (901, 3, 7)
	assert view.message_type == "incoming" and not view.private
	assert (
		view.sender.kind == "contact"
		and view.sender.id == 1042
		and view.sender.email == "jane.doe@example.com"
	)
	assert view.created_at == datetime(2026, 6, 18, 9, 14, 58, 611000, tzinfo=timezone.utc)
	assert view.conversation.id == 58
	assert view.conversation.contact.email == "jane.doe@example.com"
	assert view.content.startswith("Hi, could you tell me")


def test_message_view_of_an_agent_reply():
	view = MessageView.from_payload(webhook_payload("message_created_outgoing"))
	assert view.message_type == "outgoing" and view.sender.kind == "user" and view.sender.id == 12
	assert not view.is_private_note


def test_private_note_is_recognised():
	view = MessageView.from_payload(webhook_payload("message_created_private_note"))
	assert view.message_type == "outgoing"
	assert view.is_private_note
	# The nested conversation leaves notes out of `messages`: it still shows the customer's 901.
	assert view.conversation.last_message_id == 901


def test_conversation_view():
	view = ConversationView.from_payload(webhook_payload("conversation_updated"))
	assert (view.id, view.inbox_id, view.status, view.account_id) == (58, 7, "open", 3)
	assert view.assignee.id == 12 and view.assignee.kind == "user"
	assert view.contact.id == 1042
	assert view.updated_at == 1781774260.118204
	assert view.hmac_verified is True  # Jane signed in to the shop's widget


def with_verified(meta, contact_inbox) -> dict:
	payload = webhook_payload("conversation_updated")
	return {
		**payload,
		"meta": {**payload["meta"], "hmac_verified": meta},
		"contact_inbox": {**payload["contact_inbox"], "hmac_verified": contact_inbox},
	}


@pytest.mark.parametrize(
	"meta, contact_inbox, verified",
	[(True, False, True), (None, True, True), (False, False, False), ("true", 1, False), (None, None, False)],
)
def test_a_verified_widget_identity_is_read_from_meta_or_the_contact_inbox(meta, contact_inbox, verified):
	assert ConversationView.from_payload(with_verified(meta, contact_inbox)).hmac_verified is verified


def test_a_bot_assignee_in_a_rest_conversation_is_not_taken_for_a_user(mock_state):
	bot = add_agent_bot(mock_state, "Triage", 3)
	conversation = mock_state.conversations[58]
	conversation.update(assignee_id=None, assignee_agent_bot_id=bot["id"])
	assignee = ConversationView.from_payload(mock_state.presenters.conversation_rest(conversation)).assignee
	assert (assignee.kind, assignee.id) == ("agent_bot", bot["id"])
	conversation.update(assignee_id=12, assignee_agent_bot_id=None)
	assignee = ConversationView.from_payload(mock_state.presenters.conversation_rest(conversation)).assignee
	assert (assignee.kind, assignee.id) == ("user", 12)


def test_conversation_status_changed_has_no_changed_attributes():
	payload = webhook_payload("conversation_status_changed")
	assert payload["changed_attributes"] is None
	assert changed_attributes(payload) == {}
	assert ConversationView.from_payload(payload).status == "resolved"


def test_changed_attributes_flattened():
	changes = changed_attributes(webhook_payload("conversation_updated"))
	assert changes["assignee_id"] == (None, 12)
	assert "updated_at" in changes


def test_contact_view():
	view = ContactView.from_payload(webhook_payload("contact_created"))
	assert (view.id, view.name, view.phone_number, view.identifier) == (
		1042,
		"Jane Doe",
		"+14155550123",
		"CUST-00017",
	)
	assert view.company_name == "Doe Trading LLC" and view.account_id == 3


@pytest.mark.parametrize(
	"value, expected",
	[
		(0, "incoming"),
		("1", "outgoing"),
		("outgoing", "outgoing"),
		(3, "template"),
		("Incoming", "incoming"),
		(9, None),
		("chat", None),
		(None, None),
	],
)
def test_message_type_in_either_spelling(value, expected):
	assert message_type_name(value) == expected


def test_nested_message_type_is_an_integer_and_still_read():
	payload = webhook_payload("message_created_incoming")
	nested = payload["conversation"]["messages"][0]
	assert nested["message_type"] == 0
	assert MessageView.from_payload(nested).message_type == "incoming"


@pytest.mark.parametrize(
	"payload",
	[
		{},
		{"id": None, "conversation": None, "sender": None, "account": None, "attachments": None},
		{
			"id": "abc",
			"conversation": [],
			"sender": "someone",
			"message_type": None,
			"created_at": "yesterday",
		},
		{"id": "901", "conversation": {"meta": None, "messages": [None, 5]}, "content": {"html": 1}},
	],
)
def test_views_never_raise_on_odd_payloads(payload):
	view = MessageView.from_payload(payload)
	assert view.conversation is not None
	ConversationView.from_payload(payload)
	ContactView.from_payload(payload)
	TypingView.from_payload(payload)


def test_odd_values_become_none():
	view = MessageView.from_payload(
		{"id": "901", "created_at": "not a date", "content": {"x": 1}, "private": "yes"}
	)
	assert view.id == 901 and view.created_at is None and view.content is None and view.private is False


def test_typing_event_shape():
	payload = {
		"event": "conversation_typing_on",
		"user": {"id": 12, "name": "Sam", "type": "user"},
		"conversation": webhook_payload("conversation_created"),
		"is_private": False,
	}
	view = TypingView.from_payload(payload)
	assert view.conversation.id == 58 and view.typist.id == 12
	assert event_object_id("conversation_typing_on", payload) == 58
	assert event_account_id("conversation_typing_on", payload) == 3


def test_attachments_are_read_as_links():
	payload = webhook_payload("message_created_incoming")
	payload["attachments"] = [
		{
			"id": 5,
			"file_type": "image",
			"data_url": "https://chat.example.com/rails/active_storage/x.png",
			"extension": "png",
			"file_size": 2048,
		}
	]
	[attachment] = MessageView.from_payload(payload).attachments
	assert attachment.url.endswith("x.png") and attachment.file_type == "image"


def test_account_falls_back_to_nested_message_for_old_chatwoot():
	payload = webhook_payload("conversation_created")
	del payload["account"]
	assert event_account_id("conversation_created", payload) == 3


@pytest.mark.parametrize(
	"value, expected",
	[
		(1781774098, datetime(2026, 6, 18, 9, 14, 58, tzinfo=timezone.utc)),
		("2026-06-18T09:14:58.611Z", datetime(2026, 6, 18, 9, 14, 58, 611000, tzinfo=timezone.utc)),
		("1781774098", datetime(2026, 6, 18, 9, 14, 58, tzinfo=timezone.utc)),
		(0, None),
		("", None),
		(None, None),
		(True, None),
		(10**20, None),
	],
)
def test_parse_time(value, expected):
	assert parse_time(value) == expected


# Dedupe keys


def test_delivery_header_is_the_key():
	assert delivery_key(" 0b6f2f8e-3c1a ", "message_created", {}, b"{}") == "0b6f2f8e-3c1a"


@pytest.mark.parametrize("name", EXAMPLES)
def test_derived_keys_are_stable_and_distinct(name):
	payload = webhook_payload(name)
	key = delivery_key(None, payload["event"], payload, webhook_body(name))
	assert key == delivery_key(None, payload["event"], json.loads(webhook_body(name)), webhook_body(name))
	assert len(key) <= 140
	others = {
		delivery_key(None, webhook_payload(n)["event"], webhook_payload(n), webhook_body(n))
		for n in EXAMPLES
		if n != name
	}
	assert key not in others


def test_derived_key_is_built_from_account_event_object_and_moment():
	payload = webhook_payload("message_created_incoming")
	assert (
		delivery_key(None, "message.created", payload, b"")
		== "3:message_created:901:2026-06-18T09:14:58.611Z"
	)


def test_two_edits_of_one_message_are_not_duplicates():
	payload = webhook_payload("message_created_incoming")
	first = delivery_key(None, "message_updated", {**payload, "content": "v1"}, b"")
	second = delivery_key(None, "message_updated", {**payload, "content": "v2"}, b"")
	assert first != second
	assert first == delivery_key(None, "message_updated", {**payload, "content": "v1"}, b"x")


def test_conversation_updates_differ_by_updated_at():
	payload = webhook_payload("conversation_updated")
	assert delivery_key(None, "conversation_updated", payload, b"") != delivery_key(
		None, "conversation_updated", {**payload, "updated_at": payload["updated_at"] + 1}, b""
	)


def test_contact_created_without_a_moment_uses_the_body():
	payload = webhook_payload("contact_created")
	assert delivery_key(None, "contact_created", payload, b"a") != delivery_key(
		None, "contact_created", payload, b"b"
	)


def test_overlong_keys_are_hashed():
	key = delivery_key(None, "message_created", {"id": 1, "created_at": "x" * 300, "account": {"id": 3}}, b"")
	assert len(key) == 64
