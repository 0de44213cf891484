"""Chatwoot Account records, created from the installation-level `account_created` event."""

import frappe

from chat_bridge.chatwoot.events import AccountView
from chat_bridge.erpnext import has_erpnext

ACCOUNT_DOCTYPE = "Chatwoot Account"


def upsert_account(account: AccountView) -> str:
	"""Create or update the Chatwoot Account for `account.id`; the same event twice changes nothing."""
	if frappe.db.exists(ACCOUNT_DOCTYPE, account.id):
		record = frappe.get_doc(ACCOUNT_DOCTYPE, account.id)
	else:
		record = frappe.new_doc(ACCOUNT_DOCTYPE)
		record.account_id = account.id
		record.created_via = "Installation Event"
	record.account_name = account.name or record.account_name
	if not record.company:
		record.company = matching_company(account.name)
	record.set(
		"administrators",
		[
			{
				"chatwoot_user_id": admin.id,
				"full_name": admin.name,
				"email": admin.email,
				"user": frappe.db.get_value("User", {"email": admin.email}) if admin.email else None,
			}
			for admin in account.administrators
		],
	)
	record.save(ignore_permissions=True)
	return record.name


def matching_company(name: str | None) -> str | None:
	"""The ERPNext Company with the same name (case aside), when ERPNext is installed."""
	if not name or not has_erpnext():
		return None
	return frappe.db.get_value("Company", {"company_name": name}) or frappe.db.get_value(
		"Company", {"name": name}
	)
