"""Who may see what: System Managers administer the integration; a user sees only their own token."""

import frappe
from frappe import _

ADMIN_ROLE = "System Manager"


def is_chatwoot_admin(user: str | None = None) -> bool:
	return ADMIN_ROLE in frappe.get_roles(user or frappe.session.user)


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
