"""Looking at a site's Chat Bridge setup from the inside: the facts behind `chatwoot doctor`,
`chatwoot status` and `chatwoot rollout`.

The verdicts are pure (chat_bridge.rollout); this module only gathers: the settings, Chatwoot's
answers, the workers and the scheduler. It reads and never writes: what changes the setup lives
with the command that makes the change (`chat_bridge.commands`).
"""

import hmac
import socket
from urllib.parse import urlsplit

import frappe
import requests
from frappe.utils import cint, get_datetime, get_system_timezone, get_url, now_datetime
from frappe.utils.background_jobs import get_workers
from frappe.utils.scheduler import is_scheduler_inactive

from chat_bridge.accounts import (
	Account,
	connected_accounts,
	first_account_id,
	get_account,
	registered_values,
	webhook_address,
)
from chat_bridge.chatwoot.errors import ChatwootError, describe_for_user
from chat_bridge.clients import INTERACTIVE_RETRY, ChatwootAPI, token_client
from chat_bridge.features import FLAG_LABELS, Feature, is_enabled
from chat_bridge.rollout import (
	Check,
	ScheduledJob,
	check_account,
	check_dashboard_app,
	check_delivery_address,
	check_guest_errors,
	check_missed_deliveries,
	check_reachable,
	check_refusals,
	check_scheduled_jobs,
	check_scheduler,
	check_secret,
	check_token,
	check_webhook,
	check_widget,
	check_workers,
	find_dashboard_app,
	find_site_webhook,
	recent_refusals,
	scheduled_methods,
)
from chat_bridge.settings import get_flags, get_secret, get_settings
from chat_bridge.webhook import refusals

WEBHOOK_PATH = "/api/method/chat_bridge.webhook.handle"


def site_webhook_url() -> str:
	return get_url(WEBHOOK_PATH)


def webhook_target(explicit: str | None = None, account: Account | None = None) -> str:
	"""Where Chatwoot posts for `account` (the first account when None): the URL given, else the
	one register-webhook stored, else the site's own; naming the account unless it is the first.

	The site's own address is often not the one Chatwoot can reach (a port, a proxy, a tunnel), so
	what was registered wins over what the site thinks it is called.
	"""
	account = account or _first_account()
	url = explicit or _registered(account).webhook_url or site_webhook_url()
	return webhook_address(url, account) if account else url


def webhook_target_is_a_guess(explicit: str | None = None, account: Account | None = None) -> bool:
	"""Whether webhook_target is the site's guess at its own address: nothing given or registered,
	and no host_name in the site's config (Frappe then builds it from the site's name and the
	bench's port, which is rarely what Chatwoot reaches)."""
	registered = _registered(account or _first_account()).webhook_url
	return not (explicit or registered or frappe.conf.host_name)


def _first_account() -> Account | None:
	return get_account() if first_account_id() else None


def _registered(account: Account | None):
	"""What was registered for `account`; the settings' values while no account is set."""
	return registered_values(account) if account else get_settings()


def bench_command() -> str:
	return f"bench --site {frappe.local.site}"


def admin_client(account: Account | None = None) -> ChatwootAPI | None:
	"""A client with the administrator token of `account` (the first account when None); None when
	its URL, id or token is missing."""
	account = account or _first_account()
	if account is None:
		return None
	token = account.token
	if not (account.chatwoot_url and token):
		return None
	return token_client(token, account.account_id, retry=INTERACTIVE_RETRY)


def _ask(call) -> tuple[object, str | None]:
	"""Chatwoot's answer, or None and the kind of failure."""
	try:
		return call(), None
	except ChatwootError as error:
		return None, describe_for_user(error, get_settings().chatwoot_url)[0]


def gather_checks_by_account(
	webhook_url: str | None = None, accounts: list[Account] | None = None
) -> tuple[dict[str, Check], dict[int, dict[str, Check]]]:
	"""The site's checks, and the connection checks of each of `accounts` (every connected account
	when None) by id; with no account set yet, the checks that say so, under 0."""
	if accounts is None:
		accounts = connected_accounts() if first_account_id() else []
	site = site_checks(admin_client(accounts[0]) if accounts else None)
	if not accounts:
		return site, {0: account_checks(None, webhook_url)}
	return site, {account.account_id: account_checks(account, webhook_url) for account in accounts}


