"""Which ERPNext user a Chatwoot agent is: by their Chatwoot User Token, else by email.

Conversation payloads describe the assignee without an email, so the account's agent list is read
from Chatwoot once and kept in the cache for an hour.

The agent list only enriches an event: when Chatwoot cannot be asked for it right now, the event
is still applied and the agent counts as not yet known (`AgentListUnavailable`). A conversation's
assignee is then resolved by its next event or by the scheduled reconciliation; an agent's message
keeps the agent's name and goes without their email.
"""

from dataclasses import replace

import frappe

from chat_bridge.chatwoot import NO_RETRY
from chat_bridge.chatwoot.errors import AuthenticationError, ChatwootError, ForbiddenError
from chat_bridge.chatwoot.events import AgentView
from chat_bridge.sync.agents import agent_user
from chat_bridge.sync.contacts import normalize_email

AGENTS_CACHE_KEY = "chat_bridge:agent_emails:{account_id}"
AGENTS_CACHE_SECONDS = 3600
# After a failed read, the events behind it do not each wait for Chatwoot to fail again.
UNAVAILABLE_KEY = "chat_bridge:agent_list_unavailable:{account_id}"
UNAVAILABLE_SECONDS = 60


class AgentListUnavailable(Exception):
	"""Chatwoot's agent list, needed to tell who an agent is, cannot be read right now."""


def user_for_agent(agent: AgentView | None, account_id: int) -> str | None:
	"""The ERPNext user of an agent of account `account_id`, None when they have none.

	Raises AgentListUnavailable when only Chatwoot's agent list could tell and it cannot be read now.
	"""
	if agent is None or agent.id is None or agent.kind != "user":
		return None
	by_token = frappe.db.get_value("Chatwoot User Token", {"chatwoot_user_id": agent.id}, "user")
	if by_token:
		return by_token
	# An assignee comes without an email: the agent list has it.
	agent = replace(agent, email=normalize_email(agent.email) or agent_email(account_id, agent.id))
	by_email = frappe.db.get_value("User", {"email": agent.email, "enabled": 1}) if agent.email else None
	return agent_user(agent, {}, {agent.email: by_email} if by_email else {})


def agent_email(account_id: int, agent_id: int) -> str | None:
	"""The agent's email from the account's agent list, read again when the agent is new to it."""
	key = AGENTS_CACHE_KEY.format(account_id=account_id)
	emails = frappe.cache.get_value(key, expires=True) or {}
	if agent_id not in emails:
		emails = load_agent_emails(account_id)
		frappe.cache.set_value(key, emails, expires_in_sec=AGENTS_CACHE_SECONDS)
	return emails.get(agent_id)


def load_agent_emails(account_id: int) -> dict[int, str]:
	from chat_bridge.clients import system_client

	unavailable = UNAVAILABLE_KEY.format(account_id=account_id)
	if frappe.cache.get_value(unavailable, expires=True):
		raise AgentListUnavailable("Chatwoot's agent list could not be read a moment ago.")
	try:
		# One try: the event does not wait on what the reconciliation can fill in later.
		agents = system_client(account_id=account_id, retry=NO_RETRY).list_agents() or []
	except (AuthenticationError, ForbiddenError):
		return {}  # a token that cannot list agents: assignments just find no user
	except ChatwootError as error:
		frappe.cache.set_value(unavailable, 1, expires_in_sec=UNAVAILABLE_SECONDS)
		raise AgentListUnavailable(str(error)) from error
	return {agent["id"]: normalize_email(agent.get("email")) for agent in agents if agent.get("id")}
