"""Who may use what.

System Managers administer the integration and use everything. Chatwoot Agents (the role given to
the people who answer customers) use the desk features: the Chatwoot Dashboard page, the Chatwoot
section of forms, the REST methods behind them, and their own Chatwoot User Token. Nobody else
sees any of it. `require_chatwoot_user` is the one check the page and the methods make; the boot
tells the forms the same answer, so nobody is offered what they would be refused.
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
