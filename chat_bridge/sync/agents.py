"""Which ERPNext user a Chatwoot agent is."""

from collections.abc import Mapping

from chat_bridge.chatwoot.events import AgentView
from chat_bridge.sync.contacts import normalize_email


def agent_user(
	agent: AgentView | None, users_by_chatwoot_id: Mapping[int, str], users_by_email: Mapping[str, str]
) -> str | None:
	"""The ERPNext user for `agent`: the one whose Chatwoot User Token names that agent, else the
	enabled user with the agent's email. Bots and contacts are nobody's user."""
	if agent is None or agent.kind != "user":
		return None
	if agent.id is not None and agent.id in users_by_chatwoot_id:
		return users_by_chatwoot_id[agent.id]
	email = normalize_email(agent.email)
	return users_by_email.get(email) if email else None
