"""The Application API client against `responses`: requests on the wire, paging, retries, errors."""

import itertools
import json
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from chat_bridge.chatwoot import (
	AccountAccessError,
	AuthenticationError,
	ChatwootAPI,
	ChatwootConnectionError,
	ChatwootError,
	ChatwootHTTPError,
	ChatwootTimeoutError,
	ForbiddenError,
	NotFoundError,
	NotPermissibleError,
	RateLimitError,
	RetryPolicy,
	ServerError,
	ValidationError,
)
from chat_bridge.chatwoot.transport import TOKEN_HEADER, USER_AGENT, Transport

BASE = "https://chat.example.com"
TOKEN = "sEcReT-token-123"
ACCOUNT = f"{BASE}/api/v1/accounts/3"


@pytest.fixture
def sleeps() -> list[float]:
	return []


@pytest.fixture
def api(sleeps) -> ChatwootAPI:
	transport = Transport(BASE + "/", TOKEN, retry=RetryPolicy(jitter=lambda a, b: 0.0), sleep=sleeps.append)
	return ChatwootAPI(BASE, TOKEN, 3, transport=transport)


def only_call() -> responses.Call:
	assert len(responses.calls) == 1, [c.request.url for c in responses.calls]
	return responses.calls[0]


def query_of(call: responses.Call) -> dict:
	return parse_qs(urlsplit(call.request.url).query)


def body_of(call: responses.Call):
	return json.loads(call.request.body) if call.request.body else None


