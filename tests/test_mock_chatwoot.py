"""The mock Chatwoot, over loopback, behaving as Chatwoot 4.15.1 does.

Each test asserts something Chatwoot does (the comments name its source where that helps; paths
are in Chatwoot's repository), so a change that makes the mock stop doing it fails here. The
mock's own controls (faults, bursts, the /__mock routes) are tested at the end.
"""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from chat_bridge.chatwoot import ChatwootAPI, RateLimitError, RetryPolicy, ServerError
from chat_bridge.chatwoot.signature import verify_signature
from chat_bridge.chatwoot.transport import Transport
from chat_bridge.chatwoot.values import Upload
from tests.mock_chatwoot_api import MockChatwoot
from tests.mock_chatwoot_api.accounts import add_agent_bot

A = "/api/v1/accounts/3"
C58 = f"{A}/conversations/58"
# A 429 is retried at once here: these tests are about what is retried, not when.
FAST = RetryPolicy(base_delay=0.01, max_delay=0.02, rate_limit_window=None)
NOT_AUTHORIZED = {"error": "You are not authorized to do this action"}
NOT_FOUND = {"error": "Resource could not be found"}


def call(mock, method: str, path: str, token: str | None = "admin-token", **kwargs) -> requests.Response:
	headers = dict(kwargs.pop("headers", {}))
	if token is not None:
		headers["api_access_token"] = token
	return requests.request(method, mock.url + path, headers=headers, timeout=5, **kwargs)


def platform(mock, method: str, path: str, **kwargs) -> requests.Response:
	return call(mock, method, f"/platform/api/v1{path}", token="platform-token", **kwargs)


def client(mock, token="admin-token") -> ChatwootAPI:
	return ChatwootAPI(mock.url, token, 3, retry=FAST)


def activities(mock, display_id: int = 58) -> list[str]:
	return [m["content"] for m in mock.messages_of(mock.conversation(display_id)) if m["message_type"] == 2]


def subscribe(mock, url: str, events: list[str]) -> str:
	answer = call(mock, "POST", f"{A}/webhooks", json={"url": url, "subscriptions": events})
	return answer.json()["payload"]["webhook"]["secret"]


def settled_deliveries(mock, count: int) -> list[dict]:
	"""The deliveries once `count` were made and no more follow."""
	mock.wait_for_deliveries(count)
	time.sleep(0.2)
	return list(mock.deliveries)


def payloads(deliveries: list[dict]) -> list[dict]:
	return [json.loads(d["body"]) for d in deliveries]


def contact_names(mock, query: str = "") -> list[str]:
	return [c["name"] for c in call(mock, "GET", f"{A}/contacts{query}").json()["payload"]]


def conversation_ids(mock, query: str = "") -> list[int]:
	return [c["id"] for c in call(mock, "GET", f"{A}/conversations{query}").json()["data"]["payload"]]


def inbox_member_ids(mock, inbox_id: int) -> list[int]:
	return sorted(a["id"] for a in call(mock, "GET", f"{A}/inbox_members/{inbox_id}").json()["payload"])


def whatsapp_conversation(mock) -> int:
	with mock._lock:
		inbox = mock.add_inbox({"name": "Acme WhatsApp", "channel_type": "Channel::Whatsapp"})
		conversation = mock.create_conversation({"inbox_id": inbox["id"], "contact_id": 1042})
	return conversation["id"]


# Authentication and errors


def test_a_missing_or_unknown_token_is_refused_as_devise_and_chatwoot_refuse_it(mock_chatwoot):
	# devise_token_auth when no token is sent; access_token_auth_helper.rb:14-16 for an unknown one
	missing = call(mock_chatwoot, "GET", "/api/v1/profile", token=None)
	assert (missing.status_code, missing.json()) == (
		401,
		{"errors": ["You need to sign in or sign up before continuing."]},
	)
	unknown = call(mock_chatwoot, "GET", "/api/v1/profile", token="wrong")
	assert (unknown.status_code, unknown.json()) == (401, {"error": "Invalid Access Token"})
	# either spelling of the header
	by_dash = call(
		mock_chatwoot, "GET", "/api/v1/profile", token=None, headers={"Api-Access-Token": "admin-token"}
	)
	assert by_dash.status_code == 200


def test_an_agents_token_on_an_administrators_route_is_a_401_not_a_403(mock_chatwoot):
	# Pundit's refusal is rendered as 401 (request_exception_handler.rb:15-17)
	for method, path in (
		("GET", f"{A}/webhooks"),
		("GET", "/api/v2/accounts/3/reports/summary?type=account"),
	):
		answer = call(mock_chatwoot, method, path, token="agent-token")
		assert (answer.status_code, answer.json()) == (401, NOT_AUTHORIZED)


def test_the_account_in_the_path_is_checked(mock_chatwoot):
	assert call(mock_chatwoot, "GET", "/api/v1/accounts/99/contacts").status_code == 404
	mock_chatwoot.add_account("Other", account_id=5)
	foreign = call(mock_chatwoot, "GET", "/api/v1/accounts/5/contacts")
	assert foreign.json() == {"error": "You are not authorized to access this account"}
	# a platform app's token is not a user's (access_token_auth_helper.rb:30-39)
	bot = call(mock_chatwoot, "GET", f"{A}/contacts", token="platform-token")
	assert bot.json() == {"error": "Access to this endpoint is not authorized for bots"}
	# GET /accounts/{id} finds the account among the user's own: a 404 (accounts_controller.rb:103-106)
	assert call(mock_chatwoot, "GET", "/api/v1/accounts/5").status_code == 404


def test_what_nothing_rescues_is_answered_by_rails(mock_chatwoot):
	unknown_route = call(mock_chatwoot, "GET", f"{A}/nowhere")
	assert (unknown_route.status_code, unknown_route.json()) == (404, {"status": 404, "error": "Not Found"})
	broken = call(
		mock_chatwoot, "POST", f"{A}/contacts", data=b"{", headers={"Content-Type": "application/json"}
	)
	assert (broken.status_code, broken.json()) == (400, {"status": 400, "error": "Bad Request"})
	# DateTime.strptime of a text that is no unix time raises; nothing rescues it
	snooze = call(
		mock_chatwoot, "POST", f"{C58}/toggle_status", json={"status": "snoozed", "snoozed_until": "soon"}
	)
	assert (snooze.status_code, snooze.json()) == (500, {"status": 500, "error": "Internal Server Error"})
	# Kaminari reads a page that is not a number as page 1
	listed = call(mock_chatwoot, "GET", f"{A}/conversations?page=abc")
	assert [c["id"] for c in listed.json()["data"]["payload"]] == [58]


def test_the_profile_is_the_users(mock_chatwoot):
	profile = call(mock_chatwoot, "GET", "/api/v1/profile", token="agent-token").json()
	assert (profile["id"], profile["email"], profile["role"]) == (12, "sam@acme.example", "agent")
	assert profile["type"] is None  # the STI column of a plain user
	assert [(a["id"], a["role"]) for a in profile["accounts"]] == [(3, "agent")]


# Contacts


