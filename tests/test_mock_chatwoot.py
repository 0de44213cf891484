"""The client against the running mock Chatwoot over loopback, and the mock's own behaviour."""

import json
import time

import pytest
import requests

from chat_bridge.chatwoot import (
	AuthenticationError,
	ChatwootAPI,
	ForbiddenError,
	NotFoundError,
	PlatformAPI,
	RateLimitError,
	RetryPolicy,
	ServerError,
	ValidationError,
)
from chat_bridge.chatwoot.signature import verify_signature
from chat_bridge.chatwoot.transport import Transport

FAST = RetryPolicy(base_delay=0.01, max_delay=0.02)


def client(mock, token="admin-token") -> ChatwootAPI:
	return ChatwootAPI(mock.url, token, 3, retry=FAST)


def test_contact_round_trip(mock_chatwoot):
	api = client(mock_chatwoot)
	created = api.create_contact(
		name="Björn Ångström", email="bjorn@example.com", phone_number="+46701234567"
	)
	contact_id = created["payload"]["contact"]["id"]
	assert api.get_contact(contact_id)["payload"]["email"] == "bjorn@example.com"
	found = api.search_contacts("ångström")["payload"]
	assert [c["id"] for c in found] == [contact_id]
	api.update_contact(contact_id, name="Björn A.", custom_attributes={"tier": "silver"})
	updated = api.get_contact(contact_id)["payload"]
	assert (updated["name"], updated["custom_attributes"]) == ("Björn A.", {"tier": "silver"})
	by_filter = api.filter_contacts(
		[
			{
				"attribute_key": "email",
				"filter_operator": "equal_to",
				"values": ["BJORN@example.com"],
				"query_operator": None,
			}
		]
	)
	assert [c["id"] for c in by_filter["payload"]] == [contact_id]


def test_iterating_a_thousand_contacts(mock_chatwoot):
	mock_chatwoot.add_contacts(1000)
	ids = [c["id"] for c in client(mock_chatwoot).iter_contacts()]
	assert len(ids) == 1001 and len(set(ids)) == 1001
	# 15 a page: 67 pages with contacts, and the empty one that ends the listing
	assert sum(1 for method, path in mock_chatwoot.requests if path.endswith("/contacts")) == 68


def test_conversation_work(mock_chatwoot):
	api = client(mock_chatwoot)
	conversations = list(api.iter_conversations(status="open"))
	assert [c["id"] for c in conversations] == [58]
	api.assign_conversation(58, assignee_id=12, team_id=4)
	api.add_labels(58, ["vip"])
	api.add_labels(58, ["billing", "vip"])
	api.toggle_priority(58, "high")
	reply = api.send_message(58, "It ships tomorrow.")
	note = api.send_message(58, "Gold customer", private=True)
	api.toggle_status(58, "resolved")
	conversation = api.get_conversation(58)
	assert conversation["status"] == "resolved"
	assert conversation["labels"] == ["vip", "billing"]
	assert conversation["meta"]["assignee"]["id"] == 12
	assert conversation["meta"]["team"]["name"] == "Sales"
	assert conversation["priority"] == "high"
	assert [m["id"] for m in api.iter_messages(58)] == [901, reply["id"], note["id"]]
	assert reply["message_type"] == 1 and note["private"] is True
	assert list(api.iter_conversations(status="open")) == []


def test_errors_as_chatwoot_answers_them(mock_chatwoot):
	with pytest.raises(AuthenticationError, match="Invalid Access Token"):
		client(mock_chatwoot, token="wrong").get_profile()
	with pytest.raises(ForbiddenError):
		client(mock_chatwoot, token="agent-token").list_webhooks()
	with pytest.raises(NotFoundError, match="Resource could not be found"):
		client(mock_chatwoot).get_conversation(999)
	with pytest.raises(ValidationError) as caught:
		client(mock_chatwoot).create_contact(name="Jane again", email="JANE.DOE@example.com")
	assert caught.value.attributes == ["email"]
	with pytest.raises(ValidationError, match="e164"):
		client(mock_chatwoot).create_contact(name="Bad phone", phone_number="0415 555")


