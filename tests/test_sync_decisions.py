"""The sync's pure decisions, on the example payloads and on the edge cases that bite."""

from datetime import datetime, timedelta, timezone

import pytest

from chat_bridge.chatwoot.events import (
	AgentView,
	Attachment,
	ContactView,
	ConversationView,
	MessageView,
	changed_attributes,
)
from chat_bridge.rollout import check_missed_deliveries
from chat_bridge.sync.agents import agent_user
from chat_bridge.sync.contacts import (
	ContactState,
	choose_contact,
	contact_push_fields,
	contact_update,
	display_name,
	e164,
	new_contact_values,
	normalize_email,
	normalize_phone,
	phones_match,
	split_name,
	worth_writing,
)
from chat_bridge.sync.conversations import (
	ISSUE_EVERY_CONVERSATION,
	ISSUE_NEVER,
	ISSUE_WITH_LABEL,
	TodoPlan,
	is_stale,
	issue_status,
	mapping_values,
	todo_plan,
	wants_issue,
)
from chat_bridge.sync.deliveries import GRACE, Tally, was_due
from chat_bridge.sync.direction import SyncDirection
from chat_bridge.sync.messages import (
	communication_values,
	message_html,
	newer_delivery_status,
	note_values,
	record_name,
	safe_link,
	sanitized_html,
)
from tests.conftest import webhook_payload

# Names


@pytest.mark.parametrize(
	"name, expected",
	[
		("Jane Doe", ("Jane", "Doe")),
		("  Mary   Ann  Smith ", ("Mary Ann", "Smith")),
		("Cher", ("Cher", None)),
		("José Álvarez-Núñez", ("José", "Álvarez-Núñez")),
		("山田 太郎", ("山田", "太郎")),
		("", (None, None)),
		(None, (None, None)),
	],
)
def test_split_name(name, expected):
	assert split_name(name) == expected


@pytest.mark.parametrize(
	"contact, expected",
	[
		(ContactView(id=1, name="  Jane   Doe "), "Jane Doe"),
		(ContactView(id=1, email="Jane.Doe@Example.com"), "jane.doe"),
		(ContactView(id=1, phone_number="+14155550123"), "+14155550123"),
		(ContactView(id=7), "Chatwoot contact 7"),
	],
)
def test_every_contact_gets_a_name(contact, expected):
	assert display_name(contact) == expected


# Emails and phones


@pytest.mark.parametrize(
	"email, expected",
	[
		(" Jane.Doe@Example.COM ", "jane.doe@example.com"),
		("not-an-email", None),
		("", None),
		(None, None),
		("a@b", None),
	],
)
def test_normalize_email(email, expected):
	assert normalize_email(email) == expected


@pytest.mark.parametrize(
	"phone, expected",
	[
		("+1 (415) 555-0123", "+14155550123"),
		("0049 30 1234567", "+49301234567"),
		("415.555.0123", "4155550123"),
		("ext", None),
		(None, None),
	],
)
def test_normalize_phone(phone, expected):
	assert normalize_phone(phone) == expected


@pytest.mark.parametrize(
	"a, b, same",
	[
		("+1 415 555 0123", "+14155550123", True),
		("(415) 555-0123", "+1 415-555-0123", True),
		("0049 30 1234567", "+49 30 1234567", True),
		("+44 20 7946 0958", "+1 20 7946 0958", False),  # same digits, other country
		("555-0123", "+1 415 555 0123", False),  # too short to trust a suffix
		("", "+14155550123", False),
	],
)
def test_phones_match(a, b, same):
	assert phones_match(a, b) is same


@pytest.mark.parametrize(
	"phone, expected",
	[("+1 (415) 555-0123", "+14155550123"), ("4155550123", None), ("+0123", None), ("+1" + "2" * 15, None)],
)
def test_e164(phone, expected):
	assert e164(phone) == expected


# Matching


def test_mapping_wins_over_everything():
	assert choose_contact("Jane Doe", ["Other"], ["Third"]) == ("Jane Doe", "mapping")


def test_a_verified_identity_wins_over_the_mapping_and_the_guesses():
	assert choose_contact("Guessed", ["By Email"], ["By Phone"], identified="Jane Doe") == (
		"Jane Doe",
		"identity",
	)
	assert choose_contact(None, ["By Email"], identified=None) == ("By Email", "email")