def account_checks(account: Account | None, webhook_url: str | None = None) -> dict[str, Check]:
	"""The checks of one account's connection: Chatwoot, its token, the account, its webhook and
	its secret, and its Dashboard App. None: the settings name no account yet."""
	settings = get_settings()
	url = account.chatwoot_url if account else settings.chatwoot_url
	account_id = account.account_id if account else None
	checks = {"reachable": check_reachable(url, _reachability_error(url) if url else None)}
	client = admin_client(account) if account else None
	checks.update(connection_checks(client, account_id))
	if client is None:
		webhooks, webhooks_error = None, "missing"
	else:
		listing, webhooks_error = _ask(client.list_webhooks)
		webhooks = ((listing or {}).get("payload") or {}).get("webhooks") or []
	registered = _registered(account)
	target = webhook_target(webhook_url, account)
	webhook = (
		find_site_webhook(webhooks, target, registered.chatwoot_webhook_id) if webhooks is not None else None
	)
	checks["webhook"] = check_webhook(
		webhook,
		target,
		webhooks_error,
		bench_command(),
		guessed=webhook_target_is_a_guess(webhook_url, account),
	)
	delivered_to = (webhook or {}).get("url") or target
	checks["delivery"] = check_delivery_address(delivered_to, resolve(delivered_to))
	checks["secret"] = check_secret(
		webhook,
		account.secret("webhook_secret") if account else None,
		bool(settings.allow_unsigned_webhooks),
		bench_command(),
	)
	checks["dashboard_app"] = dashboard_app_check(client, account)
	return checks


def connection_checks(client: ChatwootAPI | None, account_id: int | None) -> dict[str, Check]:
	"""Whether the token opens Chatwoot as an administrator of the account, and the account itself."""
	if client is None:
		return {
			"token": check_token(None, "missing", account_id),
			"account": check_account(None, "missing", account_id),
		}
	profile, profile_error = _ask(client.get_profile)
	answer, account_error = _ask(client.get_account)
	return {
		"token": check_token(profile, profile_error, account_id),
		"account": check_account(answer, account_error, account_id),
	}


def site_checks(client: ChatwootAPI | None) -> dict[str, Check]:
	"""The checks of the site itself: its workers and scheduler, the deliveries it refused or
	missed, its error pages, and its widget."""
	settings = get_settings()
	command = bench_command()
	checks = {}
	checks["workers"] = check_workers(len(get_workers()))
	checks["scheduler"] = check_scheduler(not is_scheduler_inactive(verbose=False), command)
	checks["scheduled_jobs"] = check_scheduled_jobs(
		expected_jobs(), scheduled_jobs(), now_datetime(), command
	)
	checks["refusals"] = check_refusals(refusals(), now_datetime(), command)
	checks["deliveries"] = check_missed_deliveries(
		cint(settings.missed_deliveries),
		get_datetime(settings.missed_deliveries_since) if settings.missed_deliveries_since else None,
		command,
	)
	checks["guest_errors"] = check_guest_errors(bool(frappe.get_system_settings("allow_error_traceback")))
	checks["widget"] = widget_check(client)
	return checks


CARD_TITLE = "ERPNext"


def card_url(explicit: str | None = None, account: Account | None = None) -> str:
	"""What Chatwoot frames: the URL given, else the one registered, else the site's own card page.

	One card serves every account: Chatwoot tells it the conversation, and so the account."""
	return explicit or _registered(account or _first_account()).dashboard_app_url or get_url("/chatwoot-app")


def dashboard_app_check(client: ChatwootAPI | None, account: Account | None = None) -> Check:
	enabled = is_enabled(get_flags(), Feature.CHATWOOT_APP)
	if client is None:
		apps, error = None, "missing"
	else:
		apps, error = _ask(client.list_dashboard_apps)
	target = card_url(account=account)
	registered = _registered(account or _first_account())
	app = find_dashboard_app(apps or [], target, registered.dashboard_app_id) if error is None else None
	return check_dashboard_app(enabled, app, target, error, bench_command())