CASES = [
	# (description, call, method, path, query, body)
	("account", lambda a: a.get_account(), "GET", "/api/v1/accounts/3", {}, None),
	("profile", lambda a: a.get_profile(), "GET", "/api/v1/profile", {}, None),
	(
		"contacts",
		lambda a: a.list_contacts(page=2, sort="-name"),
		"GET",
		"/contacts",
		{"page": ["2"], "sort": ["-name"]},
		None,
	),
	(
		"search",
		lambda a: a.search_contacts("jane doe", page=3),
		"GET",
		"/contacts/search",
		{"q": ["jane doe"], "page": ["3"]},
		None,
	),
	(
		"filter",
		lambda a: a.filter_contacts(
			[{"attribute_key": "email", "filter_operator": "equal_to", "values": ["a@b.c"]}]
		),
		"POST",
		"/contacts/filter",
		{"page": ["1"]},
		{"payload": [{"attribute_key": "email", "filter_operator": "equal_to", "values": ["a@b.c"]}]},
	),
	("get contact", lambda a: a.get_contact(1042), "GET", "/contacts/1042", {}, None),
	(
		"create contact",
		lambda a: a.create_contact(name="Jane", email="jane@example.com"),
		"POST",
		"/contacts",
		{},
		{"name": "Jane", "email": "jane@example.com"},
	),
	(
		"update contact",
		lambda a: a.update_contact(1042, name="Janet"),
		"PUT",
		"/contacts/1042",
		{},
		{"name": "Janet"},
	),
	(
		"contact conversations",
		lambda a: a.get_contact_conversations(1042),
		"GET",
		"/contacts/1042/conversations",
		{},
		None,
	),
	(
		"conversations",
		lambda a: a.list_conversations(
			status="all", assignee_type="unassigned", page=2, inbox_id=7, team_id=1, labels=["vip", "b2b"]
		),
		"GET",
		"/conversations",
		{
			"status": ["all"],
			"assignee_type": ["unassigned"],
			"page": ["2"],
			"inbox_id": ["7"],
			"team_id": ["1"],
			"labels[]": ["vip", "b2b"],
		},
		None,
	),
	("conversation", lambda a: a.get_conversation(58), "GET", "/conversations/58", {}, None),
	(
		"create conversation",
		lambda a: a.create_conversation(inbox_id=7, contact_id=1042, status="pending"),
		"POST",
		"/conversations",
		{},
		{"inbox_id": 7, "contact_id": 1042, "status": "pending"},
	),
	(
		"status",
		lambda a: a.toggle_status(58, "resolved"),
		"POST",
		"/conversations/58/toggle_status",
		{},
		{"status": "resolved"},
	),
	(
		"snooze",
		lambda a: a.toggle_status(58, "snoozed", snoozed_until=1781780000),
		"POST",
		"/conversations/58/toggle_status",
		{},
		{"status": "snoozed", "snoozed_until": 1781780000},
	),
	(
		"priority",
		lambda a: a.toggle_priority(58, "high"),
		"POST",
		"/conversations/58/toggle_priority",
		{},
		{"priority": "high"},
	),
	(
		"assign",
		lambda a: a.assign_conversation(58, assignee_id=12),
		"POST",
		"/conversations/58/assignments",
		{},
		{"assignee_id": 12},
	),
	(
		"unassign",
		lambda a: a.assign_conversation(58),
		"POST",
		"/conversations/58/assignments",
		{},
		{"assignee_id": None},
	),
	(
		"team",
		lambda a: a.assign_conversation(58, team_id=4),
		"POST",
		"/conversations/58/assignments",
		{},
		{"team_id": 4},
	),
	("labels", lambda a: a.get_labels(58), "GET", "/conversations/58/labels", {}, None),
	(
		"set labels",
		lambda a: a.set_labels(58, ["vip"]),
		"POST",
		"/conversations/58/labels",
		{},
		{"labels": ["vip"]},
	),
	(
		"messages",
		lambda a: a.list_messages(58, before=901),
		"GET",
		"/conversations/58/messages",
		{"before": ["901"]},
		None,
	),
	(
		"send",
		lambda a: a.send_message(58, "Hello"),
		"POST",
		"/conversations/58/messages",
		{},
		{"content": "Hello", "message_type": "outgoing", "private": False},
	),
	(
		"note",
		lambda a: a.send_message(58, "Check stock", private=True, content_attributes={"in_reply_to": 901}),
		"POST",
		"/conversations/58/messages",
		{},
		{
			"content": "Check stock",
			"message_type": "outgoing",
			"private": True,
			"content_attributes": {"in_reply_to": 901},
		},
	),
	("inboxes", lambda a: a.list_inboxes(), "GET", "/inboxes", {}, None),
	("inbox members", lambda a: a.list_inbox_members(7), "GET", "/inbox_members/7", {}, None),
	(
		"add inbox members",
		lambda a: a.add_inbox_members(7, [12, "13"]),
		"POST",
		"/inbox_members",
		{},
		{"inbox_id": 7, "user_ids": [12, 13]},
	),
	(
		"remove inbox members",
		lambda a: a.remove_inbox_members(7, [12]),
		"DELETE",
		"/inbox_members",
		{},
		{"inbox_id": 7, "user_ids": [12]},
	),
	("account labels", lambda a: a.list_account_labels(), "GET", "/labels", {}, None),
	("dashboard apps", lambda a: a.list_dashboard_apps(), "GET", "/dashboard_apps", {}, None),
	(
		"csat metrics",
		lambda a: a.get_csat_metrics(100, 200, [12]),
		"GET",
		"/csat_survey_responses/metrics",
		{"since": ["100"], "until": ["200"], "user_ids[]": ["12"]},
		None,
	),
	(
		"search messages",
		lambda a: a.search_messages("parcel"),
		"GET",
		"/search/messages",
		{"q": ["parcel"], "page": ["1"]},
		None,
	),
	(
		"create dashboard app",
		lambda a: a.create_dashboard_app("ERPNext", "https://erp.example.com/chatwoot-app"),
		"POST",
		"/dashboard_apps",
		{},
		{
			"dashboard_app": {
				"title": "ERPNext",
				"content": [{"type": "frame", "url": "https://erp.example.com/chatwoot-app"}],
			}
		},
	),
	(
		"update dashboard app",
		lambda a: a.update_dashboard_app(4, "ERPNext", "https://erp.example.com/chatwoot-app"),
		"PATCH",
		"/dashboard_apps/4",
		{},
		{
			"dashboard_app": {
				"title": "ERPNext",
				"content": [{"type": "frame", "url": "https://erp.example.com/chatwoot-app"}],
			}
		},
	),
	(
		"attribute definitions",
		lambda a: a.list_custom_attribute_definitions(),
		"GET",
		"/custom_attribute_definitions",
		{"attribute_model": ["contact_attribute"]},
		None,
	),
	(
		"create attribute definition",
		lambda a: a.create_custom_attribute_definition("erpnext_outstanding", "Outstanding", "currency"),
		"POST",
		"/custom_attribute_definitions",
		{},
		{
			"custom_attribute_definition": {
				"attribute_key": "erpnext_outstanding",
				"attribute_display_name": "Outstanding",
				"attribute_display_type": "currency",
				"attribute_model": "contact_attribute",
			}
		},
	),
	(
		"update attribute definition",
		lambda a: a.update_custom_attribute_definition(9, "Outstanding", "number"),
		"PATCH",
		"/custom_attribute_definitions/9",
		{},
		{
			"custom_attribute_definition": {
				"attribute_display_name": "Outstanding",
				"attribute_display_type": "number",
			}
		},
	),
	("teams", lambda a: a.list_teams(), "GET", "/teams", {}, None),
	("agents", lambda a: a.list_agents(), "GET", "/agents", {}, None),
	(
		"create agent",
		lambda a: a.create_agent("Ann", "ann@example.com", role="administrator"),
		"POST",
		"/agents",
		{},
		{"name": "Ann", "email": "ann@example.com", "role": "administrator"},
	),
	(
		"update agent",
		lambda a: a.update_agent(12, name="Ann B"),
		"PATCH",
		"/agents/12",
		{},
		{"name": "Ann B"},
	),
	("delete agent", lambda a: a.delete_agent(12), "DELETE", "/agents/12", {}, None),
	("webhooks", lambda a: a.list_webhooks(), "GET", "/webhooks", {}, None),
	(
		"create webhook",
		lambda a: a.create_webhook(
			"https://erp.example.com/hook", ["message_created", "contact_created"], name="ERPNext"
		),
		"POST",
		"/webhooks",
		{},
		{
			"webhook": {
				"url": "https://erp.example.com/hook",
				"subscriptions": ["message_created", "contact_created"],
				"name": "ERPNext",
			}
		},
	),
	(
		"update webhook",
		lambda a: a.update_webhook(5, subscriptions=["message_created"]),
		"PATCH",
		"/webhooks/5",
		{},
		{"webhook": {"subscriptions": ["message_created"]}},
	),
	("delete webhook", lambda a: a.delete_webhook(5), "DELETE", "/webhooks/5", {}, None),
]


