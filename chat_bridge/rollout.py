"""The staged rollout as data and checks: which flags each stage sets, and what must hold first.

`bench --site … chatwoot rollout <stage>` and `chatwoot doctor` gather the facts (by calling
Chatwoot, looking at the workers); everything here decides from those facts alone.
"""

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from chat_bridge.chatwoot.events import HANDLED_EVENTS
from chat_bridge.features import ANY_SITE, MASTER_FLAG, Feature, is_enabled
from chat_bridge.i18n import _
from chat_bridge.sync.summary import counted

SYNC_SUB_FLAGS = {
	Feature.CONTACT_SYNC.value: 1,
	Feature.CONVERSATION_SYNC.value: 1,
	Feature.MESSAGE_SYNC.value: 1,
}

# The flags each stage sets. "off" touches only the master switch, so switching it on again
# brings back exactly the stage the site was in.
STAGES: dict[str, dict[str, int]] = {
	"off": {MASTER_FLAG: 0},
	"dashboard": {MASTER_FLAG: 1, Feature.DASHBOARD.value: 1, Feature.API.value: 0, Feature.SYNC.value: 0},
	"api": {MASTER_FLAG: 1, Feature.DASHBOARD.value: 1, Feature.API.value: 1, Feature.SYNC.value: 0},
	"sync": {
		MASTER_FLAG: 1,
		Feature.DASHBOARD.value: 1,
		Feature.API.value: 1,
		Feature.SYNC.value: 1,
		**SYNC_SUB_FLAGS,
	},
}

# What must hold before a stage is switched on, by the names of the checks below.
STAGE_CHECKS: dict[str, tuple[str, ...]] = {
	"off": (),
	"dashboard": ("reachable",),
	"api": ("reachable", "token", "account"),
	"sync": (
		"reachable",
		"token",
		"account",
		"webhook",
		"secret",
		"workers",
		"scheduler",
		"scheduled_jobs",
	),
}

WEBHOOK_EVENTS = tuple(sorted(HANDLED_EVENTS))


def stage_of(flags: Mapping[str, object]) -> str:
	"""The furthest stage the flags have switched on ("off" when the master switch is off)."""
	if not flags.get(MASTER_FLAG):
		return "off"
	for stage, feature in (("sync", Feature.SYNC), ("api", Feature.API), ("dashboard", Feature.DASHBOARD)):
		if is_enabled(flags, feature):
			return stage
	return "enabled, nothing switched on"


@dataclass(frozen=True)
class Check:
	"""One verdict of `chatwoot doctor`. A warning passes (it blocks no stage) but says what to fix."""

	name: str
	ok: bool
	detail: str
	fix: str = ""
	warning: bool = False

	@property
	def verdict(self) -> str:
		return "FAIL" if not self.ok else "WARN" if self.warning else "PASS"

	def line(self) -> str:
		text = f"{self.verdict}  {self.name}: {self.detail}"
		return text if self.verdict == "PASS" or not self.fix else f"{text}\n      {_('fix')}: {self.fix}"


def check_reachable(url: str | None, error: str | None) -> Check:
	if not url:
		return Check(
			"reachable",
			False,
			_("no Chatwoot URL is set"),
			_("Set Chatwoot URL in Chatwoot Integration Settings."),
		)
	if error:
		return Check(
			"reachable",
			False,
			_("{0} did not answer ({1})").format(url, error),
			_("Check that this server can reach {0} (DNS, firewall, proxy).").format(url),
		)
	return Check("reachable", True, _("{0} answers").format(url))


