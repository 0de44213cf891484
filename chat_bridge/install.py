"""What installing and uninstalling chat_bridge does to a site beyond its own DocTypes."""

import frappe

from chat_bridge.permissions import AGENT_ROLE
from chat_bridge.settings import clear_flags_cache, sync_workspace_visibility

MODULE = "Chat Bridge"


def after_install():
	sync_workspace_visibility()


def after_migrate():
	# Migrating re-imports the workspace from its JSON, which would show it again while the
	# integration is off.
	sync_workspace_visibility()


def before_uninstall():
	"""Remove what Frappe's own uninstall leaves behind, so the site is as it was before.

	Frappe drops the module's DocTypes, pages, workspaces and cards, but not the stored values of
	a Single, the encrypted secrets of our Password fields, the scheduler's entries for our jobs
	(which would keep firing into a removed app), or the Chatwoot Agent role. Records the sync wrote into ERPNext
	(Contacts, Communications, Comments, ToDos, Issues) are the company's data and stay.
	"""
	doctypes = frappe.get_all("DocType", filters={"module": MODULE}, pluck="name")
	if doctypes:
		frappe.db.delete("__Auth", {"doctype": ("in", doctypes)})
		frappe.db.delete("Singles", {"doctype": ("in", doctypes)})
	for job in frappe.get_all(
		"Scheduled Job Type", filters={"method": ("like", "chat_bridge.%")}, pluck="name"
	):
		frappe.delete_doc("Scheduled Job Type", job, ignore_permissions=True, force=True)
	# Made by Frappe from the User Token's permissions; without the app it means nothing.
	frappe.delete_doc("Role", AGENT_ROLE, ignore_permissions=True, force=True, ignore_missing=True)
	clear_flags_cache()
