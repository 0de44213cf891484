"""The site's Chatwoot Integration Settings as the rest of the app reads them: the document, the
rollout flags (`chat_bridge.settings_cache` keeps them fast and current), and what follows from them.
"""

import frappe
from frappe import _
from frappe.utils import cint
from frappe.utils.password import get_encryption_key

from chat_bridge.exceptions import FeatureDisabledError
from chat_bridge.features import FLAG_LABELS, MASTER_FLAG, Feature, first_disabled_flag, is_enabled
from chat_bridge.settings_cache import (
	SETTINGS_DOCTYPE,
	FlagsRead,
	get_flags,
	get_secret,
	read_flags,
	read_flags_in_transaction,
)
from chat_bridge.widget.identity import identity_key

# The cache's readers are part of what the settings offer the rest of the app.
__all__ = [
	"SETTINGS_DOCTYPE",
	"WORKSPACE",
	"FlagsRead",
	"feature_enabled",
	"get_flags",
	"get_secret",
	"get_settings",
	"read_flags",
	"require_feature",
	"sync_workspace_visibility",
	"widget_identity_key",
]

WORKSPACE = "Customer Support"


def feature_enabled(feature: Feature) -> bool:
	"""Whether `feature` is switched on for this site: the one question every caller asks."""
	return is_enabled(get_flags(), feature)


def require_feature(feature: Feature, message: str | None = None) -> None:
	"""Raise FeatureDisabledError, naming the flag that is off, unless `feature` is on."""
	flag = first_disabled_flag(get_flags(), feature)
	if flag is None:
		return
	frappe.throw(
		_("{0} ({1} is off in Chatwoot Integration Settings).").format(
			message or _("{0} is not enabled").format(_(feature.label)), _(FLAG_LABELS[flag])
		),
		FeatureDisabledError,
		title=_("Not enabled"),
	)


def get_settings():
	"""The settings document (cached by Frappe, cleared on save). Password fields show only as *****."""
	return frappe.get_cached_doc(SETTINGS_DOCTYPE)


def widget_identity_key() -> bytes:
	"""The key of the website widget's identifiers, derived from the site's encryption key."""
	return identity_key(get_encryption_key())


def sync_workspace_visibility() -> None:
	"""Hide the Customer Support workspace while the integration is off, show it while it is on.

	Set directly rather than through Workspace.save(), which only Workspace Managers may call;
	Frappe still shows hidden workspaces to Workspace Managers, who may need to edit them.
	"""
	if not frappe.db.exists("Workspace", WORKSPACE):
		return
	hidden = 0 if read_flags_in_transaction()[MASTER_FLAG] else 1
	if cint(frappe.db.get_value("Workspace", WORKSPACE, "is_hidden")) == hidden:
		return
	frappe.db.set_value("Workspace", WORKSPACE, "is_hidden", hidden, update_modified=False)
	frappe.clear_document_cache("Workspace", WORKSPACE)
	frappe.cache.delete_key("bootinfo")