def check_token(profile: Mapping | None, error_kind: str | None, account_id: int | None) -> Check:
	if error_kind == "missing":
		return Check(
			"token",
			False,
			_("no API Access Token is set"),
			_("Paste an administrator's access token (Chatwoot → Profile Settings) into the settings."),
		)
	if error_kind == "token":
		return Check(
			"token",
			False,
			_("Chatwoot rejects the API Access Token"),
			_("Copy the token again from Chatwoot → Profile Settings → Access Token."),
		)
	if profile is None:
		return Check(
			"token",
			False,
			_("could not check the token ({0})").format(error_kind),
			_("Run doctor again once Chatwoot is reachable."),
		)
	accounts = {
		int(a.get("id", 0)): a for a in profile.get("accounts") or [] if str(a.get("id", "")).isdigit()
	}
	who = profile.get("email") or profile.get("name") or _("the token's user")
	membership = accounts.get(account_id or 0)
	if membership is None:
		return Check(
			"token",
			False,
			_("{0} is not a member of account {1}").format(who, account_id),
			_("Use a token of an administrator of that account, or fix the Account ID."),
		)
	if membership.get("role") != "administrator":
		return Check(
			"token",
			False,
			_("{0} is an {1}, not an administrator").format(who, membership.get("role") or "agent"),
			_("Use an administrator's token: agents cannot see every inbox or manage webhooks."),
		)
	return Check("token", True, _("valid, {0} is an administrator of account {1}").format(who, account_id))


def check_account(account: Mapping | None, error_kind: str | None, account_id: int | None) -> Check:
	if account is not None:
		return Check("account", True, _("account {0} is {1!r}").format(account_id, account.get("name")))
	if not account_id:
		return Check(
			"account",
			False,
			_("no Account ID is set"),
			_("Set Chatwoot Account ID: the number after /app/accounts/ in Chatwoot's address bar."),
		)
	if error_kind == "missing":
		return Check(
			"account",
			False,
			_("account {0} was not checked: no API Access Token is set").format(account_id),
			_("Set the token first."),
		)
	if error_kind in ("not_found", "token", "forbidden", "account"):
		return Check(
			"account",
			False,
			_("account {0} cannot be opened with this token ({1})").format(account_id, error_kind),
			_("Fix the Account ID: it is the number after /app/accounts/ in Chatwoot's address bar."),
		)
	return Check(
		"account",
		False,
		_("could not check account {0} ({1})").format(account_id, error_kind),
		_("Run doctor again once Chatwoot is reachable."),
	)


def find_site_webhook(
	webhooks: Iterable[Mapping], site_url: str, webhook_id: int | None = None
) -> Mapping | None:
	"""The account webhook of this site: the one registered from here (by id), else the one posting
	to `site_url` (whose URL may carry a legacy token)."""
	webhooks = list(webhooks)
	for webhook in webhooks:
		if webhook_id and webhook.get("id") == webhook_id:
			return webhook
	for webhook in webhooks:
		if str(webhook.get("url") or "").split("?", 1)[0].rstrip("/") == site_url.rstrip("/"):
			return webhook
	return None


def check_webhook(
	webhook: Mapping | None,
	site_url: str,
	error_kind: str | None,
	bench_command: str = ANY_SITE,
	*,
	guessed: bool = False,
) -> Check:
	"""`guessed`: `site_url` is the site's guess at its own address (no URL given or registered, no
	host_name), which Chatwoot may well not reach; registering it as it is would be a mistake."""
	register = (
		_(
			"Register the address Chatwoot reaches this site at: `{0} chatwoot register-webhook --url https://<address>{1}`."
		).format(bench_command, urlsplit(site_url).path)
		if guessed
		else _("Run `{0} chatwoot register-webhook`.").format(bench_command)
	)
	if error_kind:
		return Check(
			"webhook",
			False,
			_("could not list Chatwoot's webhooks ({0})").format(error_kind),
			_("Use an administrator's token; {0}").format(register),
		)
	if webhook is None:
		if guessed:
			return Check(
				"webhook",
				False,
				_("no webhook in Chatwoot posts to {0}, this site's guess at its own address").format(
					site_url
				),
				register,
			)
		return Check("webhook", False, _("no webhook in Chatwoot posts to {0}").format(site_url), register)
	missing = sorted(set(WEBHOOK_EVENTS) - set(webhook.get("subscriptions") or []))
	if missing:
		return Check(
			"webhook",
			False,
			_("webhook {0} does not send {1}").format(webhook.get("id"), ", ".join(missing)),
			register,
		)
	return Check(
		"webhook", True, _("webhook {0} posts every needed event to {1}").format(webhook.get("id"), site_url)
	)


