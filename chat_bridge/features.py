"""Which parts of chat_bridge are switched on, and whether the configuration supports them.

The app is rolled out in stages (dashboard, then API access, then sync), each behind a flag of
Chatwoot Integration Settings and all of them under one master switch. A feature is on only when
every flag on its path is on: turning off `enabled` (or `enable_sync`) switches off everything
below it at once, which is what makes the rollback a single click.

Everything here decides from plain values, so it is tested without Frappe; `chat_bridge.settings`
reads the values from the site.
"""

from collections.abc import Mapping
from enum import Enum

from chat_bridge.chatwoot.errors import ConfigurationError
from chat_bridge.chatwoot.urls import normalize_base_url, parse_account_id
from chat_bridge.i18n import _
from chat_bridge.widget.placement import LISTED_ROUTES, parse_routes

MASTER_FLAG = "enabled"
# How messages name the bench command when the site is not known. Not `<site>`: Frappe's messages
# take that for an HTML tag and drop it.
ANY_SITE = "bench --site SITE"


class Feature(str, Enum):
	"""A switchable part of the app; the value is its own flag's fieldname."""

	DASHBOARD = "enable_dashboard"
	API = "enable_api"
	SYNC = "enable_sync"
	CONTACT_SYNC = "enable_contact_sync"
	CONVERSATION_SYNC = "enable_conversation_sync"
	MESSAGE_SYNC = "enable_message_sync"
	WIDGET = "enable_widget"
	CHATWOOT_APP = "enable_chatwoot_app"
	DOCUMENTS = "enable_documents"

	@property
	def label(self) -> str:
		return FLAG_LABELS[self.value]


FLAG_LABELS = {
	MASTER_FLAG: "Enable Integration",
	Feature.DASHBOARD.value: "Enable Dashboard",
	Feature.API.value: "Enable API Access",
	Feature.SYNC.value: "Enable Sync",
	Feature.CONTACT_SYNC.value: "Enable Contact Sync",
	Feature.CONVERSATION_SYNC.value: "Enable Conversation Sync",
	Feature.MESSAGE_SYNC.value: "Enable Message Sync",
	Feature.WIDGET.value: "Enable Website Widget",
	Feature.CHATWOOT_APP.value: "Enable ERPNext in Chatwoot",
	Feature.DOCUMENTS.value: "Enable Sending Documents",
}

_PARENT = {
	Feature.CONTACT_SYNC: Feature.SYNC,
	Feature.CONVERSATION_SYNC: Feature.SYNC,
	Feature.MESSAGE_SYNC: Feature.SYNC,
}


def required_flags(feature: Feature) -> tuple[str, ...]:
	"""The flags that must all be on for `feature`, outermost first."""
	path = [feature.value]
	parent = _PARENT.get(feature)
	while parent is not None:
		path.append(parent.value)
		parent = _PARENT.get(parent)
	path.append(MASTER_FLAG)
	return tuple(reversed(path))


def first_disabled_flag(flags: Mapping[str, object], feature: Feature) -> str | None:
	"""The outermost flag that keeps `feature` off, or None when it is on."""
	for flag in required_flags(feature):
		if not flags.get(flag):
			return flag
	return None


def is_enabled(flags: Mapping[str, object], feature: Feature) -> bool:
	"""Whether `feature` is on, given the settings' flag values (missing flags count as off)."""
	return first_disabled_flag(flags, feature) is None


def configuration_problems(settings: Mapping[str, object], bench_command: str = ANY_SITE) -> list[str]:
	"""What is wrong with `settings`, or missing for the features they switch on; one sentence each.

	`settings` maps the fieldnames of Chatwoot Integration Settings to their values; a Password
	field only needs to be truthy when it is set. A value that is given must be valid, but what a
	feature requires is only demanded while that feature is on, so switching things off (the
	rollback) is never refused for want of configuration.
	"""
	problems = []
	url, account_id = settings.get("chatwoot_url"), settings.get("account_id")
	if url:
		try:
			normalize_base_url(str(url))
		except ConfigurationError as error:
			problems.append(str(error))
	if account_id:
		try:
			parse_account_id(account_id)
		except ConfigurationError as error:
			problems.append(str(error))

	needs_url = [
		f
		for f in (Feature.DASHBOARD, Feature.API, Feature.SYNC, Feature.WIDGET, Feature.DOCUMENTS)
		if is_enabled(settings, f)
	]
	if needs_url and not url:
		problems.append(_("Chatwoot URL is required while {0} is on.").format(_(needs_url[0].label)))
	if is_enabled(settings, Feature.WIDGET):
		problems.extend(_widget_problems(settings))
	needs_account = [f for f in needs_url if f is not Feature.WIDGET]
	if needs_account and not account_id:
		problems.append(
			_("Chatwoot Account ID is required while {0} is on.").format(_(needs_account[0].label))
		)

	calls_api = [
		f
		for f in (Feature.API, Feature.SYNC, Feature.CHATWOOT_APP, Feature.DOCUMENTS)
		if is_enabled(settings, f)
	]
	if calls_api and not settings.get("api_access_token"):
		problems.append(
			_(
				"An administrator's API Access Token is required while {0} is on: copy it from Chatwoot, Profile Settings → Access Token."
			).format(_(calls_api[0].label))
		)

	if is_enabled(settings, Feature.SYNC):
		problems.extend(_webhook_problems(settings, bench_command))
	return problems


def _widget_problems(settings: Mapping[str, object]) -> list[str]:
	problems = []
	if not settings.get("widget_website_token"):
		problems.append(
			_(
				"A Widget Website Token is required while {0} is on: copy it from the website inbox in Chatwoot (Settings → Inboxes → the inbox → Configuration)."
			).format(_(Feature.WIDGET.label))
		)
	if settings.get("widget_pages") == LISTED_ROUTES and not parse_routes(settings.get("widget_routes")):
		problems.append(
			_(
				"Show the Widget On is Listed routes, but Widget Routes lists none: add one a line, such as /contact."
			)
		)
	return problems


def _webhook_problems(settings: Mapping[str, object], bench_command: str) -> list[str]:
	if settings.get("allow_unsigned_webhooks"):
		if not settings.get("webhook_token"):
			return [
				_(
					"Allow Unsigned Webhooks is on but no Webhook Token is set: set one and add it to the webhook URL in Chatwoot as ?token=…"
				)
			]
		return []
	if not settings.get("webhook_secret"):
		return [
			_(
				"A Webhook Secret is required while Enable Sync is on: copy it from the webhook in Chatwoot (Settings → Integrations → Webhooks), or run `{0} chatwoot register-webhook`. For Chatwoot 4.11.1 or older, which signs nothing, turn on Allow Unsigned Webhooks with a Webhook Token instead."
			).format(bench_command)
		]
	return []