def test_agents_only_see_their_inboxes(mock_chatwoot):
	admin, agent = client(mock_chatwoot), client(mock_chatwoot, "agent-token")
	contact = admin.create_contact(name="API customer", email="api@example.com")["payload"]["contact"]
	conversation = admin.create_conversation(inbox_id=8, contact_id=contact["id"])
	with pytest.raises(NotFoundError):
		agent.get_conversation(conversation["id"])
	assert {c["id"] for c in admin.iter_conversations(status="all")} == {58, conversation["id"]}


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


def test_registered_webhook_receives_a_signed_delivery(mock_chatwoot, webhook_receiver):
	api = client(mock_chatwoot)
	secret = api.create_webhook(webhook_receiver.url, ["message_created"])["payload"]["webhook"]["secret"]
	api.send_message(58, "Tracking number: <b>1Z999</b> & more")
	mock_chatwoot.wait_for_deliveries(1)
	[delivery] = webhook_receiver.received
	headers = {k.lower(): v for k, v in delivery["headers"].items()}
	verify_signature(
		secret, delivery["body"], headers["x-chatwoot-signature"], headers["x-chatwoot-timestamp"]
	)
	assert len(headers["x-chatwoot-delivery"]) == 36
	payload = json.loads(delivery["body"])
	assert payload["event"] == "message_created"
	assert payload["message_type"] == "outgoing"
	assert payload["conversation"]["id"] == 58
	assert payload["content"] == "Tracking number: <b>1Z999</b> & more"
	assert b"\\u003cb\\u003e" in delivery["body"]  # escaped as Rails does


def test_webhook_subscriptions_filter_events(mock_chatwoot, webhook_receiver):
	api = client(mock_chatwoot)
	api.create_webhook(webhook_receiver.url, ["conversation_status_changed"])
	api.send_message(58, "no delivery for this")
	api.toggle_status(58, "resolved")
	deliveries = mock_chatwoot.wait_for_deliveries(1)
	assert [d["event"] for d in deliveries] == ["conversation_status_changed"]


def test_customer_message_emits_message_and_contact_activity(mock_chatwoot, webhook_receiver):
	api = client(mock_chatwoot)
	api.create_webhook(webhook_receiver.url, ["message_created", "contact_updated"])
	mock_chatwoot.customer_says(58, "Any news?")
	events = [d["event"] for d in mock_chatwoot.wait_for_deliveries(2)]
	assert events == ["message_created", "contact_updated"]


def test_platform_api(mock_chatwoot):
	platform = PlatformAPI(mock_chatwoot.url, "platform-token", retry=FAST)
	user = platform.create_user("New Agent", "new.agent@example.com", "Secret-pass-1!")
	again = platform.create_user("New Agent", "new.agent@example.com", "Secret-pass-1!")
	assert again["id"] == user["id"]
	account = platform.create_account("Second Shop")
	assert platform.add_account_user(account["id"], user["id"], "administrator")["role"] == "administrator"
	assert platform.get_sso_link(user["id"])["url"].startswith(mock_chatwoot.url)
	# The new user's own token works on the Application API.
	assert (
		ChatwootAPI(mock_chatwoot.url, user["access_token"], 3).get_profile()["email"]
		== "new.agent@example.com"
	)
	with pytest.raises(AuthenticationError):
		PlatformAPI(mock_chatwoot.url, "admin-token", retry=FAST).create_account("Nope")


def test_one_session_is_reused(mock_chatwoot):
	transport = Transport(mock_chatwoot.url, "admin-token", retry=FAST)
	api = ChatwootAPI(mock_chatwoot.url, "admin-token", 3, transport=transport)
	for _ in range(3):
		api.get_account()
	pool = transport.session.get_adapter(mock_chatwoot.url).poolmanager
	assert len(pool.pools) == 1


