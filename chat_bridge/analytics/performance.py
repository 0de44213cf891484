"""Each agent's figures over a period: from Chatwoot's reports while API access is on, else from
what the sync has stored.

Chatwoot allows 100 report requests a minute per token. Its agent summary gives every agent's
conversations and times in one request it does not count; only the messages each agent sent need
a request per agent, asked while the account's agents stay within the limit, else taken from the
synced messages. The answer for a period is kept for a few minutes: a support lead opening the
report twice does not ask twice.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import frappe
from frappe import _
from frappe.utils import get_fullname, getdate

from chat_bridge.analytics.figures import FIRST_RESPONSE, RESOLUTION, AgentFigures, from_chatwoot
from chat_bridge.chatwoot.errors import ChatwootError
from chat_bridge.clients import system_client
from chat_bridge.features import Feature
from chat_bridge.install import CHAT_MESSAGES_INDEX
from chat_bridge.records.times import to_utc
from chat_bridge.settings import feature_enabled, get_settings
from chat_bridge.sync.messages import SENDER_ID_FIELD, record_prefix

REPORT_CACHE_SECONDS = 600
# Per-agent report requests one run may make: under Chatwoot's 100 a minute per token, with room
# for a second report opened in the same minute.
REPORT_REQUESTS_PER_RUN = 45
REPORT_CACHE_KEY = "chat_bridge:agent_report:{account_id}:{since}:{until}"
FROM_CHATWOOT, FROM_SYNC = "Chatwoot's reports", "the synced conversations"


@dataclass(frozen=True)
class Performance:
	rows: list[AgentFigures]
	source: str
	note: str | None = None


def period(from_date, to_date) -> tuple[datetime, datetime]:
	"""The site-local datetimes [start of from_date, start of the day after to_date)."""
	first, last = getdate(from_date), getdate(to_date)
	if last < first:
		frappe.throw(frappe._("To Date is before From Date."))
	return datetime.combine(first, time.min), datetime.combine(last + timedelta(days=1), time.min)


def agent_performance(account_id: int, from_date: date, to_date: date) -> Performance:
	start, end = period(from_date, to_date)
	if feature_enabled(Feature.API) and get_settings().chatwoot_url:
		try:
			return Performance(from_chatwoot_reports(account_id, start, end), FROM_CHATWOOT)
		except ChatwootError as error:
			return Performance(
				from_synced_data(account_id, start, end),
				FROM_SYNC,
				_("Chatwoot could not be asked ({0}): these figures are the synced ones.").format(
					type(error).__name__
				),
			)
	return Performance(from_synced_data(account_id, start, end), FROM_SYNC)


def from_chatwoot_reports(account_id: int, start: datetime, end: datetime) -> list[AgentFigures]:
	since, until = int(to_utc(start).timestamp()), int(to_utc(end).timestamp()) - 1
	key = REPORT_CACHE_KEY.format(account_id=account_id, since=since, until=until)
	kept = frappe.cache.get_value(key, expires=True)
	if kept is not None:
		return kept
	client = system_client(account_id=account_id)
	users = dict(frappe.get_all("Chatwoot User Token", fields=["chatwoot_user_id", "user"], as_list=True))
	agents = client.list_agents() or []
	summaries = {row.get("id"): row for row in client.get_agent_summaries(since, until)}
	ask_each = len(agents) <= REPORT_REQUESTS_PER_RUN
	synced = {} if ask_each else messages_sent_by(account_id, start, end)
	rows = []
	for agent in agents:
		summary = agent_summary(summaries.get(agent["id"]) or {})
		summary["outgoing_messages_count"] = (
			client.get_report_summary(since, until, type="agent", id=agent["id"]).get(
				"outgoing_messages_count"
			)
			if ask_each
			else synced.get(agent["id"], 0)
		)
		user = users.get(agent["id"]) or frappe.db.get_value("User", {"email": agent.get("email")})
		rows.append(from_chatwoot(agent, summary, client.get_csat_metrics(since, until, [agent["id"]]), user))
	frappe.cache.set_value(key, rows, expires_in_sec=REPORT_CACHE_SECONDS)
	return rows


def agent_summary(row: dict) -> dict:
	"""A row of Chatwoot's agent summary in the words of its reports summary."""
	return {
		"conversations_count": row.get("conversations_count"),
		"resolutions_count": row.get("resolved_conversations_count"),
		"avg_first_response_time": row.get("avg_first_response_time"),
		"avg_resolution_time": row.get("avg_resolution_time"),
	}


def from_synced_data(account_id: int, start: datetime, end: datetime) -> list[AgentFigures]:
	"""Per assignee, of the conversations begun in the period: how many, how many are resolved,
	how fast they were first answered and resolved; and the chat messages the agent sent in it."""
	rows = frappe.db.sql(
		f"""select chatwoot_assignee_id, max(assignee) as user, count(*) as assigned,
			sum(status = 'resolved') as resolved,
			avg({FIRST_RESPONSE}) as first_response, avg({RESOLUTION}) as resolution
		from `tabChatwoot Conversation Mapping`
		where account_id = %(account_id)s and chatwoot_assignee_id > 0
			and chatwoot_created_at >= %(start)s and chatwoot_created_at < %(end)s
		group by chatwoot_assignee_id""",  # noqa: S608 -- fixed expressions; values as parameters
		{"account_id": account_id, "start": start, "end": end},
		as_dict=True,
	)
	sent = messages_sent_by(account_id, start, end)
	figures = []
	for row in rows:
		figures.append(
			AgentFigures(
				agent=get_fullname(row.user) if row.user else f"Chatwoot agent {row.chatwoot_assignee_id}",
				chatwoot_agent_id=row.chatwoot_assignee_id,
				user=row.user,
				assigned=int(row.assigned or 0),
				resolved=int(row.resolved or 0),
				first_response_seconds=float(row.first_response) if row.first_response is not None else None,
				resolution_seconds=float(row.resolution) if row.resolution is not None else None,
				messages_sent=sent.get(row.chatwoot_assignee_id, 0),
			)
		)
	return sorted(figures, key=lambda f: f.agent.lower())


def messages_sent_by(account_id: int, start: datetime, end: datetime) -> dict[int, int]:
	"""Chat messages sent in the account in the period, by the Chatwoot agent who sent them.

	A synced message's name carries its account (`record_prefix`). The app's index is named when it
	is there: left to itself, MariaDB prefers reading the whole table by name over a long period."""
	hint = (
		f"force index (`{CHAT_MESSAGES_INDEX}`)"
		if frappe.db.has_index("tabCommunication", CHAT_MESSAGES_INDEX)
		else ""
	)
	return dict(
		frappe.db.sql(
			f"""select {SENDER_ID_FIELD}, count(*) from `tabCommunication` {hint}
			where communication_medium = 'Chat' and sent_or_received = 'Sent'
				and communication_date >= %(start)s and communication_date < %(end)s
				and {SENDER_ID_FIELD} > 0 and name like %(names)s
			group by {SENDER_ID_FIELD}""",  # noqa: S608 -- fixed names
			{"start": start, "end": end, "names": record_prefix(account_id) + "%"},
		)
	)
