"""The synced conversations of a period, counted one way or another: by day, status, inbox, team,
label, priority, assignee or hour of the day, or spread over first-response and resolution times.

Everything is read from the Chatwoot Conversation Mappings, by the day a conversation began in
Chatwoot, with one query per view; labels (a list on each conversation) and the time
distributions are counted here.
"""

from collections import Counter
from datetime import datetime, timedelta

import frappe
from frappe import _

from chat_bridge.accounts import account_for_viewer, account_label, visible_accounts
from chat_bridge.analytics.figures import (
	FIRST_RESPONSE,
	FIRST_RESPONSE_BUCKETS,
	RESOLUTION,
	RESOLUTION_BUCKETS,
	UNASSIGNED,
	days,
	distribution,
	median,
	rate,
	with_every,
)
from chat_bridge.chatwoot.errors import ChatwootError
from chat_bridge.clients import system_client
from chat_bridge.features import Feature
from chat_bridge.permissions import require_analytics_reader
from chat_bridge.settings import feature_enabled

VIEWS = (
	"Day",
	"Status",
	"Inbox",
	"Team",
	"Label",
	"Priority",
	"Assignee",
	"Hour of Day",
	"First Response Time",
	"Resolution Time",
)
# The column each grouping view groups on.
GROUPED = {
	"Day": "date(chatwoot_created_at)",
	"Status": "status",
	"Inbox": "inbox_id",
	"Team": "team",
	"Priority": "priority",
	"Assignee": "assignee",
	"Hour of Day": "hour(chatwoot_created_at)",
}


def conditions(account_id: int, start: datetime, end: datetime, filters: dict) -> tuple[str, dict]:
	"""The where clause of a period's conversations, narrowed by inbox, team and label: made of fixed
	fragments, with every value passed as a query parameter."""
	clauses = [
		"account_id = %(account_id)s",
		"chatwoot_created_at >= %(start)s",
		"chatwoot_created_at < %(end)s",
	]
	values = {"account_id": account_id, "start": start, "end": end}
	if filters.get("inbox"):
		clauses.append("inbox_id = %(inbox)s")
		values["inbox"] = int(filters["inbox"])
	if filters.get("team"):
		clauses.append("team = %(team)s")
		values["team"] = filters["team"]
	if filters.get("label"):
		clauses.append("concat(', ', labels, ', ') like %(label)s")
		values["label"] = f"%, {filters['label'].strip()}, %"
	return " and ".join(clauses), values


def summary(where: str, values: dict) -> dict:
	[row] = frappe.db.sql(
		f"""select count(*) as conversations, sum(status = 'resolved') as resolved,
			sum(status = 'open') as open, sum({UNASSIGNED}) as unassigned
		from `tabChatwoot Conversation Mapping` where {where}""",  # noqa: S608 -- fixed fragments, values as parameters
		values,
		as_dict=True,
	)
	return row


def timings(where: str, values: dict) -> tuple[list[int], list[int]]:
	rows = frappe.db.sql(
		f"""select {FIRST_RESPONSE}, {RESOLUTION} from `tabChatwoot Conversation Mapping`
		where {where} and (first_reply_at is not null or resolved_at is not null)""",  # noqa: S608
		values,
	)
	return [r[0] for r in rows if r[0] is not None], [r[1] for r in rows if r[1] is not None]


def grouped(view: str, where: str, values: dict) -> list[dict]:
	column = GROUPED[view]
	return frappe.db.sql(
		f"""select {column} as value, count(*) as conversations, sum(status = 'resolved') as resolved,
			avg({FIRST_RESPONSE}) as first_response, avg({RESOLUTION}) as resolution
		from `tabChatwoot Conversation Mapping` where {where}
		group by {column} order by {"value" if view in ("Day", "Hour of Day") else "conversations desc"}""",  # noqa: S608
		values,
		as_dict=True,
	)


