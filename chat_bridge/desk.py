"""What the desk's scripts learn at sign-in: which parts of Chat Bridge are on, and the website
widget when the settings put it in the desk too."""

import frappe

from chat_bridge.features import Feature, is_enabled
from chat_bridge.permissions import is_chatwoot_user
from chat_bridge.provisioning.agents import sign_in_agent_id
from chat_bridge.settings import get_flags
from chat_bridge.website import desk_widget


def boot_session(bootinfo) -> None:
	flags = get_flags()
	bootinfo.chat_bridge = {
		"dashboard": is_enabled(flags, Feature.DASHBOARD),
		"api": is_enabled(flags, Feature.API),
		"sync": is_enabled(flags, Feature.SYNC),
		"can_use": is_chatwoot_user(),
		# Whether "Open in Chatwoot" can sign this user in (a provisioned agent).
		"can_sign_in": bool(sign_in_agent_id(frappe.session.user)),
		"widget": desk_widget(),
	}