# The website widget


def set_user(mock, body: dict, website_token: str = "widget-token"):
	import requests

	return requests.patch(
		f"{mock.url}/api/v1/widget/contact/set_user",
		params={"website_token": website_token},
		json=body,
		timeout=5,
	)


def test_the_inbox_list_shows_the_identity_token_to_administrators_only(mock_chatwoot):
	[admin_view] = [i for i in client(mock_chatwoot).list_inboxes()["payload"] if i["id"] == 7]
	[agent_view] = client(mock_chatwoot, "agent-token").list_inboxes()["payload"]
	assert admin_view["website_token"] == agent_view["website_token"] == "widget-token"
	assert admin_view["hmac_mandatory"] is True
	assert admin_view["hmac_token"] == "widget-hmac-secret"
	assert "hmac_token" not in agent_view


def test_the_loader_is_served_as_a_script_to_any_site(mock_chatwoot):
	import requests

	answer = requests.get(f"{mock_chatwoot.url}/packs/js/sdk.js", timeout=5)
	assert answer.status_code == 200
	assert answer.headers["Content-Type"].startswith("application/javascript")
	assert answer.headers["Access-Control-Allow-Origin"] == "*"
	assert "chatwootSDK" in answer.text and "setUser" in answer.text
	preflight = requests.options(f"{mock_chatwoot.url}/api/v1/widget/contact/set_user", timeout=5)
	assert preflight.status_code == 204 and "PATCH" in preflight.headers["Access-Control-Allow-Methods"]


def test_a_proven_identity_makes_a_verified_contact(mock_chatwoot, webhook_receiver):
	from chat_bridge.chatwoot.signature import identifier_hash

	client(mock_chatwoot).create_webhook(webhook_receiver.url, ["contact_created", "conversation_created"])
	answer = set_user(
		mock_chatwoot,
		{
			"identifier": "erpnext:ann@example.com:abc",
			"identifier_hash": identifier_hash("widget-hmac-secret", "erpnext:ann@example.com:abc"),
			"name": "Ann Lee",
			"email": "ann@example.com",
			"custom_attributes": {"erpnext_contact": "Ann Lee"},
		},
	)
	assert answer.status_code == 200
	contact = mock_chatwoot.contacts[answer.json()["id"]]
	assert contact["identifier"] == "erpnext:ann@example.com:abc"
	assert contact["custom_attributes"] == {"erpnext_contact": "Ann Lee"}
	mock_chatwoot.visitor_says(contact["id"], "Where is my parcel?")
	events = {d["event"]: json.loads(d["body"]) for d in mock_chatwoot.wait_for_deliveries(2)}
	assert events["contact_created"]["identifier"] == "erpnext:ann@example.com:abc"
	conversation = events["conversation_created"]
	assert conversation["meta"]["hmac_verified"] is True
	assert conversation["contact_inbox"]["hmac_verified"] is True


@pytest.mark.parametrize(
	"body",
	[
		{"identifier": "erpnext:ann@example.com:abc", "identifier_hash": "0" * 64},
		{"identifier": "erpnext:ann@example.com:abc"},  # the inbox makes the check mandatory
	],
)
def test_an_unproven_identity_is_refused_as_chatwoot_refuses_it(mock_chatwoot, body):
	answer = set_user(mock_chatwoot, body)
	assert answer.status_code == 401
	assert answer.json() == {"error": "HMAC failed: Invalid Identifier Hash Provided"}
	assert not any(c["identifier"] == body["identifier"] for c in mock_chatwoot.contacts.values())


def test_without_mandatory_validation_an_identity_passes_unverified(mock_chatwoot):
	mock_chatwoot.inboxes[7]["hmac_mandatory"] = False
	answer = set_user(mock_chatwoot, {"identifier": "anyone", "name": "Claimed"})
	assert answer.status_code == 200
	assert (7, answer.json()["id"]) not in mock_chatwoot.verified_identities