def test_every_failing_contact_validation_is_reported_in_chatwoots_order(mock_chatwoot):
	# contact.rb:50-56: e-mail (taken, then format), identifier, phone (taken, then format)
	answer = call(
		mock_chatwoot,
		"POST",
		f"{A}/contacts",
		json={"email": "JANE.DOE@example.com", "identifier": "CUST-00017", "phone_number": "0415 555"},
	)
	assert answer.status_code == 422
	assert answer.json() == {
		"message": "Email has already been taken, Identifier has already been taken, "
		"Phone number should be in e164 format",
		"attributes": ["email", "identifier", "phone_number"],
	}
	# the e-mail is downcased but not stripped (contact.rb:223-226)
	spaced = call(mock_chatwoot, "POST", f"{A}/contacts", json={"email": " ann@example.com "})
	assert spaced.json() == {"message": "Email Invalid email", "attributes": ["email"]}
	# the phone pattern is anchored at the end only
	made = call(
		mock_chatwoot, "POST", f"{A}/contacts", json={"email": "ANN@Example.com", "phone_number": "tel +4415"}
	)
	assert made.status_code == 200
	assert made.json()["payload"]["contact"]["email"] == "ann@example.com"
	long_name = call(mock_chatwoot, "POST", f"{A}/contacts", json={"name": "x" * 256})
	assert long_name.json()["message"] == "Name is too long (maximum is 255 characters)"


def test_contacts_are_listed_in_table_order_and_a_changed_one_moves_to_the_end(mock_chatwoot):
	for name in ("Bea", "al", "Cy"):
		call(
			mock_chatwoot,
			"POST",
			f"{A}/contacts",
			json={"name": name, "email": f"{name.lower()}@example.com"},
		)
	call(mock_chatwoot, "POST", f"{A}/contacts", json={"name": "No way to reach"})  # not listed
	assert contact_names(mock_chatwoot) == ["Jane Doe", "Bea", "al", "Cy"]
	call(mock_chatwoot, "PUT", f"{A}/contacts/1042", json={"name": "Jane D."})
	assert contact_names(mock_chatwoot) == ["Bea", "al", "Cy", "Jane D."]
	assert contact_names(mock_chatwoot, "?sort=name") == ["al", "Bea", "Cy", "Jane D."]  # LOWER(name)
	assert contact_names(mock_chatwoot, "?sort=-name") == ["Jane D.", "Cy", "Bea", "al"]
	# phone_number descending puts NULLs first, Postgres's default (contacts_controller.rb:2-10)
	assert contact_names(mock_chatwoot, "?sort=-phone_number")[-1] == "Jane D."
	listing = call(mock_chatwoot, "GET", f"{A}/contacts?page=1").json()
	assert listing["meta"] == {"count": 4, "current_page": "1"}


def test_contact_answers_carry_contact_inboxes_unless_told_otherwise(mock_chatwoot):
	# contacts_controller.rb:195-201: true unless the parameter is present, then only "true"
	shown = call(mock_chatwoot, "GET", f"{A}/contacts/1042").json()["payload"]
	assert [ci["inbox"]["id"] for ci in shown["contact_inboxes"]] == [7]
	hidden = call(mock_chatwoot, "GET", f"{A}/contacts/1042?include_contact_inboxes=no").json()["payload"]
	assert "contact_inboxes" not in hidden
	found = call(mock_chatwoot, "GET", f"{A}/contacts/search?q=jane").json()["payload"]
	assert "contact_inboxes" in found[0]
	condition = {"attribute_key": "email", "filter_operator": "equal_to", "values": ["JANE.DOE@example.com"]}
	filtered = call(mock_chatwoot, "POST", f"{A}/contacts/filter", json={"payload": [condition]}).json()
	assert [c["id"] for c in filtered["payload"]] == [1042] and "contact_inboxes" in filtered["payload"][0]


def test_a_contact_made_with_an_inbox_shows_the_inbox_row_without_channel_secrets(
	mock_chatwoot, webhook_receiver
):
	subscribe(mock_chatwoot, webhook_receiver.url, ["contact_created"])
	made = call(
		mock_chatwoot,
		"POST",
		f"{A}/contacts",
		json={"name": "Api", "email": "api@example.com", "inbox_id": 8},
	)
	contact_inbox = made.json()["payload"]["contact_inbox"]
	assert contact_inbox["inbox"]["id"] == 8 and len(contact_inbox["source_id"]) == 36
	assert not {"secret", "hmac_token", "webhook_url", "website_token"} & set(contact_inbox["inbox"])
	# an unknown inbox undoes the contact too: no record, no event
	undone = call(mock_chatwoot, "POST", f"{A}/contacts", json={"email": "gone@example.com", "inbox_id": 999})
	assert undone.status_code == 404
	assert not any(c["email"] == "gone@example.com" for c in mock_chatwoot.contacts.values())
	assert [d["event"] for d in settled_deliveries(mock_chatwoot, 1)] == ["contact_created"]


def test_a_customer_message_updates_the_contacts_last_activity_with_iso_times(
	mock_chatwoot, webhook_receiver
):
	subscribe(mock_chatwoot, webhook_receiver.url, ["contact_updated"])
	mock_chatwoot.customer_says(58, "Any news?")
	[payload] = payloads(mock_chatwoot.wait_for_deliveries(1))
	changed = {key for change in payload["changed_attributes"] for key in change}
	assert changed == {"last_activity_at", "updated_at"}
	last = payload["changed_attributes"][0]["last_activity_at"]
	assert last["previous_value"] is None and last["current_value"].endswith("Z")


# Conversations


def test_an_agent_sees_only_the_conversations_of_their_inboxes(mock_chatwoot):
	made = call(mock_chatwoot, "POST", f"{A}/conversations", json={"inbox_id": 8, "contact_id": 1042}).json()
	mine = call(mock_chatwoot, "GET", f"{A}/conversations?status=all", token="agent-token").json()["data"]
	assert [c["id"] for c in mine["payload"]] == [58] and mine["meta"]["all_count"] == 1
	# ConversationPolicy#show?: the conversation exists, the agent may not see it
	hidden = call(mock_chatwoot, "GET", f"{A}/conversations/{made['id']}", token="agent-token")
	assert (hidden.status_code, hidden.json()) == (401, NOT_AUTHORIZED)
	everything = call(mock_chatwoot, "GET", f"{A}/conversations?status=all").json()["data"]["payload"]
	assert {c["id"] for c in everything} == {58, made["id"]}


def test_an_agent_who_opens_a_conversation_is_assigned_it(mock_chatwoot):
	# conversations_controller.rb:91,100-102: an agent, after the status change, if open
	call(mock_chatwoot, "POST", f"{C58}/toggle_status", json={"status": "resolved"})
	call(mock_chatwoot, "POST", f"{C58}/toggle_status", json={"status": "open"})
	assert mock_chatwoot.conversation(58)["assignee_id"] is None  # an administrator is not self-assigned
	call(mock_chatwoot, "POST", f"{C58}/toggle_status", json={"status": "resolved"})
	toggled = call(mock_chatwoot, "POST", f"{C58}/toggle_status", token="agent-token").json()
	assert toggled["payload"]["current_status"] == "open"
	assert mock_chatwoot.conversation(58)["assignee_id"] == 12
	assert activities(mock_chatwoot)[-2:] == [
		"Conversation was reopened by Sam Agent",
		"Sam Agent self-assigned this conversation",
	]