def check_delivery_address(url: str, addresses: Iterable[str] | None) -> Check:
	"""Whether Chatwoot can post to the webhook's address. Since 4.14 it posts only to public
	addresses unless it runs with SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true (lib/safe_fetch.rb:26-40),
	and a refused delivery is only written to Chatwoot's log (lib/webhooks/trigger.rb:26-37).
	`addresses` are what the URL's host resolves to here, None when it does not resolve."""
	host = urlsplit(url).hostname or url
	if addresses is None:
		return Check(
			"delivery",
			True,
			_("{0} does not resolve from this server; Chatwoot must be able to resolve and reach it").format(
				host
			),
			_("Give Chatwoot an address it can resolve: `register-webhook --url https://…`."),
			warning=True,
		)
	if any(is_public_address(address) for address in addresses):
		return Check("delivery", True, _("{0} is a public address, which Chatwoot posts to").format(host))
	return Check(
		"delivery",
		True,
		_(
			"{0} is a private address ({1}): Chatwoot drops every delivery to it unless it runs with SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true, and says so only in its own log"
		).format(host, ", ".join(sorted(set(addresses)))),
		_(
			"Set SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true in Chatwoot's environment and restart it, or register a public address with `register-webhook --url https://…`. Until then messages reach ERPNext only through reconciliation."
		),
		warning=True,
	)


def check_missed_deliveries(missed: int, since: datetime, bench_command: str = ANY_SITE) -> Check:
	"""Whether Chatwoot's deliveries arrive: messages that reached ERPNext only through the
	reconciliation mean they do not (chat_bridge.sync.deliveries)."""
	if not missed:
		return Check("deliveries", True, _("no message reached ERPNext only through the reconciliation"))
	return Check(
		"deliveries",
		False,
		_(
			"Chatwoot's deliveries are being lost: {0} reached ERPNext only through the reconciliation since {1:%Y-%m-%d %H:%M}"
		).format(counted(missed, "message"), since),
		_(
			"Check the delivery check above and Chatwoot's log for the webhook's errors; `{0} chatwoot send-test-webhook` shows whether the site can be reached. Meanwhile the reconciliation brings the messages, minutes late."
		).format(bench_command),
	)


def is_public_address(address: str) -> bool:
	"""Whether Chatwoot's SSRF filter lets a webhook post to `address` (not loopback, private,
	link-local, shared or reserved)."""
	try:
		ip = ipaddress.ip_address(address.split("%", 1)[0])
	except ValueError:
		return False
	if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
		ip = ip.ipv4_mapped
	return ip.is_global and not ip.is_multicast


def check_secret(
	webhook: Mapping | None, stored_secret: str | None, allow_unsigned: bool, bench_command: str = ANY_SITE
) -> Check:
	if webhook is None:
		return Check(
			"secret", False, _("there is no webhook to compare with"), _("Register the webhook first.")
		)
	chatwoot_secret = webhook.get("secret")
	if not chatwoot_secret:
		if allow_unsigned:
			return Check(
				"secret", True, _("Chatwoot signs nothing (4.11.1 or older); the legacy URL token is in use")
			)
		return Check(
			"secret",
			False,
			_("Chatwoot shows no secret for the webhook (4.11.1 or older?)"),
			_(
				"Upgrade Chatwoot to 4.11.2 or newer, or turn on Allow Unsigned Webhooks with a Webhook Token."
			),
		)
	if chatwoot_secret != stored_secret:
		return Check(
			"secret",
			False,
			_("the Webhook Secret differs from the webhook's secret in Chatwoot"),
			_("Run `{0} chatwoot register-webhook`, or paste Chatwoot's secret into the settings.").format(
				bench_command
			),
		)
	return Check("secret", True, _("the Webhook Secret matches Chatwoot's"))