def test_email_then_phone_then_new():
	assert choose_contact(None, ["By Email", "Older?"], ["By Phone"]) == ("By Email", "email")
	assert choose_contact(None, [], ["By Phone"]) == ("By Phone", "phone")
	assert choose_contact(None) == (None, "new")


# contact_updated noise


def test_custom_attribute_change_alone_is_noise():
	assert not worth_writing(changed_attributes(webhook_payload("contact_updated")))


@pytest.mark.parametrize(
	"changes, worth",
	[
		({"last_activity_at": (1, 2), "updated_at": (1, 2)}, False),
		({"name": ("Jane", "Janet"), "updated_at": (1, 2)}, True),
		({"phone_number": (None, "+1")}, True),
		({}, False),
		(None, True),  # no changed_attributes at all: cannot tell, so write
	],
)
def test_worth_writing(changes, worth):
	assert worth_writing(changes) is worth


# Contact updates


JANE = ContactView.from_payload(webhook_payload("contact_created"))


def test_new_contact_values():
	assert new_contact_values(JANE) == {
		"first_name": "Jane",
		"last_name": "Doe",
		"company_name": "Doe Trading LLC",
	}
	assert new_contact_values(ContactView(id=3, email="x@y.example"))["first_name"] == "x"


def test_nothing_to_write_when_the_contact_already_agrees():
	state = ContactState("Jane", "Doe", ("JANE.DOE@example.com",), ("+1 (415) 555-0123",), "Doe Trading LLC")
	assert not contact_update(JANE, state)


def test_update_adds_rows_and_never_removes():
	update = contact_update(JANE, ContactState("Jane", "Doe", ("jane@old.example",), ("+44 20 7946 0958",)))
	assert update.add_emails == ("jane.doe@example.com",)
	assert update.add_phones == ("+14155550123",)
	assert update.values == {"company_name": "Doe Trading LLC"}


def test_rename_rewrites_first_and_last_name():
	update = contact_update(ContactView(id=1, name="Janet Smith"), ContactState("Jane", "Doe"))
	assert update.values == {"first_name": "Janet", "last_name": "Smith"}


def test_contact_without_email_or_phone_needs_nothing_else():
	update = contact_update(ContactView(id=1, name="Walk In"), ContactState("Walk", "In"))
	assert not update


# Direction and the loop guard


@pytest.mark.parametrize(
	"value, accepts, pushes",
	[
		("Both", True, True),
		("Chatwoot to ERPNext", True, False),
		("ERPNext to Chatwoot", False, True),
		(None, True, True),
		("nonsense", True, True),
	],
)
def test_direction(value, accepts, pushes):
	direction = SyncDirection.of(value)
	assert (direction.accepts_chatwoot_changes, direction.pushes_erpnext_changes) == (accepts, pushes)


def test_push_sends_only_what_changed():
	before = contact_push_fields("Jane Doe", "jane@example.com", "+1 415 555 0123")
	assert contact_push_fields("Jane Doe", "JANE@example.com", "+1 (415) 555-0123", before) == {}
	assert contact_push_fields("Janet Doe", "jane@example.com", "+1 415 555 0123", before) == {
		"name": "Janet Doe"
	}


def test_push_leaves_out_a_phone_chatwoot_would_refuse():
	assert contact_push_fields("Jane", None, "0415 555 0123") == {"name": "Jane"}


# Agents


def test_agent_user_by_token_then_email():
	agent = AgentView(id=12, kind="user", name="Sam", email="Sam@Acme.example")
	assert (
		agent_user(agent, {12: "sam.token@erp.example"}, {"sam@acme.example": "sam@erp.example"})
		== "sam.token@erp.example"
	)
	assert agent_user(agent, {}, {"sam@acme.example": "sam@erp.example"}) == "sam@erp.example"
	assert agent_user(agent, {}, {}) is None
	assert agent_user(AgentView(id=3, kind="agent_bot", name="Bot"), {3: "x"}, {}) is None
	assert agent_user(None, {}, {}) is None


# Conversations


def test_stale_updates_are_recognised():
	assert is_stale(100.0, 200.5)
	assert not is_stale(200.5, 200.5)  # the same state again: harmless to apply
	assert not is_stale(300.0, 200.5)
	assert not is_stale(None, 200.5) and not is_stale(100.0, None)


