"""What provisioning a Chatwoot agent takes, decided without Frappe.

Four steps, in order: the Chatwoot user (created, or claimed when Chatwoot already has the e-mail),
the user's membership of the account with a role, the inboxes, and the user's access token, stored
as their Chatwoot User Token. Each step's outcome is kept, so a run that stopped half-way is
finished by running it again, and a step that is done is not done twice.

Without a platform app token, Chatwoot can only invite the agent by e-mail: the token step then
waits until the agent has accepted and stored their own token.
"""

import secrets
import string
from collections.abc import Iterable, Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from chat_bridge.i18n import _

STEPS = ("user", "account", "inboxes", "token")
DONE, FAILED, WAITING = "Done", "Failed", "Waiting"

PROVISIONED, INVITED, PARTLY, DEPROVISIONED = "Provisioned", "Invited", "Partly provisioned", "Deprovisioned"

# Chatwoot's password rules (Devise, devise-secure_password): 6 to 128 characters, with at least one
# upper-case letter, lower-case letter, digit and special character of these.
PASSWORD_SPECIALS = "!@#$%^&*()_+-=[]{}|"  # noqa: S105 -- the characters, not a password
PASSWORD_LENGTH = 32


def remaining_steps(outcomes: Mapping[str, str | None]) -> list[str]:
	"""The steps not done yet, in the order they run."""
	return [step for step in STEPS if outcomes.get(step) != DONE]


def status_of(outcomes: Mapping[str, str | None]) -> str:
	"""How far the agent is: Provisioned, Invited (waiting for the agent), or Partly provisioned."""
	if not remaining_steps(outcomes):
		return PROVISIONED
	if outcomes.get("token") == WAITING and not remaining_steps({**outcomes, "token": DONE}):
		return INVITED
	return PARTLY


def generate_password(length: int = PASSWORD_LENGTH) -> str:
	"""A password Chatwoot accepts and nobody will ever see: the agent signs in through a link."""
	if not 8 <= length <= 128:
		raise ValueError("A Chatwoot password has 8 to 128 characters here.")
	classes = (string.ascii_uppercase, string.ascii_lowercase, string.digits, PASSWORD_SPECIALS)
	everything = "".join(classes)
	characters = [secrets.choice(c) for c in classes]
	characters += [secrets.choice(everything) for _ in range(length - len(classes))]
	secrets.SystemRandom().shuffle(characters)
	return "".join(characters)


def limit_refusal(max_agents: int | None, agents: int, email: str) -> str | None:
	"""Why one more agent may not be added, or None when it may (no limit, or room left)."""
	if not max_agents or agents < max_agents:
		return None
	return _(
		"The account has {0} agents and Max Agents is {1}: {2} was not added. Remove an agent, or raise Max Agents in Chatwoot Integration Settings."
	).format(agents, max_agents, email)


def inboxes_to_join(wanted: Iterable[int], members: Mapping[int, Iterable[int]], user_id: int) -> list[int]:
	"""The wanted inboxes the user is not a member of yet, in the order asked."""
	return [inbox for inbox in dict.fromkeys(wanted) if user_id not in set(members.get(inbox) or ())]


def sign_in_link(sso_url: str, account_id: int | None = None, conversation_id: int | None = None) -> str:
	"""Chatwoot's one-time sign-in link, landing on the conversation when one is given.

	Chatwoot's login page reads `sso_account_id` and `sso_conversation_id` and opens that
	conversation once signed in.
	"""
	if not (account_id and conversation_id):
		return sso_url
	parts = urlsplit(sso_url)
	landing = urlencode({"sso_account_id": account_id, "sso_conversation_id": conversation_id})
	query = f"{parts.query}&{landing}" if parts.query else landing
	return urlunsplit(parts._replace(query=query))