def check_workers(count: int) -> Check:
	if count <= 0:
		return Check(
			"workers",
			False,
			_("no background worker is running"),
			_("Start the bench's workers (`bench start`, or supervisor/systemd in production)."),
		)
	return Check("workers", True, _("{0} running").format(counted(count, "background worker")))


def check_scheduler(active: bool, bench_command: str = ANY_SITE) -> Check:
	if not active:
		return Check(
			"scheduler",
			False,
			_("the scheduler is off for this site"),
			_("Run `{0} enable-scheduler` and keep `bench schedule` running.").format(bench_command),
		)
	return Check("scheduler", True, _("the scheduler is on"))


def check_guest_errors(show_full_error: bool) -> Check:
	"""Frappe answers a body its request parser rejects before any app code runs (broken JSON, say)
	with the full traceback, to guests too, while System Settings' "Show Full Error" is on."""
	if show_full_error:
		return Check(
			"guest_errors",
			True,
			_("the site shows Python tracebacks to guests (System Settings: Show Full Error is on)"),
			_(
				"Uncheck System Settings → Show Full Error and Allow Reporting of Issues to the Developer: the webhook is open to the internet."
			),
			warning=True,
		)
	return Check("guest_errors", True, _("errors reach guests without tracebacks"))


def check_widget(
	enabled: bool,
	website_token: str | None,
	hmac_token_set: bool,
	inboxes: Iterable[Mapping] | None,
	inboxes_error: str | None,
	hmac_token_matches: bool | None = None,
) -> Check:
	"""The website widget's settings against the account's inboxes.

	`inboxes` are Chatwoot's inbox list (None when it could not be read, `inboxes_error` saying
	why); `hmac_token_matches` whether the Widget HMAC Token is the inbox's own (None when Chatwoot
	does not show it, as to a token that is not an administrator's).
	"""
	if not enabled:
		return Check("widget", True, _("off (Enable Website Widget is not ticked)"))
	if not website_token:
		return Check(
			"widget",
			False,
			_("no Widget Website Token is set"),
			_("Copy the websiteToken of the website inbox (Chatwoot → Settings → Inboxes → Configuration)."),
		)
	if inboxes is None:
		return Check(
			"widget",
			True,
			_("the inbox of the Widget Website Token was not checked ({0})").format(inboxes_error),
			_("Set an administrator's API Access Token so that doctor can check it."),
			warning=True,
		)
	inbox = next((i for i in inboxes if i.get("website_token") == website_token), None)
	if inbox is None:
		return Check(
			"widget",
			False,
			_("no website inbox of the account has the Widget Website Token"),
			_("Copy the websiteToken again from the inbox's Configuration in Chatwoot."),
		)
	name = _("inbox {0} ({1})").format(inbox.get("id"), inbox.get("name"))
	if not hmac_token_set:
		return Check(
			"widget",
			True,
			_("{0}; visitors are not identified: no Widget HMAC Token is set").format(name),
			_(
				"Copy the inbox's identity validation token into Widget HMAC Token to sign customers in to the chat."
			),
			warning=True,
		)
	if hmac_token_matches is False:
		return Check(
			"widget",
			False,
			_("the Widget HMAC Token is not {0}'s identity validation token").format(name),
			_("Copy it again from the inbox's Configuration → Identity Validation in Chatwoot."),
		)
	if not inbox.get("hmac_mandatory"):
		return Check(
			"widget",
			False,
			_("{0} does not enforce identity validation: a visitor can claim any identity").format(name),
			_("Tick Enforce User Identity Validation in the inbox's Configuration → Identity Validation."),
		)
	return Check("widget", True, _("{0} signs customers in, with identity validation enforced").format(name))


