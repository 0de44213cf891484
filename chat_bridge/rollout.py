"""The staged rollout as data and checks: which flags each stage sets, and what must hold first.

`bench --site … chatwoot rollout <stage>` and `chatwoot doctor` gather the facts (by calling
Chatwoot, looking at the workers); everything here decides from those facts alone.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chat_bridge.chatwoot.events import HANDLED_EVENTS
from chat_bridge.features import MASTER_FLAG, Feature, is_enabled

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
	"sync": ("reachable", "token", "account", "webhook", "secret", "workers", "scheduler"),
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
	name: str
	ok: bool
	detail: str
	fix: str = ""

	def line(self) -> str:
		text = f"{'PASS' if self.ok else 'FAIL'}  {self.name}: {self.detail}"
		return text if self.ok or not self.fix else f"{text}\n      fix: {self.fix}"


def check_reachable(url: str | None, error: str | None) -> Check:
	if not url:
		return Check(
			"reachable", False, "no Chatwoot URL is set", "Set Chatwoot URL in Chatwoot Integration Settings."
		)
	if error:
		return Check(
			"reachable",
			False,
			f"{url} did not answer ({error})",
			f"Check that this server can reach {url} (DNS, firewall, proxy).",
		)
	return Check("reachable", True, f"{url} answers")


def check_token(profile: Mapping | None, error_kind: str | None, account_id: int | None) -> Check:
	if error_kind == "missing":
		return Check(
			"token",
			False,
			"no API Access Token is set",
			"Paste an administrator's access token (Chatwoot → Profile Settings) into the settings.",
		)
	if error_kind == "token":
		return Check(
			"token",
			False,
			"Chatwoot rejects the API Access Token",
			"Copy the token again from Chatwoot → Profile Settings → Access Token.",
		)
	if profile is None:
		return Check(
			"token",
			False,
			f"could not check the token ({error_kind})",
			"Run doctor again once Chatwoot is reachable.",
		)
	accounts = {
		int(a.get("id", 0)): a for a in profile.get("accounts") or [] if str(a.get("id", "")).isdigit()
	}
	who = profile.get("email") or profile.get("name") or "the token's user"
	membership = accounts.get(account_id or 0)
	if membership is None:
		return Check(
			"token",
			False,
			f"{who} is not a member of account {account_id}",
			"Use a token of an administrator of that account, or fix the Account ID.",
		)
	if membership.get("role") != "administrator":
		return Check(
			"token",
			False,
			f"{who} is an {membership.get('role') or 'agent'}, not an administrator",
			"Use an administrator's token: agents cannot see every inbox or manage webhooks.",
		)
	return Check("token", True, f"valid, {who} is an administrator of account {account_id}")


def check_account(account: Mapping | None, error_kind: str | None, account_id: int | None) -> Check:
	if account is not None:
		return Check("account", True, f"account {account_id} is {account.get('name')!r}")
	if error_kind in ("not_found", "token", "forbidden"):
		return Check(
			"account",
			False,
			f"account {account_id} cannot be opened with this token ({error_kind})",
			"Fix the Account ID: it is the number after /app/accounts/ in Chatwoot's address bar.",
		)
	return Check(
		"account",
		False,
		f"could not check account {account_id} ({error_kind})",
		"Run doctor again once Chatwoot is reachable.",
	)


def find_site_webhook(webhooks: Iterable[Mapping], site_url: str) -> Mapping | None:
	"""The account webhook posting to this site's endpoint (the URL may carry a legacy token)."""
	for webhook in webhooks:
		if str(webhook.get("url") or "").split("?", 1)[0].rstrip("/") == site_url.rstrip("/"):
			return webhook
	return None


def check_webhook(webhook: Mapping | None, site_url: str, error_kind: str | None) -> Check:
	register = "Run `bench --site <site> chatwoot register-webhook`."
	if error_kind:
		return Check(
			"webhook",
			False,
			f"could not list Chatwoot's webhooks ({error_kind})",
			"Use an administrator's token; " + register,
		)
	if webhook is None:
		return Check("webhook", False, f"no webhook in Chatwoot posts to {site_url}", register)
	missing = sorted(set(WEBHOOK_EVENTS) - set(webhook.get("subscriptions") or []))
	if missing:
		return Check(
			"webhook", False, f"webhook {webhook.get('id')} does not send {', '.join(missing)}", register
		)
	return Check("webhook", True, f"webhook {webhook.get('id')} posts every needed event to {site_url}")


def check_secret(webhook: Mapping | None, stored_secret: str | None, allow_unsigned: bool) -> Check:
	if webhook is None:
		return Check("secret", False, "there is no webhook to compare with", "Register the webhook first.")
	chatwoot_secret = webhook.get("secret")
	if not chatwoot_secret:
		if allow_unsigned:
			return Check(
				"secret", True, "Chatwoot signs nothing (4.11.1 or older); the legacy URL token is in use"
			)
		return Check(
			"secret",
			False,
			"Chatwoot shows no secret for the webhook (4.11.1 or older?)",
			"Upgrade Chatwoot to 4.11.2 or newer, or turn on Allow Unsigned Webhooks with a Webhook Token.",
		)
	if chatwoot_secret != stored_secret:
		return Check(
			"secret",
			False,
			"the Webhook Secret differs from the webhook's secret in Chatwoot",
			"Run `bench --site <site> chatwoot register-webhook`, or paste Chatwoot's secret into the settings.",
		)
	return Check("secret", True, "the Webhook Secret matches Chatwoot's")


def check_workers(count: int) -> Check:
	if count <= 0:
		return Check(
			"workers",
			False,
			"no background worker is running",
			"Start the bench's workers (`bench start`, or supervisor/systemd in production).",
		)
	return Check("workers", True, f"{count} background worker{'s' if count != 1 else ''} running")


def check_scheduler(active: bool) -> Check:
	if not active:
		return Check(
			"scheduler",
			False,
			"the scheduler is off for this site",
			"Run `bench --site <site> enable-scheduler` and keep `bench schedule` running.",
		)
	return Check("scheduler", True, "the scheduler is on")


def blockers(stage: str, checks: Mapping[str, Check]) -> list[Check]:
	"""The checks `stage` needs that did not pass (missing ones count as not passed)."""
	if stage not in STAGES:
		raise ValueError(f"Unknown stage {stage!r}: one of {', '.join(STAGES)}.")
	return [
		checks.get(name) or Check(name, False, "not checked")
		for name in STAGE_CHECKS[stage]
		if not (checks.get(name) and checks[name].ok)
	]
