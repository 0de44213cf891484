"""The site's Chatwoot Integration Settings as the rest of the app reads them.

Flags are read on every request and job, so they are cached (in Redis, shared by web and workers)
and the cache is dropped when the settings are saved. Secrets are never cached: they are read
from Frappe's encrypted store when a client is built.
"""

import frappe
from frappe import _
from frappe.utils import cint
from frappe.utils.password import get_decrypted_password

from chat_bridge.exceptions import FeatureDisabledError
from chat_bridge.features import FLAG_LABELS, MASTER_FLAG, Feature, first_disabled_flag, is_enabled

SETTINGS_DOCTYPE = "Chatwoot Integration Settings"
WORKSPACE = "Customer Support"
_FLAGS_CACHE_KEY = "chat_bridge:flags"


def get_flags() -> dict:
	"""The rollout flags and Allow Unsigned Webhooks, from the cache when it has them."""
	return frappe.cache.get_value(_FLAGS_CACHE_KEY, generator=_read_flags)


def _read_flags() -> dict:
	values = frappe.db.get_singles_dict(SETTINGS_DOCTYPE)
	return {flag: cint(values.get(flag)) for flag in (*FLAG_LABELS, "allow_unsigned_webhooks")}


def clear_flags_cache() -> None:
	frappe.cache.delete_value(_FLAGS_CACHE_KEY)


def clear_flags_cache_on_save() -> None:
	"""Drop the cached flags now, for the rest of this transaction, and again once it commits:
	a worker reading the settings in between would otherwise cache the values being replaced."""
	clear_flags_cache()
	frappe.db.after_commit.add(clear_flags_cache)


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


def get_secret(fieldname: str) -> str | None:
	"""A Password field of the settings, decrypted; None when it is not set.

	Read straight from Frappe's encrypted store: loading the whole settings document for one
	secret would cost the webhook a few milliseconds on every delivery.
	"""
	return (
		get_decrypted_password(SETTINGS_DOCTYPE, SETTINGS_DOCTYPE, fieldname, raise_exception=False) or None
	)


def sync_workspace_visibility() -> None:
	"""Hide the Customer Support workspace while the integration is off, show it while it is on.

	Set directly rather than through Workspace.save(), which only Workspace Managers may call;
	Frappe still shows hidden workspaces to Workspace Managers, who may need to edit them.
	"""
	if not frappe.db.exists("Workspace", WORKSPACE):
		return
	hidden = 0 if _read_flags()[MASTER_FLAG] else 1
	if cint(frappe.db.get_value("Workspace", WORKSPACE, "is_hidden")) == hidden:
		return
	frappe.db.set_value("Workspace", WORKSPACE, "is_hidden", hidden, update_modified=False)
	frappe.clear_document_cache("Workspace", WORKSPACE)
	frappe.cache.delete_key("bootinfo")