def test_changes_made_by_a_user_add_activity_messages_that_webhooks_never_get(
	mock_chatwoot, webhook_receiver
):
	subscribe(mock_chatwoot, webhook_receiver.url, ["message_created", "message_updated"])
	call(mock_chatwoot, "POST", f"{C58}/assignments", json={"assignee_id": 12})
	call(mock_chatwoot, "POST", f"{C58}/assignments", json={"team_id": 4})
	call(mock_chatwoot, "POST", f"{C58}/toggle_priority", json={"priority": "high"})
	call(mock_chatwoot, "POST", f"{C58}/labels", json={"labels": ["vip"]})
	call(mock_chatwoot, "POST", f"{C58}/toggle_status", json={"status": "resolved"})
	assert activities(mock_chatwoot) == [  # config/locales/en.yml:282-305
		"Assigned to Sam Agent by Ada Admin",
		"Assigned to Sales by Ada Admin",  # Sam is no member of Sales, so he is dropped
		"Ada Admin set the priority to high",
		"Ada Admin added vip",
		"Conversation was marked resolved by Ada Admin",
	]
	mock_chatwoot.visitor_views(58)  # marks every message the team sent read, one update each
	reply = call(mock_chatwoot, "POST", f"{C58}/messages", json={"content": "Done"}).json()
	# webhook_sendable? (message_filter_helpers.rb:8-10): only the reply is ever delivered
	assert [(p["event"], p["id"]) for p in payloads(settled_deliveries(mock_chatwoot, 1))] == [
		("message_created", reply["id"])
	]
	assert "Ada Admin added vip" in [
		m["content"] for m in call(mock_chatwoot, "GET", f"{C58}/messages").json()["payload"]
	]


def test_assigning_someone_outside_the_account_unassigns_and_answers_null(mock_chatwoot):
	mock_chatwoot.change_conversation(mock_chatwoot.conversation(58), assignee_id=12)
	answer = call(mock_chatwoot, "POST", f"{C58}/assignments", json={"assignee_id": 999})
	assert (answer.status_code, answer.text) == (200, "null")  # render json: nil
	assert mock_chatwoot.conversation(58)["assignee_id"] is None
	assigned = call(mock_chatwoot, "POST", f"{C58}/assignments", json={"assignee_id": 12}).json()
	assert (assigned["id"], assigned["role"]) == (12, "agent")
	bot = add_agent_bot(mock_chatwoot, "Triage", 3)
	as_bot = call(
		mock_chatwoot,
		"POST",
		f"{C58}/assignments",
		json={"assignee_id": bot["id"], "assignee_type": "AgentBot"},
	)
	assert as_bot.json()["name"] == "Triage" and "type" not in as_bot.json()  # _agent_bot_slim
	assert call(mock_chatwoot, "POST", f"{C58}/assignments", json={"team_id": 77}).text == "null"


def test_labels_are_replaced_cleaned_and_cleared(mock_chatwoot):
	def labels(body: dict) -> list[str]:
		return call(mock_chatwoot, "POST", f"{C58}/labels", json=body).json()["payload"]

	# acts-as-taggable-on: stripped, blanks and case-insensitive duplicates dropped, commas split
	assert labels({"labels": [" vip ", "", "VIP", "billing,urgent", "new-one"]}) == [
		"vip",
		"billing",
		"urgent",
		"new-one",
	]
	assert labels({"labels": ["billing"]}) == ["billing"]
	assert labels({}) == []  # no labels at all clears them
	assert call(mock_chatwoot, "GET", f"{C58}/labels").json() == {"payload": []}


def test_conversations_are_ordered_by_sort_by(mock_chatwoot):
	with mock_chatwoot._lock:
		ids = [58]
		for priority in ("low", None, "urgent"):
			made = mock_chatwoot.create_conversation({"inbox_id": 7, "contact_id": 1042})
			mock_chatwoot.change_conversation(made, priority=priority)
			ids.append(made["id"])
		mock_chatwoot.customer_says(ids[1], "one")
		mock_chatwoot.customer_says(ids[1], "two")
	assert conversation_ids(mock_chatwoot) == [ids[1], ids[3], ids[2], 58]  # last_activity_at DESC
	assert conversation_ids(mock_chatwoot, "?sort_by=created_at_asc") == ids
	# priority NULLS LAST either way, then last_activity_at DESC (sort_handler.rb:13-15)
	assert conversation_ids(mock_chatwoot, "?sort_by=priority_desc") == [ids[3], ids[1], ids[2], 58]
	assert conversation_ids(mock_chatwoot, "?sort_by=priority_asc") == [ids[1], ids[3], ids[2], 58]
	assert conversation_ids(mock_chatwoot, "?sort_by=unread")[:2] == [ids[1], 58]  # most unread first
	assert conversation_ids(mock_chatwoot, "?sort_by=nonsense") == conversation_ids(mock_chatwoot)


def test_q_looks_in_what_the_customer_and_the_team_wrote(mock_chatwoot):
	call(mock_chatwoot, "POST", f"{C58}/labels", json={"labels": ["vip"]})  # "Ada Admin added vip"
	assert conversation_ids(mock_chatwoot, "?q=SO-0042") == [58]
	# activity messages are not searched (conversation_finder.rb:152-159)
	assert conversation_ids(mock_chatwoot, "?q=added vip") == []


def test_a_conversation_made_with_a_message_and_an_assignee(mock_chatwoot):
	made = call(
		mock_chatwoot,
		"POST",
		f"{A}/conversations",
		json={"inbox_id": 8, "contact_id": 1042, "assignee_id": 12, "message": {"content": "Hello"}},
	).json()
	# the message is posted in the transaction; the assignment's activity follows the commit
	assert [
		(m["content"], m["message_type"])
		for m in mock_chatwoot.messages_of(mock_chatwoot.conversation(made["id"]))
	] == [
		("Hello", 1),
		("Assigned to Sam Agent by Ada Admin", 2),
	]
	# a message that fails rolls the conversation back (422 from the handler, not the builder's)
	before = len(mock_chatwoot.all_conversations(3))
	failed = call(
		mock_chatwoot,
		"POST",
		f"{A}/conversations",
		json={"inbox_id": 8, "contact_id": 1042, "message": {"content": "x" * 150_001}},
	)
	assert failed.json() == {
		"message": "Content is too long (maximum is 150000 characters)",
		"attributes": ["content"],
	}
	assert len(mock_chatwoot.all_conversations(3)) == before


def test_locked_to_a_single_conversation_the_message_goes_to_the_last_one(mock_chatwoot):
	mock_chatwoot.inboxes[8]["lock_to_single_conversation"] = True
	body = {"inbox_id": 8, "contact_id": 1042, "source_id": "api-1042"}
	first = call(mock_chatwoot, "POST", f"{A}/conversations", json=body).json()
	again = call(
		mock_chatwoot, "POST", f"{A}/conversations", json={**body, "message": {"content": "Again"}}
	).json()
	assert again["id"] == first["id"]
	assert [m["content"] for m in mock_chatwoot.messages_of(mock_chatwoot.conversation(first["id"]))] == [
		"Again"
	]


def test_an_incoming_message_reopens_a_snoozed_or_resolved_conversation(mock_chatwoot):
	call(
		mock_chatwoot, "POST", f"{C58}/toggle_status", json={"status": "snoozed", "snoozed_until": 4102444800}
	)
	assert mock_chatwoot.conversation(58)["snoozed_until"] == 4102444800
	mock_chatwoot.customer_says(58, "Hello?")
	assert mock_chatwoot.conversation(58)["status"] == "open"
	assert mock_chatwoot.conversation(58)["snoozed_until"] is None
	# In an API inbox the contact's message reopens it as the system, even through a user's token
	made = call(mock_chatwoot, "POST", f"{A}/conversations", json={"inbox_id": 8, "contact_id": 1042}).json()
	path = f"{A}/conversations/{made['id']}"
	call(mock_chatwoot, "POST", f"{path}/toggle_status", json={"status": "resolved"})
	call(mock_chatwoot, "POST", f"{path}/messages", json={"content": "Back", "message_type": "incoming"})
	assert mock_chatwoot.conversation(made["id"])["status"] == "open"
	assert (
		activities(mock_chatwoot, made["id"])[-1]
		== "System reopened the conversation due to a new incoming message."
	)