@responses.activate
@pytest.mark.parametrize("description, call, method, path, query, body", CASES, ids=[c[0] for c in CASES])
def test_request_on_the_wire(api, description, call, method, path, query, body):
	url = path if path.startswith("/api/") else f"/api/v1/accounts/3{path}"
	responses.add(method, BASE + url, json={"payload": []})
	call(api)
	sent = only_call()
	assert urlsplit(sent.request.url).path == url
	assert query_of(sent) == query
	assert body_of(sent) == body
	assert sent.request.headers[TOKEN_HEADER] == TOKEN
	assert "api_access_token" not in {h.lower() for h in sent.request.headers if h != TOKEN_HEADER}
	assert sent.request.headers["User-Agent"] == USER_AGENT


@responses.activate
def test_report_summary_uses_v2_and_unix_times(api):
	from datetime import datetime, timezone

	responses.add("GET", f"{BASE}/api/v2/accounts/3/reports/summary", json={"conversations_count": 3})
	api.get_report_summary(datetime(2026, 6, 1, tzinfo=timezone.utc), 1782000000, type="inbox", id=7)
	assert query_of(only_call()) == {
		"type": ["inbox"],
		"id": ["7"],
		"since": ["1780272000"],
		"until": ["1782000000"],
	}


@responses.activate
def test_empty_answer_is_none(api):
	responses.add("POST", f"{ACCOUNT}/conversations/58/toggle_priority", body="")
	assert api.toggle_priority(58, "urgent") is None


