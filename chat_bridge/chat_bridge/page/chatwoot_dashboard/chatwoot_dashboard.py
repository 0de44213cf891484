# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

import frappe
from frappe import _

from chat_bridge.accounts import account_for_viewer, account_label, get_account, visible_accounts
from chat_bridge.arguments import optional_positive_int
from chat_bridge.chatwoot.presenters import dashboard_url
from chat_bridge.features import FLAG_LABELS, Feature, first_disabled_flag, is_enabled
from chat_bridge.permissions import require_chatwoot_user
from chat_bridge.settings import get_flags


@frappe.whitelist()
def get_dashboard_context(account=None) -> dict:
	"""What the Chatwoot Dashboard page needs: whether it is switched on, and where Chatwoot is for
	the account asked for (the first the user may see when none is), with the accounts to choose from."""
	require_chatwoot_user()
	flags = get_flags()
	off = first_disabled_flag(flags, Feature.DASHBOARD)
	can_configure = frappe.has_permission("Chatwoot Integration Settings", "write")
	if off:
		return {
			"enabled": False,
			"message": _(
				"The Chatwoot dashboard is off: {0} is not ticked in Chatwoot Integration Settings."
			).format(_(FLAG_LABELS[off])),
			"can_configure": can_configure,
		}
	shown = get_account(account_for_viewer(optional_positive_int(account, "account")))
	return {
		"enabled": True,
		"dashboard_url": dashboard_url(shown.chatwoot_url, shown.account_id),
		"chatwoot_url": shown.chatwoot_url,
		"account_id": shown.account_id,
		"accounts": [{"value": a.account_id, "label": account_label(a)} for a in visible_accounts()],
		"api_enabled": is_enabled(flags, Feature.API),
		"can_configure": can_configure,
	}