def test_mapping_values_from_an_assignment():
	view = ConversationView.from_payload(webhook_payload("conversation_updated"))
	values = mapping_values(view, "sam@erp.example")
	assert values["assignee"] == "sam@erp.example" and values["chatwoot_assignee_id"] == 12
	assert values["status"] == "open" and values["inbox_id"] == 7
	assert values["identity_verified"] == 1  # Jane signed in to the shop's widget


def test_a_conversation_a_bot_handles_has_no_agent_assigned():
	"""Chatwoot counts it as unassigned (its assignee_id is nil): so do the card and the reports."""
	payload = webhook_payload("conversation_updated")
	bot = {"id": 12, "name": "Triage"}
	handled = {**payload, "meta": {**payload["meta"], "assignee": bot, "assignee_type": "AgentBot"}}
	assert mapping_values(ConversationView.from_payload(handled), None)["chatwoot_assignee_id"] is None


def test_mapping_values_of_an_anonymous_visitor():
	payload = webhook_payload("conversation_updated")
	anonymous = {**payload, "meta": {**payload["meta"], "hmac_verified": False}, "contact_inbox": {}}
	assert mapping_values(ConversationView.from_payload(anonymous), None)["identity_verified"] == 0


@pytest.mark.parametrize(
	"holders, assignee, status, plan",
	[
		((), "sam", "open", TodoPlan(open_for="sam")),
		(("sam",), "sam", "open", TodoPlan()),
		(("ann",), "sam", "open", TodoPlan(close_for=("ann",), open_for="sam")),
		(("sam",), "sam", "resolved", TodoPlan(close_for=("sam",))),
		(("sam",), None, "open", TodoPlan(close_for=("sam",))),
		((), None, "pending", TodoPlan()),
	],
)
def test_todo_plan(holders, assignee, status, plan):
	assert todo_plan(holders, assignee, status) == plan


@pytest.mark.parametrize(
	"mode, labels, label, wanted",
	[
		(ISSUE_NEVER, ["support"], "support", False),
		(None, [], None, False),
		(ISSUE_EVERY_CONVERSATION, [], None, True),
		(ISSUE_WITH_LABEL, ["Support", "vip"], "support", True),
		(ISSUE_WITH_LABEL, ["vip"], "support", False),
		(ISSUE_WITH_LABEL, ["support"], "", False),
	],
)
def test_wants_issue(mode, labels, label, wanted):
	assert wants_issue(mode, labels, label) is wanted


@pytest.mark.parametrize(
	"conversation, current, expected",
	[
		("resolved", "Open", "Resolved"),
		("resolved", "Closed", None),
		("open", "Resolved", "Open"),
		("pending", "Closed", "Open"),
		("open", "Open", None),
		("snoozed", "Resolved", None),
	],
)
def test_issue_status(conversation, current, expected):
	assert issue_status(conversation, current) == expected


# Messages


def test_incoming_message_becomes_a_received_chat_communication():
	values = communication_values(MessageView.from_payload(webhook_payload("message_created_incoming")))
	assert values["communication_medium"] == "Chat" and values["sent_or_received"] == "Received"
	assert values["sender"] == "jane.doe@example.com" and values["sender_full_name"] == "Jane Doe"
	assert values["subject"] == "Chatwoot conversation #58"
	assert values["message_id"] == "chatwoot:3:901"
	assert "SO-0042" in values["content"]


def test_agent_reply_is_sent_by_the_agent():
	message = MessageView.from_payload(webhook_payload("message_created_outgoing"))
	values = communication_values(message, agent_email="sam@erp.example")
	assert values["sent_or_received"] == "Sent" and values["sender"] == "sam@erp.example"
	assert values["chatwoot_sender_id"] == message.sender.id == 12


def test_a_message_is_counted_for_its_agent_though_they_have_no_erpnext_user():
	message = MessageView.from_payload(webhook_payload("message_created_outgoing"))
	assert communication_values(message)["chatwoot_sender_id"] == 12
	incoming = MessageView.from_payload(webhook_payload("message_created_incoming"))
	assert communication_values(incoming)["chatwoot_sender_id"] is None  # a contact, not an agent