def test_the_first_reply_and_waiting_since(mock_chatwoot):
	assert call(mock_chatwoot, "GET", C58).json()["waiting_since"] > 0
	call(mock_chatwoot, "POST", f"{C58}/messages", json={"content": "A note", "private": True})
	assert call(mock_chatwoot, "GET", C58).json()["first_reply_created_at"] == 0
	reply = call(mock_chatwoot, "POST", f"{C58}/messages", json={"content": "On its way"}).json()
	shown = call(mock_chatwoot, "GET", C58).json()
	assert shown["first_reply_created_at"] == reply["created_at"] and shown["waiting_since"] == 0


# Messages


def test_messages_come_in_chatwoots_windows(mock_chatwoot):
	with mock_chatwoot._lock:
		for number in range(30):
			mock_chatwoot.customer_says(58, f"m{number}")
	ids = [m["id"] for m in mock_chatwoot.messages_of(mock_chatwoot.conversation(58))]

	def window(query: str = "") -> list[int]:
		return [m["id"] for m in call(mock_chatwoot, "GET", f"{C58}/messages{query}").json()["payload"]]

	assert window() == ids[-20:]  # the latest 20, oldest first
	assert window(f"?before={ids[-20]}") == ids[-40:-20]
	assert window(f"?after={ids[0]}") == ids[1:]
	assert window(f"?after={ids[2]}&before={ids[5]}") == ids[2:5]  # the first included (message_finder.rb)
	meta = call(mock_chatwoot, "GET", f"{C58}/messages").json()["meta"]
	assert meta["contact"]["type"] == "contact" and meta["labels"] == []


def test_a_posted_message_has_chatwoots_shape_and_sender(mock_chatwoot):
	reply = call(mock_chatwoot, "POST", f"{C58}/messages", json={"content": "Hi", "echo_id": "tmp-1"}).json()
	assert (reply["message_type"], reply["sender"]["id"], reply["echo_id"]) == (1, 1, "tmp-1")
	assert isinstance(reply["created_at"], int) and "attachments" not in reply
	# echo_id is an attr_accessor: no later answer shows it (message.rb:82-83)
	listed = call(mock_chatwoot, "GET", f"{C58}/messages").json()["payload"][-1]
	assert listed["id"] == reply["id"] and "echo_id" not in listed
	# any type but outgoing is the contact's (message_builder.rb:116-118)
	activity = call(
		mock_chatwoot, "POST", f"{C58}/messages", json={"content": "Note", "message_type": "activity"}
	).json()
	assert (activity["message_type"], activity["sender"]["id"]) == (2, 1042)
	refused = call(
		mock_chatwoot, "POST", f"{C58}/messages", json={"content": "Hi", "message_type": "incoming"}
	)
	assert (refused.status_code, refused.json()) == (
		422,
		{"error": "Incoming messages are only allowed in Api inboxes"},
	)
	too_long = call(mock_chatwoot, "POST", f"{C58}/messages", json={"content": "x" * 150_001})
	assert too_long.json() == {
		"error": "Validation failed: Content is too long (maximum is 150000 characters)"
	}


def test_a_message_with_a_file_reaches_chatwoot_as_an_attachment(mock_chatwoot):
	pdf = Upload("SINV-0001.pdf", b"%PDF-1.4 made up", "application/pdf")
	sent = client(mock_chatwoot).send_message(58, "Your invoice", attachments=[pdf])
	assert sent["content"] == "Your invoice" and sent["private"] is False
	(attachment,) = sent["attachments"]
	assert (attachment["file_type"], attachment["extension"], attachment["file_size"]) == ("file", "pdf", 16)
	assert attachment["data_url"].endswith("/SINV-0001.pdf")


def test_a_message_status_is_for_api_inboxes_only(mock_chatwoot):
	# ensure_api_inbox runs before the message is looked up (messages_controller.rb:2)
	website = call(mock_chatwoot, "PATCH", f"{C58}/messages/999", json={"status": "read"})
	assert (website.status_code, website.json()) == (
		403,
		{"error": "Message status update is only allowed for API inboxes"},
	)
	made = call(mock_chatwoot, "POST", f"{A}/conversations", json={"inbox_id": 8, "contact_id": 1042}).json()
	path = f"{A}/conversations/{made['id']}/messages"
	message = call(mock_chatwoot, "POST", path, json={"content": "Sent"}).json()

	def patch(body: dict) -> dict:
		return call(mock_chatwoot, "PATCH", f"{path}/{message['id']}", json=body).json()

	assert patch({"status": "nonsense"})["status"] == "sent"  # StatusUpdateService ignores it
	failed = patch({"status": "failed", "external_error": "Gateway down"})
	assert (failed["status"], failed["content_attributes"]["external_error"]) == ("failed", "Gateway down")
	read = patch({"status": "read", "external_error": "kept?"})
	assert (read["status"], read["content_attributes"]["external_error"]) == ("read", None)
	assert patch({"status": "delivered"})["status"] == "read"  # never back from read


def test_a_deleted_message_keeps_its_place_with_chatwoots_text(mock_chatwoot):
	deleted = call(mock_chatwoot, "DELETE", f"{C58}/messages/901").json()
	assert (deleted["content"], deleted["content_attributes"]) == (
		"This message was deleted",
		{"deleted": True},
	)
	assert call(mock_chatwoot, "DELETE", f"{C58}/messages/12345").json() == NOT_FOUND


def test_whatsapp_replies_outside_the_24_hour_window_fail(mock_chatwoot):
	display_id = whatsapp_conversation(mock_chatwoot)
	path = f"{A}/conversations/{display_id}"
	assert call(mock_chatwoot, "GET", path).json()["can_reply"] is False  # no incoming message yet
	late = call(mock_chatwoot, "POST", f"{path}/messages", json={"content": "Hello?"})
	assert late.status_code == 200  # saved; SendReplyJob fails it afterwards
	mock_chatwoot.settle()
	failed = mock_chatwoot.messages[late.json()["id"]]
	assert (failed["status"], failed["content_attributes"]["external_error"]) == (
		"failed",
		"Template not found or invalid template name",
	)
	incoming = mock_chatwoot.customer_says(display_id, "Hi")
	assert call(mock_chatwoot, "GET", path).json()["can_reply"] is True
	sent = call(mock_chatwoot, "POST", f"{path}/messages", json={"content": "Welcome"}).json()
	mock_chatwoot.settle()
	assert mock_chatwoot.messages[sent["id"]]["source_id"].startswith("wamid.")
	# 24 hours after the customer's last message (message_window_service.rb)
	incoming["created_at"] -= 24 * 3600 + 1
	assert call(mock_chatwoot, "GET", path).json()["can_reply"] is False


# Inboxes, members and agents