def test_values_are_checked_before_any_request(api):
	with pytest.raises(ValueError, match="status must be one of"):
		api.toggle_status(58, "closed")
	with pytest.raises(ValueError, match="Not a Chatwoot id"):
		api.get_conversation("58/../../profile")
	with pytest.raises(ValueError, match="webhook event must be one of"):
		api.create_webhook("https://x.example/h", ["message.created"])
	with pytest.raises(ValueError, match="needs some content"):
		api.send_message(58, "   ")
	with pytest.raises(ValueError, match="source_id, or an inbox_id"):
		api.create_conversation(inbox_id=7)


def test_account_id_and_url_are_validated():
	from chat_bridge.chatwoot import ConfigurationError

	with pytest.raises(ConfigurationError):
		ChatwootAPI("https://chat.example.com", TOKEN, 0)
	with pytest.raises(ConfigurationError):
		ChatwootAPI("chat.example.com", TOKEN, 3)
	assert ChatwootAPI("https://Chat.Example.com/", TOKEN, "3").base_url == "https://chat.example.com"


# Paging


@responses.activate
def test_iter_contacts_pages_until_an_empty_page(api):
	for page, ids in ((1, range(1, 16)), (2, range(16, 31)), (3, range(31, 33)), (4, [])):
		responses.add(
			"GET",
			f"{ACCOUNT}/contacts",
			json={"meta": {"count": 32, "current_page": page}, "payload": [{"id": i} for i in ids]},
			match=[matchers.query_param_matcher({"page": str(page)})],
		)
	assert [c["id"] for c in api.iter_contacts()] == list(range(1, 33))
	assert len(responses.calls) == 4


@responses.activate
def test_iter_conversations_unwraps_data_and_keeps_filters(api):
	for page, ids in ((1, [58, 57]), (2, [])):
		responses.add(
			"GET",
			f"{ACCOUNT}/conversations",
			json={"data": {"meta": {"all_count": 2}, "payload": [{"id": i} for i in ids]}},
			match=[
				matchers.query_param_matcher(
					{"status": "resolved", "assignee_type": "all", "page": str(page)}
				)
			],
		)
	assert [c["id"] for c in api.iter_conversations(status="resolved")] == [58, 57]


@responses.activate
def test_iter_messages_streams_oldest_first_with_after(api):
	# Chatwoot gives up to 100 messages after the cursor: a full page may have more behind it.
	pages = {"0": range(1, 101), "100": range(101, 201), "200": []}
	for after, ids in pages.items():
		responses.add(
			"GET",
			f"{ACCOUNT}/conversations/58/messages",
			json={"meta": {}, "payload": [{"id": i} for i in ids]},
			match=[matchers.query_param_matcher({"after": after})],
		)
	assert [m["id"] for m in api.iter_messages(58)] == list(range(1, 201))


@responses.activate
def test_iter_messages_asks_no_further_than_a_short_page(api):
	responses.add("GET", f"{ACCOUNT}/conversations/58/messages", json={"payload": [{"id": 1}, {"id": 2}]})
	assert [m["id"] for m in api.iter_messages(58)] == [1, 2]
	assert len(responses.calls) == 1


@responses.activate
def test_iter_messages_stops_when_the_server_ignores_the_cursor(api):
	full = {"payload": [{"id": i} for i in range(1, 101)]}
	responses.add("GET", f"{ACCOUNT}/conversations/58/messages", json=full)
	assert [m["id"] for m in api.iter_messages(58)] == list(range(1, 101))
	assert len(responses.calls) == 2


@responses.activate
def test_add_labels_merges_with_the_existing_set(api):
	responses.add("GET", f"{ACCOUNT}/conversations/58/labels", json={"payload": ["vip", "b2b"]})
	responses.add("POST", f"{ACCOUNT}/conversations/58/labels", json={"payload": ["vip", "b2b", "urgent"]})
	api.add_labels(58, ["b2b", "urgent"])
	assert body_of(responses.calls[1]) == {"labels": ["vip", "b2b", "urgent"]}


