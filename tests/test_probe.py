import json

import pytest

from chat_bridge.chatwoot.events import EventKind, MessageView, classify_event
from chat_bridge.chatwoot.intake import IntakeConfig, receive
from chat_bridge.chatwoot.probe import main, send_probe

SECRET = "probe-secret"


def test_probe_delivery_is_signed_as_chatwoot_signs(webhook_receiver):
	result = send_probe(webhook_receiver.url, secret=SECRET, account_id=3)
	assert result.ok and result.status == 200
	[request] = webhook_receiver.received
	delivery = receive(request["body"], request["headers"], None, IntakeConfig(secret=SECRET))
	assert delivery.event == "conversation_typing_on"
	assert delivery.kind is EventKind.IGNORED  # harmless: acknowledged, never recorded
	assert delivery.key == result.delivery_id
	assert delivery.account_id == 3


def test_message_probe_is_a_realistic_incoming_message(webhook_receiver):
	send_probe(webhook_receiver.url, secret=SECRET, event="message_created", account_id=3)
	payload = json.loads(webhook_receiver.received[0]["body"])
	assert classify_event(payload["event"]) is EventKind.HANDLED
	view = MessageView.from_payload(payload)
	assert (view.message_type, view.account_id, view.sender.kind) == ("incoming", 3, "contact")
	assert view.conversation.contact.email == "probe@chat-bridge.invalid"


def test_legacy_probe_puts_the_token_in_the_url(webhook_receiver):
	send_probe(webhook_receiver.url, token="tok en", account_id=3)
	[request] = webhook_receiver.received
	assert "X-Chatwoot-Signature" not in request["headers"]
	assert request["path"].endswith("?token=tok+en")


def test_unreachable_url_reports_no_answer():
	result = send_probe("http://127.0.0.1:9/hook", secret=SECRET, timeout=2)
	assert result.status is None and not result.ok
	assert "no answer" in result.answer


def test_unknown_event_is_refused():
	with pytest.raises(ValueError):
		send_probe("http://127.0.0.1:9/hook", secret=SECRET, event="contact_created")


def test_command_line(webhook_receiver, capsys):
	assert main([webhook_receiver.url, "--secret", SECRET]) == 0
	assert "HTTP 200" in capsys.readouterr().out
	assert main(["http://127.0.0.1:9/hook", "--secret", SECRET]) == 1
	with pytest.raises(SystemExit):
		main([webhook_receiver.url])
