"""Give the account of Chatwoot Integration Settings its Chatwoot Account record, with the site's
Company, and put that Company on what was synced for the account before. Accounts recorded from
Chatwoot's installation events before stay as they were: not connected.

Its URL, token and webhook secret stay in the settings (chat_bridge.accounts), so the site does what
it did: the same account, the same webhook, the same clients. What changes is only that a user
whom a User Permission keeps to another Company no longer sees this account's conversations.
"""

import frappe

from chat_bridge.accounts import ACCOUNT_DOCTYPE, COMPANY_DOCTYPES, ensure_account_record
from chat_bridge.settings import SETTINGS_DOCTYPE


def execute():
	account_id = frappe.db.get_single_value(SETTINGS_DOCTYPE, "account_id")
	# The accounts Chatwoot announced before were records only: they stay unconnected until given
	# a token (the new Connected check is on by default).
	frappe.db.set_value(
		ACCOUNT_DOCTYPE, {"account_id": ("!=", account_id or 0)}, "enabled", 0, update_modified=False
	)
	if not account_id:
		return
	company = ensure_account_record(account_id)
	if not company:
		return
	for doctype in COMPANY_DOCTYPES:
		frappe.db.set_value(
			doctype,
			{"account_id": account_id, "company": ("is", "not set")},
			"company",
			company,
			update_modified=False,
		)