@responses.activate
def test_add_labels_writes_nothing_when_nothing_is_new(api):
	responses.add("GET", f"{ACCOUNT}/conversations/58/labels", json={"payload": ["vip"]})
	assert api.add_labels(58, ["vip"]) == {"payload": ["vip"]}
	assert len(responses.calls) == 1


# Retries


@responses.activate
@pytest.mark.parametrize("status", [502, 503, 504])
def test_reads_are_retried_on_try_later_statuses(api, sleeps, status):
	responses.add("GET", f"{ACCOUNT}/conversations/58", status=status, body="Retry later")
	responses.add("GET", f"{ACCOUNT}/conversations/58", json={"id": 58})
	assert api.get_conversation(58) == {"id": 58}
	assert len(responses.calls) == 2
	assert sleeps == [0.25]


def client_at(moment: float, sleeps: list, **policy) -> ChatwootAPI:
	retry = RetryPolicy(jitter=lambda low, high: low, clock=lambda: moment, **policy)
	return ChatwootAPI(
		BASE, TOKEN, 3, transport=Transport(BASE + "/", TOKEN, retry=retry, sleep=sleeps.append)
	)


@responses.activate
def test_a_429_is_retried_in_chatwoots_next_rate_limit_window(sleeps):
	responses.add("GET", f"{ACCOUNT}/conversations/58", status=429, body="Retry later")
	responses.add("GET", f"{ACCOUNT}/conversations/58", json={"id": 58})
	# 20 s into a minute: Rack::Attack's window ends in 40 s, and a retry before then is refused.
	api = client_at(1_800_000_020.0, sleeps)
	assert api.get_conversation(58) == {"id": 58}
	assert sleeps == [40.5]


@responses.activate
def test_a_person_waiting_is_not_kept_a_minute_by_a_429(sleeps):
	responses.add("GET", f"{ACCOUNT}/conversations/58", status=429, body="Retry later")
	api = client_at(
		1_800_000_020.0, sleeps, max_attempts=3, max_delay=2.0, max_total=5.0, rate_limit_window=None
	)
	with pytest.raises(RateLimitError):
		api.get_conversation(58)
	assert sum(sleeps) <= 5.0


@responses.activate
def test_backoff_grows_and_gives_up_after_max_attempts(api, sleeps):
	responses.add("GET", f"{ACCOUNT}/conversations/58", status=503)
	with pytest.raises(ServerError):
		api.get_conversation(58)
	assert len(responses.calls) == 5
	assert sleeps == [0.25, 0.5, 1.0, 2.0]


@responses.activate
def test_retry_after_is_honoured_but_capped(api, sleeps):
	responses.add("GET", f"{ACCOUNT}/inboxes", status=429, headers={"Retry-After": "3"})
	responses.add("GET", f"{ACCOUNT}/inboxes", status=429, headers={"Retry-After": "3600"})
	responses.add("GET", f"{ACCOUNT}/inboxes", json={"payload": []})
	api.list_inboxes()
	assert sleeps == [3.0, 8.0]


@responses.activate
@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500])
def test_other_statuses_are_not_retried(api, status):
	responses.add("GET", f"{ACCOUNT}/conversations/58", status=status, json={"error": "nope"})
	with pytest.raises(ChatwootHTTPError):
		api.get_conversation(58)
	assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_a_message_is_never_sent_twice_after_reaching_chatwoot(api, sleeps, status):
	responses.add("POST", f"{ACCOUNT}/conversations/58/messages", status=status)
	with pytest.raises(ChatwootHTTPError):
		api.send_message(58, "Your order ships tomorrow")
	assert len(responses.calls) == 1
	assert sleeps == []


@responses.activate
def test_a_message_is_not_resent_after_a_read_timeout(api, sleeps):
	responses.add(
		"POST", f"{ACCOUNT}/conversations/58/messages", body=requests.exceptions.ReadTimeout("slow")
	)
	with pytest.raises(ChatwootTimeoutError) as caught:
		api.send_message(58, "Your order ships tomorrow")
	assert caught.value.request_sent
	assert len(responses.calls) == 1


