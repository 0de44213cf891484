"""Chatwoot agents from ERPNext: `/api/method/chat_bridge.api.agents.<name>`.

Provisioning, inboxes and deprovisioning are for System Managers; a one-click sign-in link is for
whoever asks, and only ever for themselves. Like every REST method of the app, they are behind the
API stage and never return a token or a password.
"""

import frappe
from frappe import _

from chat_bridge import arguments
from chat_bridge.api.rest_api import chatwoot_method
from chat_bridge.arguments import ArgumentError
from chat_bridge.clients import platform_client, system_client
from chat_bridge.provisioning.agents import (
	AGENT_DOCTYPE,
	deprovision_agent,
	provision_agent,
	sign_in_agent_id,
)
from chat_bridge.provisioning.plan import STEPS, sign_in_link
from chat_bridge.settings import get_settings

ROLES = ("agent", "administrator")
AGENT_FIELDS = [
	"user",
	"account_id",
	"chatwoot_user_id",
	"role",
	"inbox_ids",
	"status",
	"provisioned_via",
	"last_error",
	"last_run_at",
	*(f"{step}_step" for step in STEPS),
]


def _account_id() -> int:
	return get_settings().account_id


def agent_summary(user: str) -> dict | None:
	return frappe.db.get_value(AGENT_DOCTYPE, user, AGENT_FIELDS, as_dict=True)


def _inboxes(value) -> list[int] | None:
	if value in (None, ""):
		return None
	items = frappe.parse_json(value) if isinstance(value, str) and value.strip().startswith("[") else value
	if isinstance(items, str):
		items = [part for part in items.replace(" ", "").split(",") if part]
	return [arguments.positive_int(item, "inbox") for item in items]


def _role(value) -> str | None:
	if value in (None, ""):
		return None
	if value not in ROLES:
		raise ArgumentError(_("role must be agent or administrator, not {0!r}.").format(value))
	return value


@chatwoot_method(admin_only=True, methods=("POST",))
def provision(user: str, role=None, inboxes=None) -> dict:
	"""Make `user` a Chatwoot agent (or finish an earlier run); the steps' outcomes."""
	record = provision_agent(user, _account_id(), role=_role(role), inboxes=_inboxes(inboxes))
	frappe.db.commit()
	return agent_summary(record.user)


@chatwoot_method(admin_only=True, methods=("POST",))
def deprovision(user: str, delete_chatwoot_user=0) -> dict:
	"""Take `user` out of the Chatwoot account and delete their stored token."""
	record = deprovision_agent(user, _account_id(), delete_chatwoot_user=arguments.flag(delete_chatwoot_user))
	frappe.db.commit()
	return agent_summary(record.user)


@chatwoot_method(admin_only=True)
def get_agent(user: str) -> dict | None:
	"""The user's provisioning: status, each step, the last error."""
	return agent_summary(user)


@chatwoot_method(admin_only=True)
def get_inboxes() -> list:
	"""The account's inboxes, to choose an agent's from."""
	inboxes = system_client(account_id=_account_id()).list_inboxes().get("payload") or []
	return [{"id": i["id"], "name": i.get("name"), "channel_type": i.get("channel_type")} for i in inboxes]


@chatwoot_method(admin_only=True)
def get_agents() -> dict:
	"""The account's agents with their ERPNext users and inboxes, and the account's inboxes."""
	client = system_client(account_id=_account_id())
	inboxes = client.list_inboxes().get("payload") or []
	members = {
		inbox["id"]: {a["id"] for a in client.list_inbox_members(inbox["id"]).get("payload") or []}
		for inbox in inboxes
	}
	records = {
		row.chatwoot_user_id: row
		for row in frappe.get_all(AGENT_DOCTYPE, fields=AGENT_FIELDS, filters={"account_id": _account_id()})
		if row.chatwoot_user_id
	}
	tokens = dict(frappe.get_all("Chatwoot User Token", fields=["chatwoot_user_id", "user"], as_list=True))
	agents = []
	for agent in client.list_agents() or []:
		record = records.get(agent["id"])
		agents.append(
			{
				"id": agent["id"],
				"name": agent.get("available_name") or agent.get("name"),
				"email": agent.get("email"),
				"role": agent.get("role"),
				"availability": agent.get("availability_status"),
				"confirmed": agent.get("confirmed"),
				"user": record.user if record else tokens.get(agent["id"]),
				"status": record.status if record else None,
				"inboxes": [inbox["id"] for inbox in inboxes if agent["id"] in members[inbox["id"]]],
			}
		)
	unfinished = frappe.get_all(
		AGENT_DOCTYPE,
		fields=AGENT_FIELDS,
		filters={"account_id": _account_id(), "status": ("in", ("Partly provisioned", "Invited"))},
	)
	return {
		"agents": agents,
		"inboxes": [
			{"id": i["id"], "name": i.get("name"), "channel_type": i.get("channel_type")} for i in inboxes
		],
		"unfinished": unfinished,
	}


@chatwoot_method(admin_only=True, methods=("POST",))
def add_to_inbox(inbox_id, agent_id) -> list:
	client = system_client(account_id=_account_id())
	inbox = arguments.positive_int(inbox_id, "inbox_id")
	answer = client.add_inbox_members(inbox, [arguments.positive_int(agent_id, "agent_id")])
	return [a["id"] for a in answer.get("payload") or []]


@chatwoot_method(admin_only=True, methods=("POST",))
def remove_from_inbox(inbox_id, agent_id) -> dict:
	client = system_client(account_id=_account_id())
	inbox = arguments.positive_int(inbox_id, "inbox_id")
	client.remove_inbox_members(inbox, [arguments.positive_int(agent_id, "agent_id")])
	return {"inbox_id": inbox, "removed": int(agent_id)}


@chatwoot_method(methods=("POST",))
def get_sign_in_link(conversation_id=None) -> dict:
	"""A one-time link that opens Chatwoot signed in as the session user, on the conversation when
	given; `url` is None when the user is not an agent provisioned through the Platform API (the
	desk then opens Chatwoot's plain address). Valid for five minutes: fetched on each click, never
	kept."""
	agent_id = sign_in_agent_id(frappe.session.user)
	if not agent_id:
		return {"url": None}
	conversation = arguments.optional_positive_int(conversation_id, "conversation_id")
	sso = platform_client().get_sso_link(agent_id)["url"]
	return {"url": sign_in_link(sso, _account_id(), conversation)}
