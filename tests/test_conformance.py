"""The client and the mock against Chatwoot's own OpenAPI spec.

Every path and method the client calls must exist in the spec, and the mock's answers must validate
against the spec's response schemas where it has them. The spec lags the real API in places
(Chatwoot's code is the authority); where it does, the exception is written down in SPEC_LAGS
below, next to the test that needs it.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import pytest
import requests
import responses
from openapi_schema_validator import OAS31Validator

from chat_bridge.chatwoot import ChatwootAPI, PlatformAPI, RetryPolicy
from tests.chatwoot_spec import SUBSET, find_full_spec, load_spec, reduce_spec
from tests.test_client import BASE, CASES, TOKEN


@cache
def spec() -> dict:
	return load_spec()


@pytest.mark.skipif(find_full_spec() is None, reason="the full spec (shared/chatwoot/spec) is not at hand")
def test_committed_subset_matches_the_full_spec():
	assert json.loads(SUBSET.read_text()) == reduce_spec(json.loads(find_full_spec().read_text()))


@cache
def spec_routes() -> list[tuple[re.Pattern, str, dict]]:
	routes = []
	# Literal segments first, so that …/contacts/search is not taken for …/contacts/{id}.
	for template, operations in sorted(spec()["paths"].items(), key=lambda item: item[0].count("{")):
		pattern = re.compile(re.sub(r"\\{[^}]+\\}", r"[^/]+", re.escape(template)) + "/?")
		for method, operation in operations.items():
			if method in ("get", "post", "put", "patch", "delete"):
				routes.append((pattern, method.upper(), operation))
	return routes


def spec_operation(method: str, path: str) -> dict | None:
	for pattern, spec_method, operation in spec_routes():
		if spec_method == method and pattern.fullmatch(path):
			return operation
	return None


def platform_calls(platform: PlatformAPI) -> None:
	platform.create_user("A", "a@example.com", "Secret-pass-1!")
	platform.create_account("Shop")
	platform.add_account_user(5, 6, "agent")
	platform.get_sso_link(6)
	platform.get_user(6)
	platform.remove_account_user(5, 6)
	platform.delete_user(6)


@responses.activate
def test_every_call_of_the_client_is_in_the_spec():
	responses.add_callback(
		responses.GET, re.compile(".*"), callback=lambda r: (200, {}, json.dumps({"payload": []}))
	)
	for method in ("POST", "PUT", "PATCH", "DELETE"):
		responses.add_callback(method, re.compile(".*"), callback=lambda r: (200, {}, "{}"))
	api = ChatwootAPI(BASE, TOKEN, 3, retry=RetryPolicy(max_attempts=1))
	for _description, call, *_ in CASES:
		call(api)
	api.get_report_summary(1, 2)
	api.add_labels(58, ["x"])
	list(api.iter_messages(58))
	platform_calls(PlatformAPI(BASE, TOKEN, retry=RetryPolicy(max_attempts=1)))

	called = {(c.request.method, urlsplit(c.request.url).path) for c in responses.calls}
	missing = sorted(f"{m} {p}" for m, p in called if spec_operation(m, p) is None)
	assert missing == sorted(NOT_IN_SPEC)
	assert len(called) >= 30


# Calls the spec does not document at all, with where they are documented instead.
NOT_IN_SPEC = {
	# Dashboard apps (FACTS §11: app/controllers/api/v1/accounts/dashboard_apps_controller.rb).
	"GET /api/v1/accounts/3/dashboard_apps",
	"POST /api/v1/accounts/3/dashboard_apps",
	"PATCH /api/v1/accounts/3/dashboard_apps/4",
	# CSAT metrics (app/controllers/api/v1/accounts/csat_survey_responses_controller.rb#metrics).
	"GET /api/v1/accounts/3/csat_survey_responses/metrics",
	# Message search (app/controllers/api/v1/accounts/search_controller.rb, search/messages.json.jbuilder).
	"GET /api/v1/accounts/3/search/messages",
}


@dataclass(frozen=True)
class SpecLag:
	"""An answer, or part of one, where the spec disagrees with what Chatwoot really sends."""

	method: str
	path: str  # a regular expression for the whole path
	why: str
	skip: bool = False  # the spec's schema does not fit the answer at all
	drop_null: frozenset[str] = frozenset()  # keys left out, wherever they hold null
	drop: frozenset[str] = frozenset()  # keys left out wherever they are

	def applies(self, method: str, path: str) -> bool:
		return method == self.method and re.fullmatch(self.path, path) is not None


SPEC_LAGS = [
	SpecLag(
		"POST",
		r".*/contacts",
		"create answers {payload: {contact, contact_inbox}}; the spec says a list",
		skip=True,
	),
	SpecLag(
		"GET",
		r".*/webhooks",
		"the list comes as {payload: {webhooks: [...]}}; the spec says a bare array",
		skip=True,
	),
	SpecLag(
		"GET",
		r".*/reports/summary",
		"averages are numbers of seconds; the spec types them as strings",
		drop=frozenset({"avg_first_response_time", "avg_resolution_time"}),
	),
	SpecLag(
		"GET",
		r"/api/v1/accounts/\d+",
		"domain and support_email are null until set (models/_account.json.jbuilder writes them as they are)",
		drop_null=frozenset({"domain", "support_email"}),
	),
	SpecLag(
		"GET",
		r".*/inboxes",
		"a channel's own keys are null on the others (_inbox.json.jbuilder: resource.channel.try(...))",
		drop_null=frozenset(
			{
				"website_token",
				"phone_number",
				"hmac_mandatory",
				"allowed_domains",
				"provider",
				"greeting_message",
			}
		),
	),
	SpecLag(
		"GET",
		r".*/conversations(/\d+)?",
		"meta.assignee is null while a conversation is unassigned; the spec allows only an object",
		drop_null=frozenset({"assignee"}),
	),
]


def without(value, keys: frozenset[str], only_null: bool):
	if isinstance(value, dict):
		return {
			k: without(v, keys, only_null)
			for k, v in value.items()
			if not (k in keys and (v is None or not only_null))
		}
	if isinstance(value, list):
		return [without(v, keys, only_null) for v in value]
	return value


def response_schema(operation: dict) -> dict | None:
	content = (operation.get("responses", {}).get("200") or {}).get("content", {})
	return (content.get("application/json") or {}).get("schema")


def validate(method: str, path: str, body) -> None:
	operation = spec_operation(method, path)
	assert operation is not None, f"{method} {path} is not in the spec"
	schema = response_schema(operation)
	if schema is None:
		return
	for lag in SPEC_LAGS:
		if lag.applies(method, path):
			if lag.skip:
				return
			body = without(without(body, lag.drop, only_null=False), lag.drop_null, only_null=True)
	document = {**schema, "components": spec()["components"]}
	OAS31Validator(document).validate(body)


class RecordingSession(requests.Session):
	"""Keeps every JSON answer, so each can be checked against the spec afterwards."""

	def __init__(self):
		super().__init__()
		self.answers = []

	def request(self, method, url, *args, **kwargs):
		response = super().request(method, url, *args, **kwargs)
		if response.ok and response.content:
			self.answers.append((method, urlsplit(url).path, response.json()))
		return response


def test_mock_answers_validate_against_the_spec(mock_chatwoot):
	from chat_bridge.chatwoot.transport import Transport

	session = RecordingSession()
	transport = Transport(mock_chatwoot.url, "admin-token", session=session)
	api = ChatwootAPI(mock_chatwoot.url, "admin-token", 3, transport=transport)
	api.get_account()
	api.get_profile()
	contact = api.create_contact(name="Spec Check", email="spec@example.com")["payload"]["contact"]
	api.list_contacts()
	api.search_contacts("spec")
	api.get_contact(contact["id"])
	api.update_contact(contact["id"], name="Spec Checked")
	api.get_contact_conversations(1042)
	conversation = api.create_conversation(inbox_id=7, contact_id=contact["id"])
	api.list_conversations(status="all")
	api.get_conversation(58)
	api.assign_conversation(58, assignee_id=12)
	api.set_labels(58, ["vip"])
	api.get_labels(58)
	api.send_message(conversation["id"], "Hello")
	api.list_messages(58)
	api.toggle_status(58, "resolved")
	api.list_inboxes()
	api.list_account_labels()
	api.list_teams()
	api.list_agents()
	api.create_webhook("https://erp.example.com/hook", ["message_created"])
	api.list_webhooks()
	api.get_report_summary(0, 2_000_000_000)

	assert len(session.answers) >= 20
	for method, path, body in session.answers:
		validate(method, path, body)


def test_the_contact_walk_sees_every_contact_while_contacts_change(mock_chatwoot):
	mock_chatwoot.add_contacts(40)
	api = ChatwootAPI(mock_chatwoot.url, "admin-token", 3)
	seen = []
	for number, (page, _total) in enumerate(api.contact_pages()):
		seen += [contact["id"] for contact in page]
		if number == 0:  # a customer already read writes, and Chatwoot updates their contact
			mock_chatwoot.update_contact(mock_chatwoot.contacts[page[0]["id"]], {"name": "Changed Meanwhile"})
	assert sorted(set(seen)) == sorted(contact["id"] for contact in mock_chatwoot.listed_contacts())
