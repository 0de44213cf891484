"""Who may use what.

System Managers administer the integration and use everything. Chatwoot Agents (the role given to
the people who answer customers) use the desk features: the Chatwoot Dashboard page, the Chatwoot
section of forms, the REST methods behind them, and their own Chatwoot User Token. Nobody else
sees any of it. `require_chatwoot_user` is the one check the page and the methods make; the boot
tells the forms the same answer, so nobody is offered what they would be refused.

What the sync writes into ERPNext follows two rules. A chat message is a Communication, read as
Frappe reads an e-mail: by whoever may read the record it is on. An agent's private note is
internal to the support team (System Managers, Chatwoot Agents, Support Analytics): it is a Comment
on the conversation's own record, which only they read, and Frappe's Comment list and REST API
leave it out for everyone else.
"""

import frappe
from frappe import _

ADMIN_ROLE = "System Manager"
AGENT_ROLE = "Chatwoot Agent"
# Support leads who read the support reports and dashboard, without administering anything.
ANALYTICS_ROLE = "Support Analytics"


def is_chatwoot_admin(user: str | None = None) -> bool:
	return ADMIN_ROLE in frappe.get_roles(user or frappe.session.user)


def is_chatwoot_user(user: str | None = None) -> bool:
	"""Whether `user` may use Chat Bridge's desk features."""
	return bool({ADMIN_ROLE, AGENT_ROLE} & set(frappe.get_roles(user or frappe.session.user)))


def is_support_team(user: str | None = None) -> bool:
	"""Whether `user` reads the agents' private notes."""
	return bool({ADMIN_ROLE, AGENT_ROLE, ANALYTICS_ROLE} & set(frappe.get_roles(user or frappe.session.user)))


NOTES_DOCTYPE = "Chatwoot Conversation Mapping"  # private notes are Comments on a conversation's record


def comment_has_permission(doc, ptype=None, user=None, debug=False) -> bool | None:
	"""Comment: a private note only for the support team; any other Comment as Frappe decides."""
	if doc.reference_doctype == NOTES_DOCTYPE and not is_support_team(user):
		return False
	return None


def comment_query_conditions(user: str | None = None) -> str:
	"""The list, report and REST counterpart of comment_has_permission."""
	if is_support_team(user):
		return ""
	return f"ifnull(`tabComment`.`reference_doctype`, '') != {frappe.db.escape(NOTES_DOCTYPE)}"


def require_chatwoot_user() -> None:
	if not is_chatwoot_user():
		frappe.throw(_("Chat Bridge is for System Managers and Chatwoot Agents."), frappe.PermissionError)


def user_token_has_permission(doc, ptype=None, user=None) -> bool:
	"""Chatwoot User Token: anyone but a System Manager may touch only the record of their own user."""
	user = user or frappe.session.user
	return is_chatwoot_admin(user) or doc.user == user


def user_token_query_conditions(user: str | None = None) -> str:
	"""The list, report and search counterpart of user_token_has_permission."""
	user = user or frappe.session.user
	if is_chatwoot_admin(user):
		return ""
	return f"`tabChatwoot User Token`.`user` = {frappe.db.escape(user)}"


def require_chatwoot_admin() -> None:
	"""Refuse anyone but a System Manager (frappe.only_for would let everyone through in tests)."""
	if not is_chatwoot_admin():
		frappe.throw(_("Only a System Manager may do this."), frappe.PermissionError)


def require_analytics_reader() -> None:
	"""Refuse anyone but System Managers and Support Analytics users."""
	if not {ADMIN_ROLE, ANALYTICS_ROLE} & set(frappe.get_roles()):
		frappe.throw(
			_("The support figures are for System Managers and Support Analytics."), frappe.PermissionError
		)
