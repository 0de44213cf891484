"""Reports and search: the summary report, the agents' summary, CSAT metrics, and message search.

Chatwoot computes reports from its reporting events; the mock computes the same figures from the
conversations and messages it keeps (when each began, was first answered, was resolved, and who
sent what), over the same end-exclusive period.
"""

from collections.abc import Callable
from dataclasses import dataclass

from tests.mock_chatwoot_api.accounts import require_admin
from tests.mock_chatwoot_api.errors import not_found, server_error
from tests.mock_chatwoot_api.routing import integer_id, page_number, route

SEARCH_PER_PAGE = 15
SEARCH_WINDOW = 90 * 86400  # 3.months.ago


def period(query: dict) -> tuple[float, float] | None:
	"""`since...until`; either missing gives no range at all, which matches nothing."""
	try:
		return float(query["since"][0]), float(query["until"][0])
	except (KeyError, ValueError, IndexError):
		return None


def average(values: list[float]) -> float | None:
	return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Scope:
	"""What a report counts (the `scope` of V2::Reports::Timeseries::BaseTimeseriesBuilder): which
	conversations, and which of the account's messages."""

	conversation: Callable[[dict], bool]
	message: Callable[[dict], bool]


def report_scope(mock, context: dict, kind: str | None, record_id) -> Scope:
	"""The account, or the agent, inbox, label or team with that id (404 outside the account). An
	agent's messages are those they sent; the others' are their conversations'
	(app/builders/v2/reports/timeseries/base_timeseries_builder.rb:9-52; label.rb:37-47; team.rb:54-60)."""
	if kind is None:
		raise server_error()  # nil.to_sym
	account_id = context["account_id"]
	if kind == "account":
		return Scope(lambda c: True, lambda m: True)
	if kind == "agent":
		user = account_member(mock, account_id, record_id)
		return Scope(
			lambda c: c["assignee_id"] == user["id"],
			lambda m: m["sender_type"] == "User" and m["sender_id"] == user["id"],
		)
	if kind not in SCOPED:
		raise server_error()  # a scope of nil
	record = SCOPED[kind](mock).get(integer_id(record_id) or 0)
	if record is None or record["account_id"] != account_id:
		raise not_found()
	holds = {
		"inbox": lambda c: c["inbox_id"] == record["id"],
		"label": lambda c: record["title"].lower() in (label.lower() for label in c["label_list"]),
		"team": lambda c: c["team_id"] == record["id"],
	}[kind]
	return Scope(holds, lambda m: holds(mock.conversation_of(m)))


SCOPED = {
	"inbox": lambda mock: mock.inboxes,
	"label": lambda mock: mock.labels,
	"team": lambda mock: mock.teams,
}


def account_member(mock, account_id: int, user_id) -> dict:
	user = mock.users.get(integer_id(user_id) or 0)
	if user is None or account_id not in user["accounts"]:
		raise not_found()
	return user


def figures(mock, account_id: int, span: tuple[float, float] | None, scope: Scope) -> dict:
	def within(moment) -> bool:
		return span is not None and moment is not None and span[0] <= moment < span[1]

	conversations = [c for c in mock.all_conversations(account_id) if scope.conversation(c)]
	messages = [
		m
		for m in mock.messages.values()
		if m["account_id"] == account_id and within(m["created_at"]) and scope.message(m)
	]
	begun = [c for c in conversations if within(c["created_at"])]
	resolved = [c for c in conversations if within(c.get("resolved_at"))]
	answered = [c for c in conversations if within(c["first_reply_created_at"])]
	return {
		"conversations_count": len(begun),
		"incoming_messages_count": sum(1 for m in messages if m["message_type"] == 0),
		"outgoing_messages_count": sum(1 for m in messages if m["message_type"] == 1),
		"avg_first_response_time": average([c["first_reply_created_at"] - c["created_at"] for c in answered]),
		"avg_resolution_time": average([c["resolved_at"] - c["created_at"] for c in resolved]),
		"resolutions_count": len(resolved),
		"reply_time": None,
	}


def report_summary(mock, context, params, query, body):
	require_admin(context)
	kind = query.get("type", [None])[0]
	scope = report_scope(mock, context, kind, query.get("id", [None])[0])
	span = period(query)
	previous = (2 * span[0] - span[1], span[0]) if span else None
	return {
		**figures(mock, context["account_id"], span, scope),
		"previous": figures(mock, context["account_id"], previous, scope),
	}


def agent_summary(mock, context, params, query, body):
	"""Every agent of the account in one answer: no message counts."""
	require_admin(context)
	span = period(query)
	rows = []
	for user in mock.members(context["account_id"]):
		mine = figures(mock, context["account_id"], span, report_scope(mock, context, "agent", user["id"]))
		rows.append(
			{
				"id": user["id"],
				"conversations_count": mine["conversations_count"],
				"resolved_conversations_count": mine["resolutions_count"],
				"avg_resolution_time": mine["avg_resolution_time"],
				"avg_first_response_time": mine["avg_first_response_time"],
				"avg_reply_time": None,
			}
		)
	return rows


def csat_metrics(mock, context, params, query, body):
	"""Responses in the period, of the conversations of `user_ids[]` when given; the surveys sent
	are the account's, whoever the agent."""
	require_admin(context)
	span = period(query)
	agents = {int(u) for u in query.get("user_ids[]", [])}

	def within(moment) -> bool:
		return span is None or span[0] <= moment < span[1]

	responses = [
		r
		for r in mock.csat_responses
		if r["account_id"] == context["account_id"]
		and within(r["created_at"])
		and (not agents or r["assigned_agent_id"] in agents)
	]
	ratings: dict[str, int] = {}
	for response in responses:
		ratings[str(response["rating"])] = ratings.get(str(response["rating"]), 0) + 1
	surveys = [
		m
		for m in mock.messages.values()
		if m["account_id"] == context["account_id"]
		and m["content_type"] == "input_csat"
		and within(m["created_at"])
	]
	return {
		"total_count": len(responses),
		"ratings_count": ratings,
		"total_sent_messages_count": len(surveys),
	}


def search_messages(mock, context, params, query, body):
	"""Messages of the last three months whose content holds `q`, in the caller's inboxes,
	private notes and activity messages among them."""
	from tests.mock_chatwoot_api.conversations import assigned_inbox_ids

	text = (query.get("q", [""])[0] or "").strip().lower()
	inboxes = assigned_inbox_ids(mock, context)
	since = mock.clock() - SEARCH_WINDOW
	found = [
		m
		for m in sorted(mock.messages.values(), key=lambda m: -m["created_at"])
		if m["account_id"] == context["account_id"]
		and m["inbox_id"] in inboxes
		and m["created_at"] >= since
		and m["content"] is not None  # ILIKE never matches a NULL
		and text in m["content"].lower()
	]
	page = page_number(query)
	shown = found[(page - 1) * SEARCH_PER_PAGE : page * SEARCH_PER_PAGE]
	return {"payload": {"messages": [mock.presenters.message_rest(m) for m in shown]}}


A = "/api/v1/accounts/{account_id}"
ROUTES = [
	route("GET", "/api/v2/accounts/{account_id}/reports/summary", report_summary),
	route("GET", "/api/v2/accounts/{account_id}/summary_reports/agent", agent_summary),
	route("GET", f"{A}/csat_survey_responses/metrics", csat_metrics),
	route("GET", f"{A}/search/messages", search_messages),
]
