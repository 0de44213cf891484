"""Where the rollout stands and moving it: `status`, `doctor` and `rollout`."""

import click
from frappe.commands import pass_context

from chat_bridge.commands.group import account_option, accounts_named, chatwoot, moment, on_site
from chat_bridge.i18n import _


@chatwoot.command("status")
@account_option
@pass_context
def status(context, account_id):
	"""Which rollout stage the site is in, its flags, each Chatwoot account, and what the sync has done."""
	from chat_bridge.doctor import status_report
	from chat_bridge.sync.summary import counted

	with on_site(context):
		report = status_report(accounts_named(account_id))
		not_set = _("(not set)")
		flags = ", ".join(f"{flag} {_('on') if on else _('off')}" for flag, on in report["flags"].items())
		events = ", ".join(f"{count} {_(state)}" for state, count in sorted(report["events"].items()))
		lines = [(_("Stage"), report["stage"]), (_("Flags"), flags)]
		for account in report["accounts"] or [None]:
			lines += account_lines(account, not_set, counted)
		lines += [
			(_("Last webhook"), moment(report["last_webhook_at"], report["timezone"])),
			(_("Last sync"), moment(report["last_sync_at"], report["timezone"])),
			(_("Webhook events"), events or _("none")),
			(_("Refused (401)"), _("{0} in the last hour").format(report["refused_last_hour"])),
			(
				_("Only reconciled"),
				_("{0} since {1}").format(
					counted(report["missed_deliveries"], "message"),
					moment(report["missed_deliveries_since"], report["timezone"]),
				)
				if report["missed_deliveries"]
				else _("none: Chatwoot's deliveries arrive"),
			),
		]
		for label, value in lines:
			click.echo(f"{label + ':':<18}{value}")


def account_lines(account: dict | None, not_set: str, counted) -> list[tuple[str, str]]:
	"""What `status` says of one account: where it is, its Company, its webhook and what is mapped."""
	if account is None:
		return [(_("Chatwoot"), _("{0}, account {1}").format(not_set, not_set))]
	where = _("{0}, account {1}").format(account["chatwoot_url"] or not_set, account["account_id"])
	if account["company"]:
		where = _("{0} for {1}").format(where, account["company"])
	mapped = (
		counted(account["contacts_mapped"], "contact"),
		counted(account["conversations_mapped"], "conversation"),
	)
	return [
		(_("Chatwoot"), where),
		(
			_("Webhook URL"),
			_(
				"{0} (a guess at this site's address: register the real one with `register-webhook --url`)"
			).format(account["webhook_url"])
			if account["webhook_url_guessed"]
			else account["webhook_url"],
		),
		(_("Mapped"), ", ".join(mapped)),
	]


@chatwoot.command("doctor")
@click.option(
	"--webhook-url",
	help="The webhook URL Chatwoot should use; by default the registered one, else this site's own.",
)
@account_option
@pass_context
def doctor(context, webhook_url, account_id):
	"""Check the setup, one line per check with what to fix; exits 1 when something fails.

	The checks of each account's connection come first, under its id when there are several; the
	site's own checks follow once."""
	from chat_bridge.doctor import gather_checks_by_account

	with on_site(context):
		site, by_account = gather_checks_by_account(webhook_url, accounts_named(account_id))
		checks = []
		for shown_id, account_checks in by_account.items():
			if len(by_account) > 1:
				click.echo(_("Chatwoot account {0}:").format(shown_id))
			for check in account_checks.values():
				click.echo(check.line())
				checks.append(check)
		if len(by_account) > 1:
			click.echo(_("This site:"))
		for check in site.values():
			click.echo(check.line())
			checks.append(check)
		failed = [c for c in checks if not c.ok]
		warnings = [c for c in checks if c.verdict == "WARN"]
		passed = len(checks) - len(failed)
		click.echo(
			_("{0} of {1} checks passed, {2} with a warning.").format(passed, len(checks), len(warnings))
			if warnings
			else _("{0} of {1} checks passed.").format(passed, len(checks))
		)
		if failed:
			raise SystemExit(1)


@chatwoot.command("rollout")
@click.argument("stage", type=click.Choice(["dashboard", "api", "sync", "off"]))
@click.option(
	"--webhook-url",
	help="The webhook URL Chatwoot should use; by default the registered one, else this site's own.",
)
@pass_context
def rollout(context, stage, webhook_url):
	"""Switch the site to a rollout stage once its checks pass, for every connected account; `off`
	is the instant rollback."""
	with on_site(context):
		failing = apply_stage(stage, webhook_url=webhook_url)
		if failing:
			click.echo(_("Not switched to {0}. Fix these first:").format(stage))
			for check in failing:
				click.echo(check.line())
			raise SystemExit(1)
		click.echo(
			_("Switched to {0}.").format(stage)
			if stage != "off"
			else _("Switched off: nothing of Chat Bridge runs now.")
		)


def apply_stage(stage: str, *, webhook_url: str | None = None) -> list:
	"""Set the flags of `stage` if its checks pass for the site and every connected account; the
	checks that failed otherwise (nothing is changed)."""
	import frappe

	from chat_bridge.doctor import gather_checks_by_account
	from chat_bridge.rollout import STAGES, stage_blockers
	from chat_bridge.settings import SETTINGS_DOCTYPE

	failing = stage_blockers(stage, *gather_checks_by_account(webhook_url)) if stage != "off" else []
	if failing:
		return failing
	settings = frappe.get_single(SETTINGS_DOCTYPE)
	settings.update(STAGES[stage])
	settings.save()
	frappe.db.commit()
	return []
