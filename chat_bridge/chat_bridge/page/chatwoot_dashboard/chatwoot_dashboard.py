# Copyright (c) 2026, The chat_bridge contributors
# License: MIT. See license.txt

import frappe
from frappe import _

from chat_bridge.chatwoot.presenters import dashboard_url
from chat_bridge.features import FLAG_LABELS, Feature, first_disabled_flag, is_enabled
from chat_bridge.permissions import require_chatwoot_user
from chat_bridge.settings import get_flags, get_settings


@frappe.whitelist()
def get_dashboard_context() -> dict:
	"""What the Chatwoot Dashboard page needs: whether it is switched on, and where Chatwoot is."""
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
	settings = get_settings()
	return {
		"enabled": True,
		"dashboard_url": dashboard_url(settings.chatwoot_url, settings.account_id),
		"chatwoot_url": settings.chatwoot_url,
		"account_id": settings.account_id,
		"api_enabled": is_enabled(flags, Feature.API),
		"can_configure": can_configure,
	}