def test_inbox_members_are_cast_checked_and_refused_as_chatwoot_does(mock_chatwoot):
	assert inbox_member_ids(mock_chatwoot, 7) == [1, 12] and inbox_member_ids(mock_chatwoot, 8) == [1]
	added = call(mock_chatwoot, "POST", f"{A}/inbox_members", json={"inbox_id": 8, "user_ids": ["12"]})
	assert added.status_code == 200 and inbox_member_ids(mock_chatwoot, 8) == [1, 12]
	# "1" is not the member 1, so it is added again and fails as taken
	taken = call(mock_chatwoot, "POST", f"{A}/inbox_members", json={"inbox_id": 8, "user_ids": ["1"]})
	assert taken.json() == {"message": "User has already been taken", "attributes": ["user_id"]}
	nobody = call(mock_chatwoot, "POST", f"{A}/inbox_members", json={"inbox_id": 8, "user_ids": [999]})
	assert nobody.json() == {"message": "User must exist", "attributes": ["user"]}
	call(mock_chatwoot, "DELETE", f"{A}/inbox_members", json={"inbox_id": 8, "user_ids": [12, 999]})
	assert inbox_member_ids(mock_chatwoot, 8) == [1]
	# an agent may list the members of their own inbox only (inbox_policy.rb:22-27)
	assert call(mock_chatwoot, "GET", f"{A}/inbox_members/7", token="agent-token").status_code == 200
	assert call(mock_chatwoot, "GET", f"{A}/inbox_members/8", token="agent-token").json() == NOT_AUTHORIZED


def test_inboxes_show_their_secrets_to_administrators_only(mock_chatwoot):
	[admin_view] = [i for i in call(mock_chatwoot, "GET", f"{A}/inboxes").json()["payload"] if i["id"] == 7]
	[agent_view] = call(mock_chatwoot, "GET", f"{A}/inboxes", token="agent-token").json()["payload"]
	assert admin_view["website_token"] == agent_view["website_token"] == "widget-token"
	assert admin_view["hmac_token"] == "widget-hmac-secret" and "hmac_token" not in agent_view


def test_adding_an_agent_reuses_the_chatwoot_user_with_that_email(mock_chatwoot):
	made = platform(
		mock_chatwoot,
		"POST",
		"/users",
		json={"name": "Ann", "email": "ann@example.com", "password": "Secret-pass-1!"},
	).json()
	# AgentBuilder finds the user by e-mail, whatever their account (agent_builder.rb:28-35)
	agent = call(
		mock_chatwoot, "POST", f"{A}/agents", json={"name": "Ann Lee", "email": "ANN@example.com"}
	).json()
	assert (agent["id"], agent["name"], agent["confirmed"]) == (made["id"], "Ann", True)
	again = call(mock_chatwoot, "POST", f"{A}/agents", json={"email": "ann@example.com"})
	assert again.json() == {"message": "User has already been taken", "attributes": ["user_id"]}
	invited = call(mock_chatwoot, "POST", f"{A}/agents", json={"email": "new.one@example.com"}).json()
	assert (invited["name"], invited["confirmed"]) == ("new.one", False)
	blank = call(mock_chatwoot, "PATCH", f"{A}/agents/{agent['id']}", json={"name": " "})
	assert blank.json() == {"message": "Name can't be blank", "attributes": ["name"]}
	# the agent is looked up before the policy runs: 404 for anyone (agents_controller.rb:2-3)
	unknown = call(mock_chatwoot, "PATCH", f"{A}/agents/999", json={"role": "agent"}, token="agent-token")
	assert unknown.json() == NOT_FOUND


def test_removing_an_agent_unassigns_their_conversations_in_the_background(mock_chatwoot):
	mock_chatwoot.change_conversation(mock_chatwoot.conversation(58), assignee_id=12)
	assert call(mock_chatwoot, "DELETE", f"{A}/agents/12").status_code == 200
	mock_chatwoot.settle()
	assert mock_chatwoot.conversation(58)["assignee_id"] is None
	assert activities(mock_chatwoot) == []  # update_all: no callbacks (agents/destroy_job.rb)
	assert 12 not in mock_chatwoot.users  # in no other account, the user goes too


# Webhooks and apps


def test_a_webhook_gets_the_columns_default_subscriptions(mock_chatwoot):
	# a flat body is wrapped under `webhook`; no subscriptions means the column's default (schema.rb:1324)
	made = call(
		mock_chatwoot, "POST", f"{A}/webhooks", json={"url": "https://erp.example.com/hook", "inbox_id": 7}
	)
	webhook = made.json()["payload"]["webhook"]
	assert webhook["subscriptions"] == [
		"conversation_status_changed",
		"conversation_updated",
		"conversation_created",
		"contact_created",
		"contact_updated",
		"message_created",
		"message_updated",
		"webwidget_triggered",
	]
	assert webhook["inbox"] == {"id": 7, "name": "Acme Website"} and len(webhook["secret"]) == 24
	empty = call(
		mock_chatwoot, "POST", f"{A}/webhooks", json={"url": "https://b.example.com", "subscriptions": []}
	)
	assert empty.json() == {"message": "Subscriptions Invalid events", "attributes": ["subscriptions"]}
	taken = call(mock_chatwoot, "POST", f"{A}/webhooks", json={"url": "https://erp.example.com/hook"})
	assert taken.json()["message"] == "Url has already been taken"
	assert call(mock_chatwoot, "POST", f"{A}/webhooks", json={}).json() == {
		"error": "param is missing or the value is empty: webhook"
	}


def test_any_member_may_manage_dashboard_apps_in_4_15(mock_chatwoot):
	# no policy on dashboard apps (dashboard_apps_controller.rb)
	app = call(
		mock_chatwoot,
		"POST",
		f"{A}/dashboard_apps",
		token="agent-token",
		json={"title": "ERPNext", "content": [{"type": "frame", "url": "https://erp.example.com/app"}]},
	).json()
	assert app["content"] == [{"url": "https://erp.example.com/app", "type": "frame"}]
	assert [a["id"] for a in call(mock_chatwoot, "GET", f"{A}/dashboard_apps").json()] == [app["id"]]
	bad = call(
		mock_chatwoot,
		"POST",
		f"{A}/dashboard_apps",
		json={"title": "Bad", "content": [{"type": "frame", "url": "javascript:alert(1)"}]},
	)
	assert bad.json() == {"message": "Content : Invalid data", "attributes": ["content"]}
	deleted = call(mock_chatwoot, "DELETE", f"{A}/dashboard_apps/{app['id']}", token="agent-token")
	assert (deleted.status_code, deleted.text) == (204, "")


def test_opening_another_conversation_mounts_the_dashboard_app_afresh(mock_chatwoot):
	# ConversationBox.vue keys the frame by the conversation: a switch is a new iframe
	mock_chatwoot.add_conversations(2)
	page = requests.get(
		f"{mock_chatwoot.url}/dashboard-app",
		params={"src": "https://erp.example.com/chatwoot-app", "conversation_id": 58},
		timeout=5,
	).text
	contexts = json.loads(page.split("const contexts = ", 1)[1].split(";\n", 1)[0])
	assert len(contexts) == 3 and "58" in contexts
	assert all(
		json.loads(context)["data"]["conversation"]["id"] == int(key) for key, context in contexts.items()
	)
	assert "frame.remove()" in page and 'window.__openConversation("58")' in page
	assert 'frame.src = "https://erp.example.com/chatwoot-app"' in page


