"""What installing and uninstalling chat_bridge does to a site beyond its own DocTypes."""

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from chat_bridge.accounts import ACCOUNT_DOCTYPE, COMPANY_DOCTYPES, RECORD_COMPANY_FIELD, RECORD_DOCTYPES
from chat_bridge.erpnext import has_erpnext
from chat_bridge.permissions import AGENT_ROLE, ANALYTICS_ROLE
from chat_bridge.settings import sync_workspace_visibility
from chat_bridge.settings_cache import clear_flags_cache
from chat_bridge.sync.messages import SENDER_ID_FIELD

MODULE = "Chat Bridge"


# Which Chatwoot agent sent a chat message. The Communication's sender is an e-mail, and Chatwoot
# tells an agent's e-mail only through its agent list: an agent with no ERPNext user would count
# no messages in the support reports, where every other figure is by Chatwoot agent.
CUSTOM_FIELDS = {
	"Communication": [
		{
			"fieldname": SENDER_ID_FIELD,
			"label": "Chatwoot Agent ID",
			"fieldtype": "Int",
			"insert_after": "sender_full_name",
			"read_only": 1,
			"hidden": 1,
			"no_copy": 1,
			"module": MODULE,
		}
	]
}
# Each account's Company, on the account and on what is made for it, for User Permissions on
# Company. Only where ERPNext is: a Link to a DocType the site does not have breaks the form.
COMPANY_FIELD = {
	"fieldname": "company",
	"label": "Company",
	"fieldtype": "Link",
	"options": "Company",
	"read_only": 1,
	"in_standard_filter": 1,
	"insert_after": "account_id",
	"description": "The Company of the Chatwoot account (Chatwoot Account): a user restricted to a Company sees only its records.",
	"module": MODULE,
}
COMPANY_FIELDS = {
	ACCOUNT_DOCTYPE: [
		{
			**COMPANY_FIELD,
			"read_only": 0,
			"in_list_view": 1,
			"insert_after": "account_column",
			"description": "The ERPNext company this Chatwoot account serves.",
		}
	],
	**{doctype: [COMPANY_FIELD] for doctype in COMPANY_DOCTYPES},
	**{
		doctype: [
			{
				**COMPANY_FIELD,
				"fieldname": RECORD_COMPANY_FIELD,
				"insert_after": "reference_name",
				"no_copy": 1,
				"description": "The Company of the Chatwoot account this came from: a user restricted to other Companies does not see it.",
			}
		]
		for doctype in RECORD_DOCTYPES
	},
}
# The support reports count each agent's chat messages over a period among every Communication of
# the site: by medium, direction and date, carrying which agent sent them, so that the count reads
# only the sent messages of the period, and the index alone.
CHAT_MESSAGES_INDEX = "chat_bridge_chat_agents"
# Indexes earlier versions added, dropped on migrate.
OLD_INDEXES = {"chat_bridge_chat_senders": "Communication"}  # by sender e-mail
# Every Chatwoot contact is matched to a Contact by its email; Frappe indexes a Contact's email
# rows by their Contact only, so without this each match reads every email row of the site.
CONTACT_EMAILS_INDEX = "chat_bridge_contact_emails"
INDEXES = {
	CHAT_MESSAGES_INDEX: (
		"Communication",
		["communication_medium", "sent_or_received", "communication_date", SENDER_ID_FIELD],
	),
	CONTACT_EMAILS_INDEX: ("Contact Email", ["email_id"]),
}


def after_install():
	ensure_roles()
	sync_workspace_visibility()
	add_custom_fields()
	add_indexes()


def after_migrate():
	ensure_roles()
	# Migrating re-imports the workspace from its JSON, which would show it again while the
	# integration is off.
	sync_workspace_visibility()
	add_custom_fields()
	add_indexes()


def after_app_install(app_name: str):
	if app_name == "erpnext":  # installed after this app: the accounts' Companies exist now
		add_custom_fields()


def add_custom_fields():
	create_custom_fields(CUSTOM_FIELDS, ignore_validate=True)
	if has_erpnext():
		create_custom_fields(COMPANY_FIELDS, ignore_validate=True)


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
	for name, doctype in OLD_INDEXES.items():
		drop_index(doctype, name)


def drop_index(doctype: str, name: str) -> None:
	if frappe.db.has_index(f"tab{doctype}", name):
		frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index `{name}`")


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
	"""Drop the indexes and columns the app added (Frappe deletes the Custom Fields, not their
	columns). Not before: a change to a table's structure commits the transaction it happens in, and
	the uninstall may still be abandoned before then."""
	for name, (doctype, _columns) in INDEXES.items():
		drop_index(doctype, name)
	for doctype, fields in CUSTOM_FIELDS.items():
		for field in fields:
			if frappe.db.has_column(doctype, field["fieldname"]):
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop column `{field['fieldname']}`")