def test_an_unknown_website_token_is_not_found(mock_chatwoot):
	assert set_user(mock_chatwoot, {"identifier": "x"}, website_token="nope").status_code == 404


# Provisioning agents


def test_platform_rules(mock_chatwoot):
	platform = PlatformAPI(mock_chatwoot.url, "platform-token", retry=FAST)
	with pytest.raises(ValidationError) as weak:
		platform.create_user("Weak", "weak@example.com", "password")
	assert weak.value.attributes == ["password"] and "uppercase" in str(weak.value)
	# Ada exists and was not made by the platform app: hands off, until her e-mail is claimed.
	with pytest.raises(AuthenticationError, match="Non permissible resource"):
		platform.get_user(1)
	claimed = platform.create_user("Ada", "ADA@acme.example", "whatever")
	assert claimed["id"] == 1 and platform.get_user(1)["email"] == "ada@acme.example"
	assert 1 not in mock_chatwoot.passwords  # a claimed user keeps her password


def test_a_new_user_joins_the_account_and_leaves_it(mock_chatwoot):
	platform, admin = PlatformAPI(mock_chatwoot.url, "platform-token", retry=FAST), client(mock_chatwoot)
	user = platform.create_user("Ann", "ann@example.com", "Secret-pass-1!")
	assert user["id"] not in [a["id"] for a in admin.list_agents()]
	with pytest.raises(AuthenticationError):
		ChatwootAPI(mock_chatwoot.url, user["access_token"], 3).get_account()
	platform.add_account_user(3, user["id"], "agent")
	assert user["id"] in [a["id"] for a in admin.list_agents()]
	admin.add_inbox_members(7, [user["id"]])
	platform.remove_account_user(3, user["id"])
	assert user["id"] not in [a["id"] for a in admin.list_agents()]
	assert user["id"] not in [a["id"] for a in admin.list_inbox_members(7)["payload"]]
	platform.delete_user(user["id"])
	with pytest.raises(NotFoundError):
		platform.get_user(user["id"])


def test_inbox_members_are_added_replaced_and_removed(mock_chatwoot):
	admin = client(mock_chatwoot)
	members = lambda inbox: sorted(a["id"] for a in admin.list_inbox_members(inbox)["payload"])  # noqa: E731
	assert members(7) == [1, 12]
	assert members(8) == [1]
	admin.add_inbox_members(8, [12])
	assert members(8) == [1, 12]
	admin.transport.request(
		"PATCH", "/api/v1/accounts/3/inbox_members", json_body={"inbox_id": 8, "user_ids": [12]}
	)
	assert members(8) == [12]
	admin.remove_inbox_members(8, [12])
	assert members(8) == []
	with pytest.raises(NotFoundError):
		admin.add_inbox_members(8, [999])
	with pytest.raises(ForbiddenError):
		client(mock_chatwoot, "agent-token").list_inbox_members(7)


def test_the_sign_in_link_is_for_the_platform_apps_users_only(mock_chatwoot):
	platform = PlatformAPI(mock_chatwoot.url, "platform-token", retry=FAST)
	with pytest.raises(AuthenticationError, match="Non permissible resource"):
		platform.get_sso_link(12)
	user = platform.create_user("Ann", "ann@example.com", "Secret-pass-1!")
	assert "sso_auth_token=" in platform.get_sso_link(user["id"])["url"]


# ERPNext inside Chatwoot


def test_dashboard_apps(mock_chatwoot):
	admin = client(mock_chatwoot)
	app = admin.create_dashboard_app("ERPNext", "https://erp.example.com/chatwoot-app")
	assert app["content"] == [{"type": "frame", "url": "https://erp.example.com/chatwoot-app"}]
	admin.update_dashboard_app(app["id"], "ERPNext", "https://erp2.example.com/chatwoot-app")
	agent = client(mock_chatwoot, "agent-token")
	assert [a["id"] for a in agent.list_dashboard_apps()] == [app["id"]]  # every agent can read them
	with pytest.raises(ForbiddenError):
		agent.create_dashboard_app("Mine", "https://evil.example.com")
	with pytest.raises(ValidationError):
		admin.create_dashboard_app("Bad", "javascript:alert(1)")


