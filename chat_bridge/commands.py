"""`bench --site <site> chatwoot …`: Chat Bridge from the command line.

Bench imports this module on every command it runs, so the work is imported inside each command.
"""

from contextlib import contextmanager

import click
from frappe.commands import get_site, pass_context


@click.group("chatwoot")
def chatwoot():
	"""Chat Bridge: Chatwoot webhooks, sync and rollout."""


@contextmanager
def on_site(context):
	"""Run a command's work on the site of `bench --site …`.

	What Frappe refuses (settings that are incomplete, a record that is missing) and what Chatwoot
	refuses end the command with one line saying so, not with a traceback.
	"""
	import frappe

	from chat_bridge.chatwoot.errors import ChatwootError

	frappe.init(site=get_site(context))
	frappe.connect()
	try:
		yield
	except ChatwootError as error:
		raise click.ClickException(f"Chatwoot: {error}") from None
	except frappe.ValidationError as error:
		raise click.ClickException(refusal(error)) from None
	finally:
		frappe.destroy()


def refusal(error: Exception) -> str:
	"""The sentence of a frappe.throw, which may carry a list of problems, as plain text."""
	from frappe.utils import strip_html

	message = error.args[0] if error.args else str(error)
	problems = message if isinstance(message, list | tuple) else [message]
	return " ".join(strip_html(str(problem)).strip() for problem in problems)


@chatwoot.command("replay")
@click.option("--failed", is_flag=True, help="Only events that failed.")
@click.option(
	"--since", metavar="DATE", help="Only events received since DATE (e.g. 2026-11-01 or '2026-11-01 08:00')."
)
@click.option("--event", "event_name", metavar="EVENT", help="Only this event, e.g. message_created.")
@pass_context
def replay(context, failed, since, event_name):
	"""Process recorded webhook events again, here and now."""
	from chat_bridge.chatwoot.events import normalize_event
	from chat_bridge.webhook.processor import events_to_replay, replay_events

	if not failed and not since:
		raise click.UsageError("Say which events to replay: --failed, --since DATE, or both.")
	since_at = parse_date(since, "--since")
	with on_site(context):
		names = events_to_replay(
			failed_only=failed, since=since_at, event=normalize_event(event_name) or None
		)
		if not names:
			click.echo("No events match.")
			return
		summary = replay_events(
			names,
			report=lambda number, total, name, status: click.echo(f"[{number}/{total}] {name}: {status}"),
		)
		click.echo("Done: " + ", ".join(f"{count} {status}" for status, count in sorted(summary.items())))


def parse_date(value: str | None, option: str):
	from frappe.utils import get_datetime

	try:
		return get_datetime(value) if value else None
	except Exception:
		raise click.BadParameter(f"{value!r} is not a date", param_hint=option) from None


@chatwoot.command("send-test-webhook")
@click.option(
	"--event",
	type=click.Choice(["conversation_typing_on", "message_created"]),
	default="conversation_typing_on",
	help="conversation_typing_on changes nothing; message_created creates records when sync is on.",
)
@click.option("--url", help="The webhook URL to call; by default the registered one, else this site's own.")
@pass_context
def send_test_webhook(context, event, url):
	"""Send a signed test delivery to this site's webhook and show the answer and the latency."""
	from chat_bridge.chatwoot.probe import format_result, send_probe
	from chat_bridge.doctor import webhook_target
	from chat_bridge.settings import get_secret, get_settings

	with on_site(context):
		settings = get_settings()
		secret = get_secret("webhook_secret")
		token = get_secret("webhook_token") if settings.allow_unsigned_webhooks else None
		if not secret and not token:
			raise click.ClickException(
				"Set a Webhook Secret (or the legacy Webhook Token) in Chatwoot Integration Settings first."
			)
		target = webhook_target(url)
		result = send_probe(
			target,
			secret=secret,
			token=None if secret else token,
			event=event,
			account_id=settings.account_id or 1,
		)
		click.echo(f"POST {target}")
		click.echo(format_result(result))
		if not result.ok:
			raise SystemExit(1)