def by_label(where: str, values: dict) -> list[dict]:
	counts: Counter = Counter()
	resolved: Counter = Counter()
	for labels, status in frappe.db.sql(
		f"select labels, status from `tabChatwoot Conversation Mapping` where {where} and ifnull(labels, '') != ''",  # noqa: S608
		values,
	):
		for label in {part.strip() for part in labels.split(",") if part.strip()}:
			counts[label] += 1
			resolved[label] += status == "resolved"
	return [
		{
			"value": label,
			"conversations": count,
			"resolved": resolved[label],
			"first_response": None,
			"resolution": None,
		}
		for label, count in counts.most_common()
	]


def analyse(account_id: int, start: datetime, end: datetime, view: str, filters: dict) -> dict:
	"""Rows, a chart and the period's headline figures for one view."""
	if view not in VIEWS:
		frappe.throw(_("View must be one of {0}.").format(", ".join(VIEWS)))
	where, values = conditions(account_id, start, end, filters)
	totals = summary(where, values)
	first_responses, resolutions = timings(where, values)
	if view in ("First Response Time", "Resolution Time"):
		buckets = FIRST_RESPONSE_BUCKETS if view == "First Response Time" else RESOLUTION_BUCKETS
		spread = distribution(first_responses if view == "First Response Time" else resolutions, buckets)
		rows = [{"value": label, "conversations": count} for label, count in spread]
	elif view == "Label":
		rows = by_label(where, values)
	elif view == "Day":
		rows = with_every(grouped(view, where, values), days(start.date(), (end - timedelta(days=1)).date()))
	elif view == "Hour of Day":
		rows = with_every(grouped(view, where, values), range(24))
	else:
		rows = grouped(view, where, values)
	for row in rows:
		row["resolution_rate"] = (
			rate(row.get("resolved"), row["conversations"]) if "resolved" in row else None
		)
	return {
		"rows": rows,
		"totals": totals,
		"median_first_response": median(first_responses),
		"median_resolution": median(resolutions),
	}


INBOX_NAMES_KEY = "chat_bridge:inbox_names:{account_id}"
INBOX_NAMES_SECONDS = 600


def inbox_names(account_id: int) -> dict[int, str]:
	"""The account's inboxes by id, as Chatwoot names them; none while API access is off or
	Chatwoot cannot be asked (the reports then say "Inbox 7"). Kept for ten minutes."""
	if not feature_enabled(Feature.API):
		return {}
	key = INBOX_NAMES_KEY.format(account_id=account_id)
	kept = frappe.cache.get_value(key, expires=True)
	if kept is not None:
		return kept
	try:
		inboxes = system_client(account_id=account_id).list_inboxes().get("payload") or []
	except (ChatwootError, frappe.ValidationError):
		return {}
	names = {inbox["id"]: inbox.get("name") or "" for inbox in inboxes if inbox.get("id")}
	frappe.cache.set_value(key, names, expires_in_sec=INBOX_NAMES_SECONDS)
	return names


def inbox_label(inbox_id, names: dict[int, str]) -> str:
	return names.get(inbox_id) or _("Inbox {0}").format(inbox_id)


@frappe.whitelist()
def account_options() -> list[dict]:
	"""The reports' Account filter: the connected accounts the reader's Company permissions reach,
	first the first account."""
	require_analytics_reader()
	return [
		{"value": str(account.account_id), "label": account_label(account)} for account in visible_accounts()
	]


@frappe.whitelist()
def inbox_options(account=None) -> list[dict]:
	"""The Inbox filter's choices: every inbox the account's conversations came through, and every
	inbox Chatwoot lists, by name."""
	require_analytics_reader()
	account_id = account_for_viewer(account)
	names = inbox_names(account_id)
	seen = frappe.db.sql_list(
		"""select distinct inbox_id from `tabChatwoot Conversation Mapping`
		where account_id = %s and inbox_id > 0""",
		account_id,
	)
	return [
		{"value": str(inbox_id), "label": inbox_label(inbox_id, names)}
		for inbox_id in sorted(set(seen) | set(names), key=lambda i: inbox_label(i, names).lower())
	]
