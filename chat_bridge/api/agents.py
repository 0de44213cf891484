"""Chatwoot agents from ERPNext: `/api/method/chat_bridge.api.agents.<name>`.

Provisioning, inboxes and deprovisioning are for System Managers; a one-click sign-in link is for
whoever asks, and only ever for themselves. Like every REST method of the app, they are behind the
API stage and never return a token or a password.
"""

import frappe
from frappe import _

from chat_bridge import arguments
from chat_bridge.accounts import account_for_viewer, account_label, visible_accounts
from chat_bridge.api.rest_api import chatwoot_method
from chat_bridge.arguments import ArgumentError
from chat_bridge.clients import platform_client, system_client
from chat_bridge.provisioning.agents import (
	AGENT_DOCTYPE,
	agent_name,
	deprovision_agent,
	provision_agent,
	sign_in_agent_id,
)
from chat_bridge.provisioning.plan import STEPS, sign_in_link

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


def _account_id(account=None) -> int:
	"""The connected account asked for (refused when the user's Company permissions do not reach
	it); the first they may see when none is."""
	return account_for_viewer(arguments.optional_positive_int(account, "account"))


def agent_summary(user: str, account_id: int) -> dict | None:
	name = agent_name(user, account_id)
	return frappe.db.get_value(AGENT_DOCTYPE, name, AGENT_FIELDS, as_dict=True) if name else None


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
def provision(user: str, role=None, inboxes=None, account=None) -> dict:
	"""Make `user` a Chatwoot agent of the account (or finish an earlier run); the steps' outcomes."""
	record = provision_agent(user, _account_id(account), role=_role(role), inboxes=_inboxes(inboxes))
	frappe.db.commit()
	return agent_summary(record.user, record.account_id)


@chatwoot_method(admin_only=True, methods=("POST",))
def deprovision(user: str, delete_chatwoot_user=0, account=None) -> dict:
	"""Take `user` out of the Chatwoot account; their stored token goes with their last account."""
	record = deprovision_agent(
		user, _account_id(account), delete_chatwoot_user=arguments.flag(delete_chatwoot_user)
	)
	frappe.db.commit()
	return agent_summary(record.user, record.account_id)


@chatwoot_method(admin_only=True)
def get_agent(user: str, account=None) -> dict | None:
	"""The user's provisioning in the account: status, each step, the last error."""
	return agent_summary(user, _account_id(account))


@chatwoot_method(admin_only=True)
def get_user_agents(user: str) -> dict:
	"""The connected accounts to provision `user` in, and their provisioning in each account that
	has a record of it."""
	accounts = visible_accounts()
	return {
		"accounts": [{"value": a.account_id, "label": account_label(a)} for a in accounts],
		"agents": [summary for a in accounts if (summary := agent_summary(user, a.account_id)) is not None],
	}


@chatwoot_method(admin_only=True)
def get_inboxes(account=None) -> list:
	"""The account's inboxes, to choose an agent's from."""
	inboxes = system_client(account_id=_account_id(account)).list_inboxes().get("payload") or []
	return [{"id": i["id"], "name": i.get("name"), "channel_type": i.get("channel_type")} for i in inboxes]


@chatwoot_method(admin_only=True)
def get_agents(account=None) -> dict:
	"""The account's agents with their ERPNext users and inboxes, and the account's inboxes."""
	account_id = _account_id(account)
	client = system_client(account_id=account_id)
	inboxes = client.list_inboxes().get("payload") or []
	members = {
		inbox["id"]: {a["id"] for a in client.list_inbox_members(inbox["id"]).get("payload") or []}
		for inbox in inboxes
	}
	records = {
		row.chatwoot_user_id: row
		for row in frappe.get_all(AGENT_DOCTYPE, fields=AGENT_FIELDS, filters={"account_id": account_id})
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
		filters={"account_id": account_id, "status": ("in", ("Partly provisioned", "Invited"))},
	)
	return {
		"account": account_id,
		"accounts": [{"value": a.account_id, "label": account_label(a)} for a in visible_accounts()],
		"agents": agents,
		"inboxes": [
			{"id": i["id"], "name": i.get("name"), "channel_type": i.get("channel_type")} for i in inboxes
		],
		"unfinished": unfinished,
	}


@chatwoot_method(admin_only=True, methods=("POST",))
def add_to_inbox(inbox_id, agent_id, account=None) -> list:
	client = system_client(account_id=_account_id(account))
	inbox = arguments.positive_int(inbox_id, "inbox_id")
	answer = client.add_inbox_members(inbox, [arguments.positive_int(agent_id, "agent_id")])
	return [a["id"] for a in answer.get("payload") or []]


@chatwoot_method(admin_only=True, methods=("POST",))
def remove_from_inbox(inbox_id, agent_id, account=None) -> dict:
	client = system_client(account_id=_account_id(account))
	inbox = arguments.positive_int(inbox_id, "inbox_id")
	client.remove_inbox_members(inbox, [arguments.positive_int(agent_id, "agent_id")])
	return {"inbox_id": inbox, "removed": int(agent_id)}


@chatwoot_method(methods=("POST",))
def get_sign_in_link(conversation_id=None, account=None) -> dict:
	"""A one-time link that opens Chatwoot signed in as the session user, on the conversation when
	given; `url` is None when the user is not an agent provisioned through the Platform API (the
	desk then opens Chatwoot's plain address). Valid for five minutes: fetched on each click, never
	kept."""
	account_id = _account_id(account)
	agent_id = sign_in_agent_id(frappe.session.user, account_id)
	if not agent_id:
		return {"url": None}
	conversation = arguments.optional_positive_int(conversation_id, "conversation_id")
	sso = platform_client(account_id=account_id).get_sso_link(agent_id)["url"]
	return {"url": sign_in_link(sso, account_id, conversation)}