def test_custom_attribute_definitions_follow_chatwoots_rules(mock_chatwoot):
	def define(body: dict, token: str = "admin-token") -> requests.Response:
		return call(mock_chatwoot, "POST", f"{A}/custom_attribute_definitions", token=token, json=body)

	made = define(
		{
			"attribute_display_name": " Outstanding ",
			"attribute_key": " erpnext_outstanding ",
			"attribute_display_type": "currency",
			"attribute_model": "contact_attribute",
		}
	).json()
	assert (made["attribute_key"], made["attribute_display_name"], made["attribute_display_type"]) == (
		"erpnext_outstanding",
		"Outstanding",
		"currency",
	)
	assert "account_id" not in made  # the partial has none
	clash = {"attribute_display_name": "Clash", "attribute_key": "erpnext_outstanding"}
	taken = define({**clash, "attribute_model": "contact_attribute"})
	assert taken.json()["message"] == "Attribute key has already been taken"
	# every rule is checked, in the model's order (custom_attribute_definition.rb:33-43)
	blank = define({"attribute_key": "  "})
	assert blank.json() == {
		"message": "Attribute display name can't be blank, Attribute key can't be blank, "
		"Attribute key must only contain letters, numbers, underscores, hyphens, and dots",
		"attributes": ["attribute_display_name", "attribute_key"],
	}
	standard = define(
		{"attribute_display_name": "Email", "attribute_key": "email", "attribute_model": "contact_attribute"}
	)
	assert standard.json()["message"] == (
		"Attribute key The provided key is not allowed as it might conflict with default attributes."
	)
	define(clash)  # the same key for another model: conversation_attribute, the default
	listed = call(mock_chatwoot, "GET", f"{A}/custom_attribute_definitions", token="agent-token").json()
	assert [d["attribute_model"] for d in listed] == ["contact_attribute", "conversation_attribute"]
	refused = define({"attribute_display_name": "X", "attribute_key": "x"}, token="agent-token")
	assert refused.json() == NOT_AUTHORIZED
	# looked up before the policy: an unknown id is a 404 even for an agent
	path = f"{A}/custom_attribute_definitions/999"
	unknown = call(mock_chatwoot, "PATCH", path, token="agent-token", json={"attribute_display_name": "Y"})
	assert unknown.json() == NOT_FOUND


# Platform API


def test_platform_users_are_checked_and_answered_as_chatwoot_does(mock_chatwoot):
	bad = platform(
		mock_chatwoot, "POST", "/users", json={"name": "A", "email": "a@b", "password": "Secret-pass-1!"}
	)
	# Devise's e-mail rule lets it through, devise_token_auth's does not
	assert bad.json() == {"message": "Email is not an email", "attributes": ["email"]}
	weak = platform(
		mock_chatwoot, "POST", "/users", json={"email": "x@example.com", "password": "password"}
	).json()
	assert weak["attributes"] == ["password", "name"]
	assert "Password must contain at least 1 uppercase character  (A..Z)" in weak["message"]
	user = platform(
		mock_chatwoot,
		"POST",
		"/users",
		json={"name": "Ann", "email": "ann@example.com", "password": "Secret-pass-1!"},
	).json()
	assert user["role"] is None and user["account_id"] is None and "custom_attributes" not in user
	# Ada exists and was not made by the platform app: hands off, until her e-mail is claimed
	assert platform(mock_chatwoot, "GET", "/users/1").json() == {"error": "Non permissible resource"}
	claimed = platform(
		mock_chatwoot, "POST", "/users", json={"name": "X", "email": "ADA@acme.example"}
	).json()
	assert (claimed["id"], claimed["name"], claimed["role"]) == (1, "Ada Admin", "administrator")
	assert platform(mock_chatwoot, "GET", "/users/999").json() == {"status": 404, "error": "Not Found"}


def test_platform_account_users_keep_a_role_that_is_not_sent(mock_chatwoot):
	account = platform(mock_chatwoot, "POST", "/accounts", json={"name": "Second Shop"}).json()
	path = f"/accounts/{account['id']}/account_users"
	# `user_id` is cast by the column; a role that is not sent is kept (account_users_controller.rb:9-13)
	made = platform(mock_chatwoot, "POST", path, json={"user_id": "12", "role": "administrator"})
	assert made.json()["role"] == "administrator"
	assert platform(mock_chatwoot, "POST", path, json={"user_id": 12}).json()["role"] == "administrator"
	nobody = platform(mock_chatwoot, "POST", path, json={"user_id": 999})
	assert nobody.json() == {"message": "User must exist", "attributes": ["user"]}
	# the account the app did not make is out of its reach (account_users_controller.rb:2-3)
	seed_account = platform(mock_chatwoot, "POST", "/accounts/3/account_users", json={"user_id": 12})
	assert seed_account.json() == {"error": "Non permissible resource"}


# Reports and search


def test_a_report_summary_counts_its_inbox_only(mock_chatwoot):
	made = call(mock_chatwoot, "POST", f"{A}/conversations", json={"inbox_id": 8, "contact_id": 1042}).json()
	call(mock_chatwoot, "POST", f"{A}/conversations/{made['id']}/messages", json={"content": "Hi"})
	since, until = int(time.time()) - 60, int(time.time()) + 60

	def summary(query: str) -> dict:
		path = f"/api/v2/accounts/3/reports/summary?since={since}&until={until}&{query}"
		return call(mock_chatwoot, "GET", path).json()

	assert summary("type=account")["conversations_count"] == 1
	inbox = summary("type=inbox&id=8")
	assert (inbox["conversations_count"], inbox["outgoing_messages_count"]) == (1, 1)
	assert summary("type=inbox&id=7")["outgoing_messages_count"] == 0
	assert summary("type=inbox&id=7")["avg_first_response_time"] is None  # null, not 0
	assert summary("type=inbox&id=99") == NOT_FOUND  # outside the account
	assert summary("type=nonsense")["status"] == 500  # a scope of nil
	assert call(mock_chatwoot, "GET", "/api/v2/accounts/3/reports/summary").status_code == 500  # nil.to_sym


def test_message_search_matches_content_only(mock_chatwoot):
	call(mock_chatwoot, "POST", f"{C58}/messages", json={"content": None, "private": True})
	found = call(mock_chatwoot, "GET", f"{A}/search/messages?q=").json()["payload"]["messages"]
	assert all(m["content"] is not None for m in found)  # ILIKE never matches a NULL
	hits = call(mock_chatwoot, "GET", f"{A}/search/messages?q=so-0042").json()["payload"]["messages"]
	assert [m["id"] for m in hits] == [901]


# Webhook delivery


def test_a_delivery_is_signed_and_escaped_as_rails_sends_it(mock_chatwoot, webhook_receiver):
	secret = subscribe(mock_chatwoot, webhook_receiver.url, ["message_created"])
	call(
		mock_chatwoot,
		"POST",
		f"{C58}/messages",
		json={"content": "Tracking: <b>1Z999</b> & more\\\nsoon\n\n"},
	)
	mock_chatwoot.wait_for_deliveries(1)
	[delivery] = webhook_receiver.received
	headers = {k.lower(): v for k, v in delivery["headers"].items()}
	verify_signature(
		secret, delivery["body"], headers["x-chatwoot-signature"], headers["x-chatwoot-timestamp"]
	)
	assert len(headers["x-chatwoot-delivery"]) == 36
	assert b"\\u003cb\\u003e" in delivery["body"]  # < > & escaped as Rails does
	payload = json.loads(delivery["body"])
	assert (payload["event"], payload["message_type"], payload["conversation"]["id"]) == (
		"message_created",
		"outgoing",
		58,
	)
	# WebhookContentNormalizer: the editor's hard break becomes a newline, trailing newlines go
	assert payload["content"] == "Tracking: <b>1Z999</b> & more\nsoon"
	assert payload["conversation"]["messages"][0]["content"] == payload["content"]