@pytest.mark.parametrize(
	"status, delivery, read",
	[
		("sent", "Sent", 0),
		("delivered", "Sent", 0),
		("read", "Read", 1),
		("failed", "Error", 0),
		(None, None, 0),
	],
)
def test_what_the_channel_reports_of_a_reply_is_its_delivery_status(status, delivery, read):
	reply = MessageView.from_payload({**webhook_payload("message_created_outgoing"), "status": status})
	values = communication_values(reply)
	assert (values["delivery_status"], values["read_by_recipient"]) == (delivery, read)


def test_the_customers_own_message_has_no_delivery_status():
	said = MessageView.from_payload({**webhook_payload("message_created_incoming"), "status": "read"})
	assert communication_values(said)["delivery_status"] is None


def test_a_late_report_does_not_make_a_read_message_merely_sent():
	assert newer_delivery_status("Read", "Sent") == "Read"
	assert newer_delivery_status("Sent", "Read") == "Read"
	assert newer_delivery_status("Sent", "Error") == "Error"
	assert newer_delivery_status("Read", None) == "Read"


def test_a_failure_the_webhook_shows_is_an_error():
	failed = MessageView.from_payload(
		{
			**webhook_payload("message_created_outgoing"),
			"content_attributes": {"external_error": "131047: Re-engagement message"},
		}
	)
	assert communication_values(failed)["delivery_status"] == "Error"


def test_private_note_becomes_a_comment():
	note = MessageView.from_payload(webhook_payload("message_created_private_note"))
	values = note_values(note)
	assert values["comment_type"] == "Comment" and "Gold customer" in values["content"]


def test_record_names_are_per_account_and_message():
	assert record_name(3, 901) == "CW-3-901"
	assert record_name(3, 901) != record_name(4, 901)


def test_content_is_escaped_and_keeps_line_breaks():
	assert sanitized_html('<script>alert(1)</script>\nbye & "thanks"') == (
		"&lt;script&gt;alert(1)&lt;/script&gt;<br>bye &amp; &quot;thanks&quot;"
	)


def test_attachments_are_links_only_when_safe():
	message = MessageView.from_payload(webhook_payload("message_created_incoming"))
	message = MessageView(
		**{
			**message.__dict__,
			"attachments": (
				Attachment(1, "image", "https://chat.example.com/rails/x.png", None, "png", 10),
				Attachment(2, "file", "javascript:alert(1)", None, None, 10),
			),
		}
	)
	html = message_html(message)
	assert 'href="https://chat.example.com/rails/x.png"' in html
	assert "javascript:" not in html and "<li>file</li>" in html


@pytest.mark.parametrize(
	"url, safe",
	[
		("https://x.example/a", True),
		("http://x.example", True),
		("javascript:alert(1)", False),
		("data:text/html,x", False),
		("//x.example", False),
		(None, False),
	],
)
def test_safe_link(url, safe):
	assert (safe_link(url) is not None) is safe


# Deliveries that never came


def test_a_run_of_misses_is_counted_from_its_first_miss():
	first, later = datetime(2026, 12, 3, 9, 0), datetime(2026, 12, 3, 9, 5)
	tally = Tally().after_run(missed=2, delivered=5, now=first).after_run(missed=1, delivered=0, now=later)
	assert tally == Tally(3, first)


def test_a_run_that_finds_every_message_delivered_ends_the_misses():
	tally = Tally(3, datetime(2026, 12, 3, 9, 0))
	assert tally.after_run(missed=0, delivered=0, now=datetime(2026, 12, 3, 9, 10)) == tally  # proves nothing
	assert tally.after_run(missed=0, delivered=1, now=datetime(2026, 12, 3, 9, 10)) == Tally()


def test_a_message_younger_than_the_grace_may_still_be_on_its_way():
	started = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
	assert was_due(started - GRACE - timedelta(seconds=1), started)
	assert not was_due(started - timedelta(seconds=30), started)
	assert not was_due(None, started)


def test_doctor_says_deliveries_are_lost_with_the_count_and_since_when():
	assert check_missed_deliveries(0, None).ok
	check = check_missed_deliveries(3, datetime(2026, 12, 3, 9, 0), "bench --site erp.example")
	assert not check.ok
	assert "3 messages" in check.detail and "2026-12-03 09:00" in check.detail
	assert "bench --site erp.example chatwoot send-test-webhook" in check.fix
