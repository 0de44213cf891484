"""Where the rollout stands and moving it: `status`, `doctor` and `rollout`."""

import click
from frappe.commands import pass_context

from chat_bridge.commands.group import chatwoot, moment, on_site


@chatwoot.command("status")
@pass_context
def status(context):
	"""Which rollout stage the site is in, its flags, Chatwoot's address, and what the sync has done."""
	from chat_bridge.doctor import status_report
	from chat_bridge.sync.summary import counted

	with on_site(context):
		report = status_report()
		click.echo(f"Stage:            {report['stage']}")
		click.echo(
			"Flags:            "
			+ ", ".join(f"{flag} {'on' if on else 'off'}" for flag, on in report["flags"].items())
		)
		click.echo(
			f"Chatwoot:         {report['chatwoot_url'] or '(not set)'}, account {report['account_id'] or '(not set)'}"
		)
		click.echo(f"Webhook URL:      {report['webhook_url']}")
		click.echo(f"Last webhook:     {moment(report['last_webhook_at'], report['timezone'])}")
		click.echo(f"Last sync:        {moment(report['last_sync_at'], report['timezone'])}")
		click.echo(
			f"Mapped:           {counted(report['contacts_mapped'], 'contact')}, "
			f"{counted(report['conversations_mapped'], 'conversation')}"
		)
		events = ", ".join(f"{count} {state}" for state, count in sorted(report["events"].items())) or "none"
		click.echo(f"Webhook events:   {events}")
		click.echo(f"Refused (401):    {report['refused_last_hour']} in the last hour")


@chatwoot.command("doctor")
@click.option(
	"--webhook-url",
	help="The webhook URL Chatwoot should use; by default the registered one, else this site's own.",
)
@pass_context
def doctor(context, webhook_url):
	"""Check the setup, one line per check with what to fix; exits 1 when something fails."""
	from chat_bridge.doctor import gather_checks

	with on_site(context):
		checks = gather_checks(webhook_url)
		for check in checks.values():
			click.echo(check.line())
		failed = [c for c in checks.values() if not c.ok]
		warnings = [c for c in checks.values() if c.verdict == "WARN"]
		click.echo(
			f"{len(checks) - len(failed)} of {len(checks)} checks passed"
			+ (f", {len(warnings)} with a warning." if warnings else ".")
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
	"""Switch the site to a rollout stage once its checks pass; `off` is the instant rollback."""
	from chat_bridge.doctor import gather_checks

	with on_site(context):
		failing = apply_stage(stage, checks=gather_checks(webhook_url) if stage != "off" else {})
		if failing:
			click.echo(f"Not switched to {stage}. Fix these first:")
			for check in failing:
				click.echo(check.line())
			raise SystemExit(1)
		click.echo(
			f"Switched to {stage}." if stage != "off" else "Switched off: nothing of Chat Bridge runs now."
		)


def apply_stage(stage: str, *, checks: dict | None = None) -> list:
	"""Set the flags of `stage` if its checks pass; the checks that failed otherwise (nothing is changed)."""
	import frappe

	from chat_bridge.doctor import gather_checks
	from chat_bridge.rollout import STAGES, blockers
	from chat_bridge.settings import SETTINGS_DOCTYPE

	failing = blockers(stage, checks if checks is not None else (gather_checks() if stage != "off" else {}))
	if failing:
		return failing
	settings = frappe.get_single(SETTINGS_DOCTYPE)
	settings.update(STAGES[stage])
	settings.save()
	frappe.db.commit()
	return []
