"""What installing and uninstalling chat_bridge does to a site beyond its own DocTypes."""

import frappe

from chat_bridge.permissions import AGENT_ROLE, ANALYTICS_ROLE
from chat_bridge.settings import sync_workspace_visibility
from chat_bridge.settings_cache import clear_flags_cache

MODULE = "Chat Bridge"


# The support reports count each agent's chat messages over a period among every Communication of
# the site: by medium, direction and date, carrying who sent them, so that the count reads only
# the sent messages of the period, and the index alone.
CHAT_MESSAGES_INDEX = "chat_bridge_chat_senders"
# Every Chatwoot contact is matched to a Contact by its email; Frappe indexes a Contact's email
# rows by their Contact only, so without this each match reads every email row of the site.
CONTACT_EMAILS_INDEX = "chat_bridge_contact_emails"
INDEXES = {
	CHAT_MESSAGES_INDEX: (
		"Communication",
		["communication_medium", "sent_or_received", "communication_date", "sender"],
	),
	CONTACT_EMAILS_INDEX: ("Contact Email", ["email_id"]),
}


def after_install():
	ensure_roles()
	sync_workspace_visibility()
	add_indexes()


def after_migrate():
	ensure_roles()
	# Migrating re-imports the workspace from its JSON, which would show it again while the
	# integration is off.
	sync_workspace_visibility()
	add_indexes()


def ensure_roles():
	"""The app's roles. Frappe makes them when it first imports the DocTypes that name them, but not
	again if they were deleted since: a migrate puts them back."""
	for role in (AGENT_ROLE, ANALYTICS_ROLE):
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)


def add_indexes():
	for name, (doctype, columns) in INDEXES.items():
		frappe.db.add_index(doctype, columns, name)


def before_uninstall():
	"""Remove what Frappe's own uninstall leaves behind, so the site is as it was before.

	Frappe drops the module's DocTypes, pages, workspaces and cards, but not the stored values of
	a Single, the encrypted secrets of our Password fields, the scheduler's entries for our jobs
	(which would keep firing into a removed app), or the Chatwoot Agent and Support Analytics roles. Records the sync wrote into ERPNext
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
	# Made by Frappe from the DocTypes' permissions; without the app they mean nothing.
	for role in (AGENT_ROLE, ANALYTICS_ROLE):
		frappe.delete_doc("Role", role, ignore_permissions=True, force=True, ignore_missing=True)
	clear_flags_cache()


def after_uninstall():
	"""Drop the indexes the app added. Not before: a change to a table's structure commits the
	transaction it happens in, and the uninstall may still be abandoned before then."""
	for name, (doctype, _columns) in INDEXES.items():
		if frappe.db.has_index(f"tab{doctype}", name):
			frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index `{name}`")
