# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

"""The synced Chatwoot conversations of a period, counted by day, status, inbox, team, label,
priority, assignee or hour, or spread over first-response and resolution times."""

import frappe
from frappe import _

from chat_bridge.accounts import account_for_viewer
from chat_bridge.analytics.analysis import analyse, inbox_label, inbox_names
from chat_bridge.analytics.performance import period
from chat_bridge.features import Feature
from chat_bridge.settings import require_feature


def label_of(view: str) -> str:
	"""The name of the column a view counts by."""
	return {
		"Day": _("Day"),
		"Status": _("Status"),
		"Inbox": _("Inbox"),
		"Team": _("Team"),
		"Label": _("Label"),
		"Priority": _("Priority"),
		"Assignee": _("Assignee"),
		"Hour of Day": _("Hour of Day"),
		"First Response Time": _("First Response Time"),
		"Resolution Time": _("Resolution Time"),
	}.get(view, view)


def execute(filters=None):
	require_feature(Feature.DASHBOARD, _("The support reports are switched off"))
	filters = frappe._dict(filters or {})
	if not filters.from_date or not filters.to_date:
		frappe.throw(_("Choose a period: From Date and To Date."))
	view = filters.view or "Day"
	start, end = period(filters.from_date, filters.to_date)
	account_id = account_for_viewer(filters.account)
	result = analyse(account_id, start, end, view, filters)
	names = inbox_names(account_id) if view == "Inbox" else {}
	data = [dict(row, value=shown(view, row["value"], names)) for row in result["rows"]]
	return columns(view), data, None, chart(view, data), headline(result)


def shown(view: str, value, inbox_names: dict[int, str]):
	if value in (None, ""):
		return _("(none)")
	if view == "Hour of Day":
		return f"{int(value):02d}:00"
	if view == "Inbox":
		return inbox_label(value, inbox_names)
	if view in ("Status", "Priority"):
		return _(value)  # Chatwoot's words, as the mapping's options translate them
	return value  # a day, a status, a name, or a bucket of times like "1-5m"


def columns(view: str) -> list[dict]:
	first = {
		"fieldname": "value",
		"label": label_of(view),
		"fieldtype": "Date" if view == "Day" else "Data",
		"width": 180,
	}
	if view in ("First Response Time", "Resolution Time"):
		return [
			first,
			{"fieldname": "conversations", "label": _("Conversations"), "fieldtype": "Int", "width": 140},
		]
	return [
		first,
		{"fieldname": "conversations", "label": _("Conversations"), "fieldtype": "Int", "width": 130},
		{"fieldname": "resolved", "label": _("Resolved"), "fieldtype": "Int", "width": 100},
		{"fieldname": "resolution_rate", "label": _("Resolution Rate"), "fieldtype": "Percent", "width": 130},
		{
			"fieldname": "first_response",
			"label": _("Avg First Response"),
			"fieldtype": "Duration",
			"width": 160,
		},
		{"fieldname": "resolution", "label": _("Avg Resolution Time"), "fieldtype": "Duration", "width": 170},
	]


def chart(view: str, data: list[dict]) -> dict | None:
	if not data:
		return None
	return {
		"data": {
			"labels": [str(row["value"]) for row in data],
			"datasets": [{"name": _("Conversations"), "values": [row["conversations"] for row in data]}],
		},
		"type": "line" if view == "Day" else "bar",
		"chat_bridge_series": view == "Day",  # see chat_bridge.reports in public/js/chat_bridge.js
	}


def headline(result: dict) -> list[dict]:
	totals = result["totals"]
	conversations, resolved = totals.conversations or 0, totals.resolved or 0
	return [
		{"value": conversations, "label": _("Conversations"), "datatype": "Int"},
		{"value": resolved, "label": _("Resolved"), "datatype": "Int", "indicator": "Green"},
		{
			"value": round(100.0 * resolved / conversations, 1) if conversations else 0,
			"label": _("Resolution Rate"),
			"datatype": "Percent",
		},
		{"value": totals.unassigned or 0, "label": _("Unassigned"), "datatype": "Int", "indicator": "Orange"},
		duration_figure(result["median_first_response"], _("Median First Response")),
		duration_figure(result["median_resolution"], _("Median Resolution Time")),
	]


def duration_figure(seconds: float | None, label: str) -> dict:
	"""A headline duration, or "None" when nothing in the period has one (not an instant "0s")."""
	if seconds is None:
		return {"value": _("None"), "label": label, "datatype": "Data"}
	return {"value": seconds, "label": label, "datatype": "Duration"}