def test_custom_attribute_definitions_follow_chatwoots_rules(mock_chatwoot):
	admin = client(mock_chatwoot)
	made = admin.create_custom_attribute_definition("erpnext_outstanding", "Outstanding", "currency")
	assert (made["attribute_model"], made["attribute_display_type"]) == ("contact_attribute", "currency")
	with pytest.raises(ValidationError, match="already been taken"):
		admin.create_custom_attribute_definition("erpnext_outstanding", "Again", "number")
	with pytest.raises(ValidationError, match="standard attribute"):
		admin.create_custom_attribute_definition("email", "Email", "text")
	admin.create_custom_attribute_definition(
		"erpnext_outstanding", "For conversations", "number", model="conversation_attribute"
	)
	assert [d["attribute_key"] for d in admin.list_custom_attribute_definitions()] == ["erpnext_outstanding"]
	updated = admin.update_custom_attribute_definition(made["id"], "Owes", "number")
	assert (updated["attribute_display_name"], updated["attribute_display_type"]) == ("Owes", "number")
	with pytest.raises(ForbiddenError):
		client(mock_chatwoot, "agent-token").create_custom_attribute_definition("x_key", "X", "text")


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
	secret = client(mock_chatwoot).create_webhook(webhook_receiver.url, ALL_EVENTS)["payload"]["webhook"][
		"secret"
	]
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
	payloads = [json.loads(d["body"]) for d in webhook_receiver.received]
	assert {"contact_created", "conversation_created", "message_created"} <= {p["event"] for p in payloads}
	# Every message the burst made up was announced.
	announced = {p["id"] for p in payloads if p["event"] == "message_created"}
	assert announced == set(mock_chatwoot.messages) - seeded
	delivery = webhook_receiver.received[0]
	headers = {k.lower(): v for k, v in delivery["headers"].items()}
	verify_signature(
		secret, delivery["body"], headers["x-chatwoot-signature"], headers["x-chatwoot-timestamp"]
	)


def test_a_burst_of_one_event_keeps_a_pace(mock_chatwoot, webhook_receiver):
	client(mock_chatwoot).create_webhook(webhook_receiver.url, ALL_EVENTS)
	burst = mock_chatwoot.start_burst(20, senders=4, rate=100, events=["message_created"])
	wait_for(lambda: burst.done)
	assert {json.loads(d["body"])["event"] for d in webhook_receiver.received} == {"message_created"}
	assert burst.report()["seconds"] >= 0.19  # 20 at 100 a second


def test_the_control_routes_drive_a_separate_mock(mock_chatwoot, webhook_receiver):
	client(mock_chatwoot).create_webhook(webhook_receiver.url, ALL_EVENTS)
	control = requests.Session()
	seeded = control.post(
		f"{mock_chatwoot.url}/__mock/seed", json={"contacts": 30, "conversations": 10}
	).json()
	assert seeded["conversations"] >= 10
	control.post(
		f"{mock_chatwoot.url}/__mock/faults", json={"status": 503, "times": 1, "path_contains": "/agents"}
	)
	assert client(mock_chatwoot).list_agents()  # the 503 was retried
	started = control.post(f"{mock_chatwoot.url}/__mock/burst", json={"deliveries": 15, "senders": 3}).json()
	assert started["unique"] >= 15
	wait_for(lambda: control.get(f"{mock_chatwoot.url}/__mock/burst").json()["done"])
	contact = client(mock_chatwoot).list_contacts()["payload"][0]["id"]
	client(mock_chatwoot).update_contact(contact, custom_attributes={"erpnext_customer": "CUST-1"})
	stats = control.get(f"{mock_chatwoot.url}/__mock/stats").json()
	assert stats["busiest_second"] >= 1
	assert stats["contacts_with_customer"] == 1