@chatwoot.command("backfill")
@click.option("--contacts", is_flag=True, help="Pull contacts.")
@click.option("--conversations", is_flag=True, help="Pull conversations (status, assignee, labels).")
@click.option("--messages", is_flag=True, help="Pull the messages of the conversations.")
@click.option("--since", metavar="DATE", help="Only what was active since DATE.")
@click.option("--quiet", is_flag=True, help="No progress bar: the summary only.")
@click.option("--verbose", is_flag=True, help="A line for every record pulled.")
@pass_context
def backfill(context, contacts, conversations, messages, since, quiet, verbose):
	"""Pull from Chatwoot what webhooks did not bring (all three kinds when none is named).

	Safe to run again, and while webhooks arrive: nothing is created twice. Safe to interrupt
	(Ctrl-C): what was written is kept, and the next run goes on from there.
	"""
	import frappe

	from chat_bridge.api.chatwoot import system_client
	from chat_bridge.features import Feature
	from chat_bridge.progress import Progress
	from chat_bridge.records.pull import backfill as pull
	from chat_bridge.settings import feature_enabled
	from chat_bridge.sync.summary import counted

	since_at = parse_date(since, "--since")
	everything = not (contacts or conversations or messages)
	with on_site(context):
		if not feature_enabled(Feature.SYNC):
			raise click.ClickException("Sync is off: turn on Enable Integration and Enable Sync first.")
		progress = Progress(shown=False if quiet or verbose else None)
		try:
			summary = pull(
				system_client(),
				contacts=everything or contacts,
				conversations=everything or conversations,
				messages=everything or messages,
				since=since_at,
				report=(lambda kind, item, action: click.echo(f"{kind} {item}: {action}"))
				if verbose
				else None,
				progress=progress,
			)
		except KeyboardInterrupt:
			frappe.db.rollback()
			progress.close()
			click.echo(
				"\nInterrupted. What was pulled so far is kept; run the same command again to go on.",
				err=True,
			)
			raise SystemExit(130) from None
		progress.close()
		for failure in summary.failures:
			click.echo(f"failed: {failure}", err=True)
		click.echo(f"Done: {summary}")
		for kind, seconds in summary.seconds.items():
			pulled = summary.of_kind(kind)
			click.echo(
				f"  {counted(pulled, kind)} in {seconds:.0f} s ({pulled / max(seconds, 0.001):.0f} a second)"
			)
		if summary.failures:
			raise SystemExit(1)


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


def moment(value, timezone: str) -> str:
	"""A stored time as the site keeps it (in its system time zone), saying which zone that is."""
	from frappe.utils import get_datetime

	return f"{get_datetime(value):%Y-%m-%d %H:%M:%S} {timezone}" if value else "never"


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
	from chat_bridge.doctor import apply_stage, gather_checks

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


@chatwoot.command("register-webhook")
@click.option(
	"--url", "webhook_url", help="The URL Chatwoot should post to, when it is not this site's own address."
)
@pass_context
def register_webhook(context, webhook_url):
	"""Create or update this site's webhook in Chatwoot and store the secret Chatwoot returns."""
	from chat_bridge.doctor import register_webhook as register

	with on_site(context):
		result = register(webhook_url)
		click.echo(
			f"{'Created' if result['created'] else 'Updated'} webhook {result['id']} posting to {result['url']}."
		)
		if result["moved_from"]:
			click.echo(f"It posted to {result['moved_from']} before.")
		if result["secret_replaced"]:
			click.echo(
				"The stored Webhook Secret was replaced by this webhook's: deliveries signed with the old one are refused now."
			)
		if not result["signed"]:
			click.echo(
				"Chatwoot returned no secret (4.11.1 or older): use Allow Unsigned Webhooks with a Webhook Token."
			)


@chatwoot.command("register-dashboard-app")
@click.option(
	"--url", help="The card's address as Chatwoot's agents' browsers reach it, when not this site's own."
)
@pass_context
def register_dashboard_app(context, url):
	"""Create the customer card's Dashboard App in Chatwoot, or update the one made from here before."""
	from chat_bridge.doctor import register_dashboard_app as register

	with on_site(context):
		result = register(url)
		click.echo(
			f"{'Created' if result['created'] else 'Updated'} Dashboard App {result['id']} showing {result['url']}."
		)
		if result["moved_from"]:
			click.echo(f"It showed {result['moved_from']} before.")