@responses.activate
def test_a_message_is_resent_when_the_connection_was_never_made(api, sleeps):
	responses.add(
		"POST", f"{ACCOUNT}/conversations/58/messages", body=requests.exceptions.ConnectTimeout("no route")
	)
	responses.add("POST", f"{ACCOUNT}/conversations/58/messages", json={"id": 904})
	assert api.send_message(58, "Your order ships tomorrow") == {"id": 904}
	assert len(responses.calls) == 2


@responses.activate
def test_state_setting_posts_are_retried_like_reads(api):
	responses.add("POST", f"{ACCOUNT}/conversations/58/toggle_status", status=503)
	responses.add("POST", f"{ACCOUNT}/conversations/58/toggle_status", json={"payload": {"success": True}})
	api.toggle_status(58, "open")
	assert len(responses.calls) == 2


@responses.activate
def test_connection_errors_on_reads_are_retried(api):
	responses.add("GET", f"{ACCOUNT}/teams", body=requests.exceptions.ConnectionError("reset"))
	responses.add("GET", f"{ACCOUNT}/teams", json=[])
	assert api.list_teams() == []


def test_total_retry_time_is_bounded():
	policy = RetryPolicy(max_attempts=50, base_delay=1, max_delay=10, max_total=12, jitter=lambda a, b: b)
	error = ServerError("x", status=503)
	waits, elapsed, attempt = [], 0.0, 1
	while (wait := policy.next_delay(attempt, error, idempotent=True, elapsed=elapsed)) is not None:
		waits.append(wait)
		elapsed += wait
		attempt += 1
	assert sum(waits) <= 12
	assert waits == [1.0, 2.0, 4.0]


def test_backoff_jitter_stays_between_half_and_full_ceiling():
	policy = RetryPolicy(base_delay=1, max_delay=100)
	error = ServerError("x", status=503)
	for attempt in range(1, 6):
		ceiling = 2 ** (attempt - 1)
		for _ in range(50):
			assert ceiling / 2 <= policy.delay(attempt, error) <= ceiling


# Errors


@responses.activate
@pytest.mark.parametrize(
	"status, body, error_class, detail",
	[
		(401, {"error": "Invalid Access Token"}, AuthenticationError, "Invalid Access Token"),
		(403, {"error": "You are not authorized to do this action"}, ForbiddenError, "not authorized"),
		# Chatwoot refuses a valid token with 401 and says why only in the message
		# (app/controllers/concerns/request_exception_handler.rb:15-17).
		(401, {"error": "You are not authorized to do this action"}, ForbiddenError, "not authorized"),
		(401, {"error": "You are not authorized to access this account"}, AccountAccessError, "this account"),
		(401, {"error": "Account is suspended"}, AccountAccessError, "suspended"),
		(401, {"error": "Non permissible resource"}, NotPermissibleError, "Non permissible"),
		(404, {"error": "Resource could not be found"}, NotFoundError, "Resource could not be found"),
		(500, {"error": "boom"}, ServerError, "boom"),
		(418, "I'm a teapot", ChatwootHTTPError, "teapot"),
	],
)
def test_each_status_has_its_error(api, status, body, error_class, detail):
	kwargs = {"json": body} if isinstance(body, dict) else {"body": body}
	responses.add("GET", f"{ACCOUNT}/conversations/58", status=status, **kwargs)
	with pytest.raises(error_class) as caught:
		api.get_conversation(58)
	error = caught.value
	assert type(error) is error_class
	assert isinstance(error, ChatwootError)
	assert error.status == status
	assert f"GET /api/v1/accounts/3/conversations/58: Chatwoot answered {status}" in str(error)
	assert detail in str(error)


@responses.activate
def test_validation_error_carries_message_and_attributes(api):
	responses.add(
		"POST",
		f"{ACCOUNT}/contacts",
		status=422,
		json={"message": "Email has already been taken", "attributes": ["email"]},
	)
	with pytest.raises(ValidationError) as caught:
		api.create_contact(name="Jane", email="jane@example.com")
	assert caught.value.attributes == ["email"]
	assert "Email has already been taken" in str(caught.value)