def frame_urls(app: Mapping) -> list[str]:
	return [str(item.get("url") or "") for item in app.get("content") or [] if isinstance(item, Mapping)]


def find_dashboard_app(apps: Iterable[Mapping], card_url: str, app_id: int | None = None) -> Mapping | None:
	"""The customer card's Dashboard App: the one registered from here (by id), else one framing `card_url`."""
	apps = list(apps)
	for app in apps:
		if app_id and app.get("id") == app_id:
			return app
	for app in apps:
		if card_url in frame_urls(app):
			return app
	return None


def check_dashboard_app(
	enabled: bool, app: Mapping | None, card_url: str, error_kind: str | None, bench_command: str = ANY_SITE
) -> Check:
	register = _("Run `{0} chatwoot register-dashboard-app`.").format(bench_command)
	if not enabled:
		return Check("dashboard_app", True, _("off (Enable ERPNext in Chatwoot is not ticked)"))
	if error_kind:
		return Check(
			"dashboard_app",
			False,
			_("could not list Chatwoot's Dashboard Apps ({0})").format(error_kind),
			_("Use an administrator's token; {0}").format(register),
		)
	if app is None:
		return Check(
			"dashboard_app", False, _("no Dashboard App in Chatwoot shows {0}").format(card_url), register
		)
	if card_url not in frame_urls(app):
		return Check(
			"dashboard_app",
			False,
			_("Dashboard App {0} shows {1}, not {2}").format(
				app.get("id"), ", ".join(frame_urls(app)) or "nothing", card_url
			),
			register,
		)
	return Check(
		"dashboard_app",
		True,
		_("Dashboard App {0} shows the customer card ({1})").format(app.get("id"), card_url),
	)


@dataclass(frozen=True)
class ScheduledJob:
	"""What a site's Scheduled Job Type says of one of the app's jobs."""

	method: str
	stopped: bool
	last_execution: datetime | None


def scheduled_methods(scheduler_events: Mapping) -> dict[str, str]:
	"""{method: how often it runs} from a `scheduler_events` hook (cron lines, or daily and the like)."""
	methods = {}
	for frequency, entries in scheduler_events.items():
		if frequency == "cron":
			methods.update({method: line for line, listed in entries.items() for method in listed})
		else:
			methods.update(dict.fromkeys(entries, frequency))
	return methods


def longest_gap(frequency: str) -> timedelta:
	"""How long a healthy scheduler may leave a job of `frequency` (a hooks key or a cron line) unrun."""
	every = re.fullmatch(r"\*/(\d+) \* \* \* \*", frequency.strip())
	if every:
		return timedelta(minutes=3 * int(every.group(1)))
	return {"hourly": timedelta(hours=3), "daily": timedelta(days=2), "weekly": timedelta(days=9)}.get(
		frequency.replace("_long", ""), timedelta(days=2)
	)


