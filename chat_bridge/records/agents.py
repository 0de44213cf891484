"""Which ERPNext user a Chatwoot agent is: by their Chatwoot User Token, else by email.

Conversation payloads describe the assignee without an email, so the account's agent list is read
from Chatwoot once and kept in the cache for an hour.
"""

from dataclasses import replace

import frappe

from chat_bridge.chatwoot.errors import AuthenticationError, ChatwootError, ForbiddenError
from chat_bridge.chatwoot.events import AgentView
from chat_bridge.sync.agents import agent_user
from chat_bridge.sync.contacts import normalize_email

AGENTS_CACHE_KEY = "chat_bridge:agent_emails"
AGENTS_CACHE_SECONDS = 3600


def user_for_agent(agent: AgentView | None) -> str | None:
	if agent is None or agent.id is None or agent.kind != "user":
		return None
	by_token = frappe.db.get_value("Chatwoot User Token", {"chatwoot_user_id": agent.id}, "user")
	if by_token:
		return by_token
	# An assignee comes without an email: the agent list has it.
	agent = replace(agent, email=normalize_email(agent.email) or agent_email(agent.id))
	by_email = frappe.db.get_value("User", {"email": agent.email, "enabled": 1}) if agent.email else None
	return agent_user(agent, {}, {agent.email: by_email} if by_email else {})


def agent_email(agent_id: int) -> str | None:
	"""The agent's email from the account's agent list, read again when the agent is new to it."""
	emails = frappe.cache.get_value(AGENTS_CACHE_KEY) or {}
	if agent_id not in emails:
		emails = load_agent_emails()
		frappe.cache.set_value(AGENTS_CACHE_KEY, emails, expires_in_sec=AGENTS_CACHE_SECONDS)
	return emails.get(agent_id)


def load_agent_emails() -> dict[int, str]:
	from chat_bridge.api.chatwoot import system_client

	try:
		agents = system_client().list_agents() or []
	except (AuthenticationError, ForbiddenError):
		return {}  # a token that cannot list agents: assignments just find no user
	except ChatwootError:
		raise  # unreachable or throttled: the event fails and is retried later
	return {agent["id"]: normalize_email(agent.get("email")) for agent in agents if agent.get("id")}