@responses.activate
def test_rate_limit_error_after_retries(api, sleeps):
	responses.add(
		"GET", f"{ACCOUNT}/contacts/search", status=429, body="Retry later", content_type="text/plain"
	)
	with pytest.raises(RateLimitError) as caught:
		api.search_contacts("jane")
	assert caught.value.retry_after is None
	assert "Retry later" in str(caught.value)


@responses.activate
def test_non_json_success_is_a_clear_error(api):
	responses.add("GET", f"{ACCOUNT}/inboxes", body="<html>login</html>", status=200)
	with pytest.raises(ChatwootError, match="not JSON"):
		api.list_inboxes()


def test_unreachable_server_is_a_connection_error_naming_the_url():
	# Port 9 on loopback: nothing listens there, so the connection is refused at once.
	api = ChatwootAPI("http://127.0.0.1:9", TOKEN, 3, retry=RetryPolicy(max_attempts=1))
	with pytest.raises(ChatwootConnectionError) as caught:
		api.get_account()
	assert "could not reach Chatwoot at http://127.0.0.1:9" in str(caught.value)
	assert caught.value.request_sent is False


@responses.activate
def test_token_never_shows_in_errors_or_reprs(api):
	responses.add("GET", f"{ACCOUNT}/conversations/58", status=401, json={"error": "Invalid Access Token"})
	responses.add(
		"POST",
		f"{ACCOUNT}/conversations/58/messages",
		body=requests.exceptions.ConnectionError(f"boom {BASE}"),
	)
	errors = []
	for call in (lambda: api.get_conversation(58), lambda: api.send_message(58, "hi")):
		with pytest.raises(ChatwootError) as caught:
			call()
		errors.append(caught.value)
	for text in [*(str(e) for e in errors), *(repr(e) for e in errors), repr(api), repr(api.transport)]:
		assert TOKEN not in text


def test_a_token_is_required():
	with pytest.raises(ValueError, match="token is required"):
		ChatwootAPI(BASE, "", 3)


# Pace


def test_requests_to_one_chatwoot_keep_to_the_rate():
	from chat_bridge.chatwoot.ratelimit import RateLimiter

	now, slept = [100.0], []

	def sleep(seconds):
		slept.append(seconds)
		now[0] += seconds

	limiter = RateLimiter(50, clock=lambda: now[0], sleep=sleep)
	sent = []
	for _ in range(201):
		limiter.wait()
		sent.append(now[0])
	assert all(b - a >= 0.02 - 1e-9 for a, b in itertools.pairwise(sent))  # one each 20 ms at most
	# and never more than 50 in any second, counted from any request: the 51st waits a little longer
	assert all(later - sent[i] > 1.0 for i, later in enumerate(sent[50:]))
	assert sent[-1] - sent[0] == pytest.approx(4 * (1.0 + 0.01))
	now[0] += 5  # idle for a while: no credit is saved up beyond the next slot
	assert limiter.wait() == 0
	assert limiter.wait() == pytest.approx(0.02)


def test_a_limiter_without_a_limit_never_waits_and_a_rate_must_be_positive():
	import math

	from chat_bridge.chatwoot.ratelimit import RateLimiter

	slept = []
	limiter = RateLimiter(math.inf, clock=lambda: 100.0, sleep=slept.append)
	assert [limiter.wait() for _ in range(1000)] == [0.0] * 1000
	assert slept == []
	for rate in (0, -1, math.nan):
		with pytest.raises(ValueError):
			RateLimiter(rate)


def test_every_client_of_one_chatwoot_shares_its_pace():
	from chat_bridge.chatwoot.ratelimit import limiter_for
	from chat_bridge.chatwoot.transport import Transport

	one = Transport("https://chat.example.com", "a")
	other = Transport("https://chat.example.com/", "b")
	elsewhere = Transport("https://chat.other.example", "c")
	assert one.limiter is other.limiter is limiter_for("https://chat.example.com")
	assert elsewhere.limiter is not one.limiter