def check_scheduled_jobs(
	expected: Mapping[str, str],
	jobs: Mapping[str, ScheduledJob],
	now: datetime,
	bench_command: str = ANY_SITE,
) -> Check:
	"""The app's own jobs (method → frequency, from hooks.py) exist, are not stopped and have run lately.

	Retries, the rescue of lost events and the reconciliation all run from these: a site without
	them keeps failed events failed and webhook gaps open, while the scheduler itself looks fine.
	"""
	missing = sorted(method for method in expected if method not in jobs)
	if missing:
		return Check(
			"scheduled_jobs",
			False,
			_("no Scheduled Job Type for {0}").format(", ".join(missing)),
			_("Run `{0} migrate`, which creates the app's scheduled jobs.").format(bench_command),
		)
	stopped = sorted(method for method in expected if jobs[method].stopped)
	if stopped:
		return Check(
			"scheduled_jobs",
			False,
			_("stopped: {0}").format(", ".join(stopped)),
			_("Uncheck Stopped on these Scheduled Job Types."),
		)
	late = sorted(
		method
		for method, frequency in expected.items()
		if jobs[method].last_execution and now - jobs[method].last_execution > longest_gap(frequency)
	)
	if late:
		return Check(
			"scheduled_jobs",
			False,
			_("not run lately: {0}").format(
				", ".join(_("{0} (last {1:%Y-%m-%d %H:%M})").format(m, jobs[m].last_execution) for m in late)
			),
			_("Keep `bench schedule` (or the supervisor's scheduler process) running."),
		)
	never = sorted(method for method in expected if jobs[method].last_execution is None)
	if never:
		return Check(
			"scheduled_jobs",
			True,
			_("not run yet: {0}").format(", ".join(never)),
			_("Give the scheduler a few minutes; if this stays, check that `bench schedule` runs."),
			warning=True,
		)
	last_runs = ", ".join(
		_("{0} at {1:%Y-%m-%d %H:%M}").format(method.rsplit(".", 1)[-1], jobs[method].last_execution)
		for method in sorted(expected)
	)
	return Check(
		"scheduled_jobs",
		True,
		_("all {0} of the app's jobs have run lately: {1}").format(len(expected), last_runs),
	)


# A webhook whose secret no longer matches is refused every time, and Chatwoot gives up without
# retrying: a few refusals within the hour are worth an alarm.
REFUSALS_ALARM = 3
REFUSALS_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Refusal:
	"""A delivery the webhook refused as unauthenticated (401)."""

	at: datetime
	reason: str


def recent_refusals(refusals: Iterable[Refusal], now: datetime) -> list[Refusal]:
	return [r for r in refusals if now - r.at <= REFUSALS_WINDOW]


def check_refusals(refusals: Iterable[Refusal], now: datetime, bench_command: str = ANY_SITE) -> Check:
	"""Deliveries refused with 401 lately: the sign of a secret that differs from Chatwoot's."""
	recent = sorted(recent_refusals(refusals, now), key=lambda r: r.at)
	if len(recent) < REFUSALS_ALARM:
		detail = (
			_("1 delivery refused as unauthenticated in the last hour")
			if len(recent) == 1
			else _("{0} deliveries refused as unauthenticated in the last hour").format(len(recent))
		)
		return Check("refusals", True, detail)
	last = recent[-1]
	return Check(
		"refusals",
		False,
		_(
			"{0} deliveries refused as unauthenticated in the last hour; the last at {1:%Y-%m-%d %H:%M}: {2}"
		).format(len(recent), last.at, last.reason),
		_(
			"If they come from Chatwoot, the Webhook Secret here is not the webhook's: paste the secret Chatwoot shows for it, or run `{0} chatwoot register-webhook` (which keeps that webhook's secret). Then `chatwoot backfill --since` the first refusal brings back what was refused."
		).format(bench_command),
	)


def blockers(stage: str, checks: Mapping[str, Check]) -> list[Check]:
	"""The checks `stage` needs that did not pass (missing ones count as not passed)."""
	if stage not in STAGES:
		raise ValueError(f"Unknown stage {stage!r}: one of {', '.join(STAGES)}.")
	return [
		checks.get(name) or Check(name, False, _("not checked"))
		for name in STAGE_CHECKS[stage]
		if not (checks.get(name) and checks[name].ok)
	]


def stage_blockers(
	stage: str, site: Mapping[str, Check], accounts: Mapping[int, Mapping[str, Check]]
) -> list[Check]:
	"""What keeps `stage` from every connected account: each account's checks with the site's,
	an account's failures named by its id when there are several, the site's said once."""
	if len(accounts) < 2:
		return blockers(stage, {**site, **next(iter(accounts.values()), {})})
	failing: dict[str, Check] = {}
	for account_id, checks in accounts.items():
		for check in blockers(stage, {**site, **checks}):
			name = check.name if check.name in site else f"{check.name} ({_('account')} {account_id})"
			failing.setdefault(name, replace(check, name=name))
	return list(failing.values())