def widget_check(client: ChatwootAPI | None) -> Check:
	settings = get_settings()
	enabled = is_enabled(get_flags(), Feature.WIDGET)
	hmac_token = get_secret("widget_hmac_token")
	inboxes, error = (None, "no API Access Token is set") if client is None else _ask(client.list_inboxes)
	inboxes = (inboxes or {}).get("payload") if error is None else None
	inbox = next((i for i in inboxes or [] if i.get("website_token") == settings.widget_website_token), None)
	matches = None
	if inbox and hmac_token and inbox.get("hmac_token"):
		matches = hmac.compare_digest(inbox["hmac_token"], hmac_token)
	return check_widget(enabled, settings.widget_website_token, bool(hmac_token), inboxes, error, matches)


def expected_jobs() -> dict[str, str]:
	"""The app's scheduled methods and how often each runs, as its hooks declare them."""
	return scheduled_methods(frappe.get_hooks("scheduler_events", {}, app_name="chat_bridge"))


def scheduled_jobs() -> dict[str, ScheduledJob]:
	rows = frappe.get_all(
		"Scheduled Job Type",
		filters={"method": ("like", "chat_bridge.%")},
		fields=["method", "stopped", "last_execution"],
	)
	return {
		# get_datetime(None) is now: a job that never ran must stay without a last run.
		row.method: ScheduledJob(
			row.method, bool(row.stopped), get_datetime(row.last_execution) if row.last_execution else None
		)
		for row in rows
	}


def resolve(url: str) -> list[str] | None:
	"""The addresses the URL's host has here (Chatwoot's resolver may know others)."""
	try:
		return sorted({info[4][0] for info in socket.getaddrinfo(urlsplit(url).hostname or "", None)})
	except (OSError, UnicodeError):
		return None


def _reachability_error(url: str) -> str | None:
	try:
		requests.get(url, timeout=5, allow_redirects=False)
	except requests.RequestException as error:
		return type(error).__name__
	return None


def status_report(accounts: list[Account] | None = None) -> dict:
	"""Where the site stands, with a part for each of `accounts` (every connected account when None)."""
	from chat_bridge.rollout import stage_of

	settings = get_settings()
	flags = get_flags()
	events = dict(
		frappe.get_all(
			"Chatwoot Webhook Event",
			fields=["status", "count(name) as count"],
			group_by="status",
			as_list=True,
		)
	)
	if accounts is None:
		accounts = connected_accounts()
	return {
		"stage": stage_of(flags),
		"flags": {flag: bool(flags[flag]) for flag in FLAG_LABELS},
		"chatwoot_url": settings.chatwoot_url,
		"account_id": settings.account_id,
		"webhook_url": webhook_target(),
		"webhook_url_guessed": webhook_target_is_a_guess(),
		"contacts_mapped": frappe.db.count("Chatwoot Contact Mapping"),
		"conversations_mapped": frappe.db.count("Chatwoot Conversation Mapping"),
		"accounts": [account_report(account) for account in accounts],
		"last_webhook_at": settings.last_webhook_at,
		"last_sync_at": settings.last_sync_at,
		"timezone": get_system_timezone(),
		"events": events,
		"refused_last_hour": len(recent_refusals(refusals(), now_datetime())),
		"missed_deliveries": cint(settings.missed_deliveries),
		"missed_deliveries_since": settings.missed_deliveries_since,
	}


def account_report(account: Account) -> dict:
	return {
		"account_id": account.account_id,
		"company": account.company,
		"chatwoot_url": account.chatwoot_url,
		"webhook_url": webhook_target(account=account),
		"webhook_url_guessed": webhook_target_is_a_guess(account=account),
		"contacts_mapped": frappe.db.count("Chatwoot Contact Mapping", {"account_id": account.account_id}),
		"conversations_mapped": frappe.db.count(
			"Chatwoot Conversation Mapping", {"account_id": account.account_id}
		),
	}