@responses.activate
def test_the_client_never_goes_faster_than_fifty_requests_a_second():
	import time

	responses.add(responses.GET, f"{BASE}/api/v1/accounts/3", json={"id": 3})
	api = ChatwootAPI(BASE, TOKEN, 3)
	started = time.monotonic()
	for _ in range(26):
		api.get_account()
	assert time.monotonic() - started >= 0.5 - 0.01  # 25 intervals of 20 ms


@responses.activate
def test_pages_come_with_the_total_chatwoot_states(api):
	for page, ids in {"1": [1, 2], "2": [3], "3": []}.items():
		responses.add(
			"GET",
			f"{ACCOUNT}/contacts",
			json={"meta": {"count": 3, "current_page": int(page)}, "payload": [{"id": i} for i in ids]},
			match=[matchers.query_param_matcher({"page": page}, strict_match=False)],
		)
		responses.add(
			"GET",
			f"{ACCOUNT}/conversations",
			json={"data": {"meta": {"all_count": 3}, "payload": [{"id": i} for i in ids]}},
			match=[matchers.query_param_matcher({"page": page}, strict_match=False)],
		)
	assert [([c["id"] for c in items], total) for items, total in api.contact_pages()] == [
		([1, 2], 3),
		([3], 3),
	]
	pages = api.conversation_pages(status="all")
	assert [([c["id"] for c in items], total) for items, total in pages] == [([1, 2], 3), ([3], 3)]


@responses.activate
def test_messages_since_a_moment_page_backwards_until_they_are_older(api):
	since = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
	at = int(since.timestamp())
	latest = [{"id": i, "created_at": at + i} for i in range(81, 101)]  # all in the window
	older = [{"id": i, "created_at": at - 100 + i} for i in range(61, 81)]  # all before `since`
	responses.add(
		"GET",
		f"{ACCOUNT}/conversations/58/messages",
		json={"payload": latest},
		match=[matchers.query_param_matcher({})],
	)
	responses.add(
		"GET",
		f"{ACCOUNT}/conversations/58/messages",
		json={"payload": older},
		match=[matchers.query_param_matcher({"before": "81"})],
	)
	ids = [m["id"] for m in api.iter_messages_since(58, since)]
	assert ids == list(
		range(81, 101)
	)  # the older page reaches back past `since`: nothing of it, no more asked
	assert len(responses.calls) == 2


@responses.activate
def test_messages_since_stop_at_a_short_latest_page(api):
	since = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
	page = [{"id": i, "created_at": int(since.timestamp()) + i} for i in range(1, 4)]
	responses.add("GET", f"{ACCOUNT}/conversations/58/messages", json={"payload": page})
	assert [m["id"] for m in api.iter_messages_since(58, since)] == [1, 2, 3]
	assert len(responses.calls) == 1


def test_a_request_woken_late_moves_the_pace_along():
	from chat_bridge.chatwoot.ratelimit import RateLimiter

	now = [100.0]
	late = iter([0.015] + [0.0] * 100)  # the first sleeper wakes 15 ms late, as in a busy process

	def sleep(seconds):
		now[0] += seconds + next(late)

	limiter = RateLimiter(50, clock=lambda: now[0], sleep=sleep)
	limiter.wait()  # at once
	sent = []
	for _ in range(60):
		limiter.wait()
		sent.append(now[0])
	assert sent[1] - sent[0] == pytest.approx(0.02)  # the next counts from when the late one went
	assert all(later - sent[i] > 1.0 for i, later in enumerate(sent[50:]))


def test_a_shared_pace_is_asked_before_every_request_and_waited_for():
	from chat_bridge.chatwoot.ratelimit import RateLimiter

	now, answers, asked = [100.0], iter([0.3, 0.0, 0.0]), []

	def sleep(seconds):
		now[0] += seconds

	def shared():
		asked.append(now[0])
		return next(answers)

	limiter = RateLimiter(50, clock=lambda: now[0], sleep=sleep, shared=shared)
	assert limiter.wait() == pytest.approx(0.3)  # the other processes have taken this second's slots
	limiter.wait()
	assert asked == [100.0, 100.3, pytest.approx(100.32)]
