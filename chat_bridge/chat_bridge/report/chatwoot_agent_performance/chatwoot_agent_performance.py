# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

"""Each Chatwoot agent's conversations, resolutions, response and resolution times, messages and
CSAT over a period: Chatwoot's own figures while API access is on, else the synced ones."""

import frappe
from frappe import _

from chat_bridge.accounts import account_for_viewer
from chat_bridge.analytics.performance import FROM_CHATWOOT, agent_performance
from chat_bridge.features import Feature
from chat_bridge.settings import require_feature


def execute(filters=None):
	require_feature(Feature.DASHBOARD, _("The support reports are switched off"))
	filters = frappe._dict(filters or {})
	if not filters.from_date or not filters.to_date:
		frappe.throw(_("Choose a period: From Date and To Date."))
	account_id = account_for_viewer(filters.account)
	performance = agent_performance(account_id, filters.from_date, filters.to_date)
	data = [
		{
			"agent": row.agent,
			"user": row.user,
			"chatwoot_agent_id": row.chatwoot_agent_id,
			"assigned": row.assigned,
			"resolved": row.resolved,
			"resolution_rate": row.resolution_rate,
			"first_response": row.first_response_seconds,
			"resolution_time": row.resolution_seconds,
			"messages_sent": row.messages_sent,
			"csat": row.csat,
			"csat_responses": row.csat_responses,
		}
		for row in performance.rows
	]
	from_chatwoot = performance.source == FROM_CHATWOOT
	message = (
		_("Figures from Chatwoot's reports.")
		if from_chatwoot
		else _("Figures from the synced conversations.")
	)
	if performance.note:
		message += " " + performance.note
	if from_chatwoot:
		message += " " + _("Resolved counts the resolutions Chatwoot recorded in the period.")
	else:
		message += " " + _(
			"Of the conversations begun in the period: how many, how many are resolved, how fast. "
			"CSAT comes only from Chatwoot's reports, with API access on."
		)
	return columns(), data, message, chart(data)


def columns() -> list[dict]:
	"""The figures first, every one in view at 1400 pixels; who the agent is in ERPNext and in
	Chatwoot last."""
	return [
		{"fieldname": "agent", "label": _("Agent"), "fieldtype": "Data", "width": 150},
		{"fieldname": "assigned", "label": _("Conversations"), "fieldtype": "Int", "width": 125},
		{"fieldname": "resolved", "label": _("Resolved"), "fieldtype": "Int", "width": 95},
		{"fieldname": "resolution_rate", "label": _("Resolution Rate"), "fieldtype": "Percent", "width": 135},
		{
			"fieldname": "first_response",
			"label": _("Avg First Response"),
			"fieldtype": "Duration",
			"width": 160,
		},
		{
			"fieldname": "resolution_time",
			"label": _("Avg Resolution Time"),
			"fieldtype": "Duration",
			"width": 170,
		},
		{"fieldname": "messages_sent", "label": _("Messages Sent"), "fieldtype": "Int", "width": 130},
		{"fieldname": "csat", "label": _("CSAT (1-5)"), "fieldtype": "Float", "precision": 2, "width": 100},
		{"fieldname": "csat_responses", "label": _("CSAT Responses"), "fieldtype": "Int", "width": 140},
		{"fieldname": "user", "label": _("User"), "fieldtype": "Link", "options": "User", "width": 180},
		{"fieldname": "chatwoot_agent_id", "label": _("Chatwoot ID"), "fieldtype": "Int", "width": 100},
	]


def chart(data: list[dict]) -> dict | None:
	if not data:
		return None
	return {
		"data": {
			"labels": [row["agent"] for row in data],
			"datasets": [
				{"name": _("Conversations"), "values": [row["assigned"] for row in data]},
				{"name": _("Resolved"), "values": [row["resolved"] for row in data]},
			],
		},
		"type": "bar",
	}