def test_a_payload_is_made_when_its_delivery_job_runs(mock_chatwoot, webhook_receiver):
	subscribe(mock_chatwoot, webhook_receiver.url, ["message_created"])
	with mock_chatwoot._lock:  # the delivery worker waits for the state
		mock_chatwoot.customer_says(58, "Hello")
		mock_chatwoot.change_conversation(mock_chatwoot.conversation(58), status="resolved")
	[payload] = payloads(mock_chatwoot.wait_for_deliveries(1))
	assert payload["conversation"]["status"] == "resolved"  # a later state than the message's


def test_safe_fetch_refuses_a_private_address_unless_allowed(webhook_receiver):
	with MockChatwoot(allow_private_network=False) as mock:
		subscribe(mock, webhook_receiver.url, ["message_created"])
		mock.customer_says(58, "Hello")
		[refused] = mock.wait_for_deliveries(1)
		assert refused["refused"] and webhook_receiver.received == []
		assert mock.log == [
			f"Exception: Invalid webhook URL {webhook_receiver.url} : Hostname '127.0.0.1' has no public ip addresses"
		]
		requests.post(f"{mock.url}/__mock/allow_private_network", json={"allow": True}, timeout=5)
		mock.customer_says(58, "Again")
		mock.wait_for_deliveries(2)
		assert len(webhook_receiver.received) == 1


class SlowReceiver:
	"""Answers a POST whose content is "slow" after a pause, the rest at once."""

	def __init__(self, pause: float):
		received = self.received = []

		class Handler(BaseHTTPRequestHandler):
			def do_POST(self):
				payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
				if payload.get("content") == "slow":
					time.sleep(pause)
				received.append(payload)
				self.send_response(self.server.answer)
				self.send_header("Content-Length", "0")
				self.end_headers()

			def log_message(self, *args):
				pass

		self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self.server.answer = 200
		threading.Thread(
			target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
		).start()
		self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

	def close(self):
		self.server.shutdown()
		self.server.server_close()


@pytest.fixture
def slow_receiver():
	receiver = SlowReceiver(0.5)
	yield receiver
	receiver.close()


def test_deliveries_overlap_and_arrive_out_of_order_behind_a_slow_receiver(mock_chatwoot, slow_receiver):
	subscribe(mock_chatwoot, slow_receiver.url, ["message_created"])
	first = mock_chatwoot.customer_says(58, "slow")
	second = mock_chatwoot.customer_says(58, "quick")
	mock_chatwoot.wait_for_deliveries(2)
	assert [p["id"] for p in slow_receiver.received] == [second["id"], first["id"]]


def test_a_failed_delivery_is_logged_and_an_api_inbox_message_marked_failed(mock_chatwoot, slow_receiver):
	slow_receiver.server.answer = 500
	mock_chatwoot.inboxes[8]["webhook_url"] = slow_receiver.url
	made = call(mock_chatwoot, "POST", f"{A}/conversations", json={"inbox_id": 8, "contact_id": 1042}).json()
	message = call(
		mock_chatwoot, "POST", f"{A}/conversations/{made['id']}/messages", json={"content": "Hi"}
	).json()
	# Trigger#handle_failure: the callback's failure marks the message, which sends message_updated
	wait_for(lambda: mock_chatwoot.messages[message["id"]]["status"] == "failed")
	failed = mock_chatwoot.messages[message["id"]]
	assert failed["content_attributes"]["external_error"] == "500 Internal Server Error"
	wait_for(lambda: any(d["event"] == "message_updated" for d in mock_chatwoot.deliveries))
	warning = f"Exception: Invalid webhook URL {slow_receiver.url} : 500 Internal Server Error"
	assert warning in mock_chatwoot.log


# Rate limits


def test_rack_attack_counts_the_client_behind_a_trusted_proxy(monkeypatch):
	monkeypatch.setenv("RACK_ATTACK_LIMIT", "3")
	with MockChatwoot(rack_attack=True) as mock:
		behind = {"X-Forwarded-For": "203.0.113.9"}
		statuses = [call(mock, "GET", f"{A}/inboxes", headers=behind).status_code for _ in range(4)]
		assert statuses == [200, 200, 200, 429]
		refused = call(mock, "GET", f"{A}/inboxes", headers=behind)
		assert (refused.text, refused.headers["Content-Type"]) == ("Retry later\n", "text/plain")
		assert "Retry-After" not in refused.headers
		# loopback itself is safelisted; another client has its own count
		assert call(mock, "GET", f"{A}/inboxes").status_code == 200
		other = call(mock, "GET", f"{A}/inboxes", headers={"X-Forwarded-For": "203.0.113.10"})
		assert other.status_code == 200


# The website widget


def identifier_hash(identifier: str) -> str:
	return hmac.new(b"widget-hmac-secret", identifier.encode(), hashlib.sha256).hexdigest()


def widget_session(mock, token: str | None = None) -> dict:
	query = {"website_token": "widget-token", **({"cw_conversation": token} if token else {})}
	return requests.get(f"{mock.url}/widget", params=query, timeout=5).json()


def set_user(mock, session: dict | None, body: dict) -> requests.Response:
	headers = {"X-Auth-Token": session["auth_token"]} if session else {}
	return requests.patch(
		f"{mock.url}/api/v1/widget/contact/set_user",
		params={"website_token": "widget-token"},
		json=body,
		headers=headers,
		timeout=5,
	)


def test_a_browser_gets_a_widget_session_with_a_new_contact(mock_chatwoot, webhook_receiver):
	subscribe(mock_chatwoot, webhook_receiver.url, ["contact_created"])
	session = widget_session(mock_chatwoot)
	assert mock_chatwoot.contacts[session["contact_id"]]["email"] is None
	assert widget_session(mock_chatwoot, session["auth_token"]) == session  # the cookie's session again
	[created] = payloads(mock_chatwoot.wait_for_deliveries(1))
	assert created["id"] == session["contact_id"]
	unknown = requests.get(f"{mock_chatwoot.url}/widget", params={"website_token": "nope"}, timeout=5)
	assert (unknown.status_code, unknown.json()) == (404, {"error": "web widget does not exist"})


def test_a_session_of_another_inbox_starts_anew(mock_chatwoot):
	"""The SDK keeps one cw_conversation cookie per site; another inbox's widget finds no contact of
	its own for it and makes one (widgets_controller.rb set_contact, build_contact)."""
	other = mock_chatwoot.add_inbox({"name": "Brand B website", "channel_type": "Channel::WebWidget"})
	session = widget_session(mock_chatwoot)
	query = {"website_token": other["website_token"], "cw_conversation": session["auth_token"]}
	there = requests.get(f"{mock_chatwoot.url}/widget", params=query, timeout=5).json()
	assert there["auth_token"] != session["auth_token"]
	assert there["contact_id"] != session["contact_id"]
	assert widget_session(mock_chatwoot, session["auth_token"]) == session  # still good in its own inbox


