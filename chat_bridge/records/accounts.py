"""Chatwoot Account records, created from the installation-level `account_created` event."""

import re

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification

from chat_bridge.accounts import ACCOUNT_DOCTYPE, site_company
from chat_bridge.chatwoot.events import AccountView
from chat_bridge.erpnext import has_erpnext
from chat_bridge.settings import get_settings

COMPANY_ERROR_TITLE = "Chatwoot account: Company not made"


def upsert_account(account: AccountView) -> str:
	"""Create or update the Chatwoot Account for `account.id`; the same event twice changes nothing.

	A new account gets the Company of its name, made when none exists and the settings say so, and
	the System Managers are told what is left to do: it is connected only once it has a token.
	"""
	new = not frappe.db.exists(ACCOUNT_DOCTYPE, account.id)
	if new:
		record = frappe.new_doc(ACCOUNT_DOCTYPE)
		record.account_id = account.id
		record.created_via = "Installation Event"
	else:
		record = frappe.get_doc(ACCOUNT_DOCTYPE, account.id)
	record.account_name = account.name or record.account_name
	if has_erpnext() and (new or not record.company):
		# A new document is given the user's default Company: not this account's.
		record.company = matching_company(account.name) or (
			make_company(account.name) if new and get_settings().create_companies else None
		)
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
	if new:
		tell_system_managers(record)
	return record.name


def matching_company(name: str | None) -> str | None:
	"""The ERPNext Company with the same name (case aside), when ERPNext is installed."""
	if not name or not has_erpnext():
		return None
	return frappe.db.get_value("Company", {"company_name": name}) or frappe.db.get_value(
		"Company", {"name": name}
	)


def make_company(name: str | None) -> str | None:
	"""A Company named `name`, in the default Company's currency and country; None when there is
	no default Company to take them from, or when ERPNext refuses to make it (on a site whose setup
	was never completed, it lacks the fixtures a Company's warehouses need): the account is recorded
	all the same, the refusal goes to the Error Log, and the Company is left to a System Manager."""
	template = site_company() if name else None
	if not template:
		return None
	currency, country = frappe.db.get_value("Company", template, ["default_currency", "country"])
	frappe.db.savepoint("chat_bridge_company")
	try:
		return insert_company(name, currency, country)
	except frappe.ValidationError:
		frappe.db.rollback(save_point="chat_bridge_company")
		frappe.log_error(title=COMPANY_ERROR_TITLE, message=f"Company {name}")
		return None


def insert_company(name: str, currency: str, country: str) -> str:
	company = frappe.get_doc(
		{
			"doctype": "Company",
			"company_name": name,
			"abbr": free_abbreviation(name),
			"default_currency": currency,
			"country": country,
		}
	).insert(ignore_permissions=True)
	return company.name


def free_abbreviation(name: str) -> str:
	"""The initials of `name`, numbered when another Company has them (abbreviations are unique)."""
	initials = "".join(word[0] for word in re.findall(r"\w+", name)).upper()[:5] or "CW"
	abbreviation, number = initials, 1
	while frappe.db.exists("Company", {"abbr": abbreviation}):
		number += 1
		abbreviation = f"{initials}{number}"
	return abbreviation


def tell_system_managers(record) -> None:
	users = frappe.get_all(
		"Has Role",
		filters={"role": "System Manager", "parenttype": "User", "parent": ("not in", ("Administrator",))},
		pluck="parent",
	)
	enabled = frappe.get_all("User", filters={"name": ("in", users), "enabled": 1}, pluck="name")
	if not enabled:
		return
	enqueue_create_notification(
		enabled,
		{
			"type": "Alert",
			"document_type": ACCOUNT_DOCTYPE,
			"document_name": record.name,
			"subject": _(
				"Chatwoot account {0} ({1}) was created. To connect it, give it an administrator's API Access Token: bench chatwoot add-account {0} --token …"
			).format(record.account_id, record.account_name or _("no name")),
		},
	)