@chatwoot.command("push-context")
@click.option("--customer", metavar="CUSTOMER", help="Only this Customer.")
@pass_context
def push_context(context, customer):
	"""Put every Customer's figures on its Chatwoot contacts now (or one Customer's)."""
	import frappe

	from chat_bridge.api.chatwoot import system_client
	from chat_bridge.context.push import customers_with_contacts, has_erpnext, push_all, pushing

	with on_site(context):
		if not pushing():
			raise click.ClickException(
				"Customer context is off: turn on Enable ERPNext in Chatwoot and Contact Sync first."
			)
		if not has_erpnext():
			raise click.ClickException("Customer context needs ERPNext, which is not installed on this site.")
		client = system_client()
		customers = customers_with_contacts(client.account_id, only=customer)
		if customer and not customers:
			raise click.ClickException(f"There is no Customer {customer}.")
		with click.progressbar(length=len(customers), label="Customers", show_eta=True, show_pos=True) as bar:
			summary = push_all(client, customers, report=lambda _customer, _sent: bar.update(1))
		frappe.db.commit()
		click.echo(
			f"Done: {summary['customers']} customers, {summary['contacts']} Chatwoot contacts updated, "
			f"{len(summary['failed'])} failed."
		)
		for failure in summary["failed"]:
			click.echo(f"failed: {failure}", err=True)
		if summary["failed"]:
			raise SystemExit(1)


@chatwoot.command("provision-agent")
@click.argument("user")
@click.option(
	"--role", type=click.Choice(["agent", "administrator"]), help="The role in the account (default: agent)."
)
@click.option(
	"--inbox",
	"inboxes",
	type=int,
	multiple=True,
	metavar="ID",
	help="An inbox to add the agent to; repeat for more.",
)
@pass_context
def provision_agent(context, user, role, inboxes):
	"""Make USER a Chatwoot agent, or finish what an earlier run left.

	With the Platform API Token: creates (or claims) the Chatwoot user, adds them to the account and
	the inboxes, and stores their token. Without it: Chatwoot e-mails them an invitation.
	"""
	import frappe

	from chat_bridge.features import Feature
	from chat_bridge.provisioning.agents import provision_agent as provision
	from chat_bridge.settings import get_settings, require_feature

	with on_site(context):
		require_feature(Feature.API)
		record = provision(
			user, get_settings().account_id, role=role, inboxes=list(inboxes) if inboxes else None
		)
		frappe.db.commit()
		for step, label in STEP_LINES:
			click.echo(f"{label:<20}{record.get(f'{step}_step') or 'not yet'}")
		click.echo(f"Status:             {record.status} (Chatwoot user {record.chatwoot_user_id or '-'})")
		if record.last_error:
			raise click.ClickException(record.last_error)
		if record.status == "Invited":
			click.echo(
				"Chatwoot has e-mailed an invitation (no Platform API Token is set); their token is linked "
				"when they store it in Chatwoot User Token after accepting."
			)


@chatwoot.command("deprovision-agent")
@click.argument("user")
@click.option("--delete-user", is_flag=True, help="Also delete the Chatwoot user (Platform API only).")
@pass_context
def deprovision_agent(context, user, delete_user):
	"""Take USER out of the Chatwoot account and delete their stored token."""
	import frappe

	from chat_bridge.features import Feature
	from chat_bridge.provisioning.agents import deprovision_agent as deprovision
	from chat_bridge.settings import get_settings, require_feature

	with on_site(context):
		require_feature(Feature.API)
		record = deprovision(user, get_settings().account_id, delete_chatwoot_user=delete_user)
		frappe.db.commit()
		click.echo(
			f"{user} is out of Chatwoot account {record.account_id}; their token is deleted"
			+ (", and so is the Chatwoot user." if delete_user else ".")
		)


STEP_LINES = (
	("user", "Chatwoot user:"),
	("account", "Account:"),
	("inboxes", "Inboxes:"),
	("token", "Access token:"),
)


commands = [chatwoot]