def test_set_user_needs_the_session_and_a_valid_hash(mock_chatwoot):
	identifier = "erpnext:ann@example.com:abc"
	assert set_user(mock_chatwoot, None, {"identifier": identifier}).status_code == 404  # no X-Auth-Token
	session = widget_session(mock_chatwoot)
	for body in ({"identifier": identifier, "identifier_hash": "0" * 64}, {"identifier": identifier}):
		refused = set_user(mock_chatwoot, session, body)  # the inbox makes the hash mandatory
		assert (refused.status_code, refused.json()) == (
			401,
			{"error": "HMAC failed: Invalid Identifier Hash Provided"},
		)
	proven = set_user(
		mock_chatwoot,
		session,
		{
			"identifier": identifier,
			"identifier_hash": identifier_hash(identifier),
			"name": "Ann",
			"email": "ann@example.com",
		},
	).json()
	assert proven == {
		"id": session["contact_id"],
		"has_email": True,
		"has_name": True,
		"has_phone_number": False,
	}
	contact_inbox = next(
		ci for ci in mock_chatwoot.contact_inboxes.values() if ci["contact_id"] == proven["id"]
	)
	assert contact_inbox["hmac_verified"] is True


def test_set_user_merges_the_session_into_the_contact_with_that_identifier(mock_chatwoot):
	session = widget_session(mock_chatwoot)
	merged = set_user(
		mock_chatwoot,
		session,
		{"identifier": "CUST-00017", "identifier_hash": identifier_hash("CUST-00017"), "name": "Jane Doe"},
	).json()
	assert merged["id"] == 1042 and session["contact_id"] not in mock_chatwoot.contacts
	# the session's contact inbox now belongs to Jane
	contact_inbox = mock_chatwoot.widget_sessions[session["auth_token"]]
	assert mock_chatwoot.contact_inboxes[contact_inbox]["contact_id"] == 1042


# The mock's own controls: faults, latency, bursts and the /__mock routes


def test_injected_rate_limits_are_retried_for_reads(mock_chatwoot):
	mock_chatwoot.fail_next(429, times=2, method="GET")
	assert client(mock_chatwoot).get_account()["name"] == "Acme Support"
	assert len(mock_chatwoot.requests) == 3


def test_injected_rate_limit_outlasting_the_retries_is_reported(mock_chatwoot):
	mock_chatwoot.fail_next(429, times=10)
	with pytest.raises(RateLimitError):
		client(mock_chatwoot).list_inboxes()
	assert len(mock_chatwoot.requests) == FAST.max_attempts


def test_injected_outage_does_not_duplicate_a_message(mock_chatwoot):
	mock_chatwoot.fail_next(503, path_contains="/messages", method="POST")
	with pytest.raises(ServerError):
		client(mock_chatwoot).send_message(58, "Only once")
	assert sum(1 for m in mock_chatwoot.messages.values() if m["content"] == "Only once") == 0
	assert mock_chatwoot.requests.count(("POST", "/api/v1/accounts/3/conversations/58/messages")) == 1


def test_latency_hits_the_read_timeout(mock_chatwoot):
	from chat_bridge.chatwoot import ChatwootTimeoutError

	mock_chatwoot.latency = 0.3
	api = ChatwootAPI(
		mock_chatwoot.url, "admin-token", 3, timeout=(1, 0.1), retry=RetryPolicy(max_attempts=1)
	)
	with pytest.raises(ChatwootTimeoutError):
		api.get_account()


def test_connections_are_kept_alive(mock_chatwoot):
	transport = Transport(mock_chatwoot.url, "admin-token", retry=FAST)
	api = ChatwootAPI(mock_chatwoot.url, "admin-token", 3, transport=transport)
	for _ in range(3):
		api.get_account()
	pool = transport.session.get_adapter(mock_chatwoot.url).poolmanager
	assert len(pool.pools) == 1


ALL_EVENTS = [
	"contact_created",
	"contact_updated",
	"conversation_created",
	"conversation_updated",
	"conversation_status_changed",
	"message_created",
]


def wait_for(condition, seconds: float = 10.0):
	deadline = time.monotonic() + seconds
	while not condition():
		assert time.monotonic() < deadline, "gave up waiting"
		time.sleep(0.02)


def test_a_burst_sends_a_mix_from_many_senders_with_duplicates(mock_chatwoot, webhook_receiver):
	secret = subscribe(mock_chatwoot, webhook_receiver.url, ALL_EVENTS)
	seeded = set(mock_chatwoot.messages)
	burst = mock_chatwoot.start_burst(60, duplicates=5, window=10, senders=4)
	wait_for(lambda: burst.done)
	report = burst.report(detail=True)
	unique = report["unique"]
	assert 60 <= unique < 80  # the last conversation is made up whole
	assert (report["deliveries"], report["sent"]) == (unique + 5, unique + 5)
	assert report["statuses"] == {"200": unique + 5}
	assert len(webhook_receiver.received) == unique + 5
	ids = [
		{k.lower(): v for k, v in d["headers"].items()}["x-chatwoot-delivery"]
		for d in webhook_receiver.received
	]
	assert len(set(ids)) == unique  # each duplicate repeats its delivery's id
	assert sum(r["duplicate"] for r in report["results"]) == 5
	sent = [json.loads(d["body"]) for d in webhook_receiver.received]
	assert {"contact_created", "conversation_created", "message_created"} <= {p["event"] for p in sent}
	# Every message the burst made up was announced.
	announced = {p["id"] for p in sent if p["event"] == "message_created"}
	assert announced == set(mock_chatwoot.messages) - seeded
	delivery = webhook_receiver.received[0]
	headers = {k.lower(): v for k, v in delivery["headers"].items()}
	verify_signature(
		secret, delivery["body"], headers["x-chatwoot-signature"], headers["x-chatwoot-timestamp"]
	)


def test_a_burst_of_one_event_keeps_a_pace(mock_chatwoot, webhook_receiver):
	subscribe(mock_chatwoot, webhook_receiver.url, ALL_EVENTS)
	burst = mock_chatwoot.start_burst(20, senders=4, rate=100, events=["message_created"])
	wait_for(lambda: burst.done)
	assert {json.loads(d["body"])["event"] for d in webhook_receiver.received} == {"message_created"}
	assert burst.report()["seconds"] >= 0.19  # 20 at 100 a second


def test_the_control_routes_drive_a_separate_mock(mock_chatwoot, webhook_receiver):
	subscribe(mock_chatwoot, webhook_receiver.url, ALL_EVENTS)
	control = requests.Session()
	seeded = control.post(
		f"{mock_chatwoot.url}/__mock/seed", json={"contacts": 30, "conversations": 10}
	).json()
	assert seeded["conversations"] >= 10
	control.post(
		f"{mock_chatwoot.url}/__mock/faults", json={"status": 503, "times": 1, "path_contains": "/agents"}
	)
	assert call(mock_chatwoot, "GET", f"{A}/agents").status_code == 503
	assert call(mock_chatwoot, "GET", f"{A}/agents").status_code == 200
	started = control.post(f"{mock_chatwoot.url}/__mock/burst", json={"deliveries": 15, "senders": 3}).json()
	assert started["unique"] >= 15
	wait_for(lambda: control.get(f"{mock_chatwoot.url}/__mock/burst").json()["done"])
	contact = call(mock_chatwoot, "GET", f"{A}/contacts").json()["payload"][-1]["id"]
	call(
		mock_chatwoot,
		"PUT",
		f"{A}/contacts/{contact}",
		json={"custom_attributes": {"erpnext_customer": "CUST-1"}},
	)
	stats = control.get(f"{mock_chatwoot.url}/__mock/stats").json()
	assert stats["busiest_second"] >= 1
	assert stats["contacts_with_customer"] == 2  # Jane's seed and this one
