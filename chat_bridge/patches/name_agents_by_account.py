"""Name each Chatwoot Agent by its user and account: a user may now be an agent of several
accounts, a record for each. A record made before was its user's only one, named by the user, for
the account of the settings when it names none."""

import frappe

from chat_bridge.provisioning.agents import AGENT_DOCTYPE
from chat_bridge.settings import SETTINGS_DOCTYPE


def execute():
	first = frappe.db.get_single_value(SETTINGS_DOCTYPE, "account_id")
	for name, user, account_id in frappe.get_all(
		AGENT_DOCTYPE, fields=["name", "user", "account_id"], as_list=True
	):
		if not account_id:
			if not first:
				continue  # no account to name it by; provisioning it again will say which
			account_id = first
			frappe.db.set_value(AGENT_DOCTYPE, name, "account_id", account_id, update_modified=False)
		renamed = f"{user}-{account_id}"
		if name != renamed:
			frappe.rename_doc(AGENT_DOCTYPE, name, renamed, force=True, show_alert=False)
