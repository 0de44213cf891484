"""Commands that move data: replay recorded events, send a test delivery, backfill, push context."""

import click
from frappe.commands import pass_context

from chat_bridge.commands.group import account_option, accounts_named, chatwoot, on_site, parse_date
from chat_bridge.i18n import _


@chatwoot.command("replay")
@click.option("--failed", is_flag=True, help="Only events that failed.")
@click.option(
	"--since", metavar="DATE", help="Only events received since DATE (e.g. 2026-11-01 or '2026-11-01 08:00')."
)
@click.option("--event", "event_name", metavar="EVENT", help="Only this event, e.g. message_created.")
@account_option
@pass_context
def replay(context, failed, since, event_name, account_id):
	"""Process recorded webhook events again, here and now (of every account, or of --account's)."""
	from chat_bridge.chatwoot.events import normalize_event
	from chat_bridge.webhook.replay import events_to_replay, replay_events

	if not failed and not since:
		raise click.UsageError(_("Say which events to replay: --failed, --since DATE, or both."))
	since_at = parse_date(since, "--since")
	with on_site(context):
		names = events_to_replay(
			failed_only=failed,
			since=since_at,
			event=normalize_event(event_name) or None,
			account_id=account_id,
		)
		if not names:
			click.echo(_("No events match."))
			return
		summary = replay_events(
			names,
			report=lambda number, total, name, status: click.echo(f"[{number}/{total}] {name}: {_(status)}"),
		)
		ended = ", ".join(f"{count} {_(status)}" for status, count in sorted(summary.items()))
		click.echo(_("Done: {0}").format(ended))


@chatwoot.command("send-test-webhook")
@click.option(
	"--event",
	type=click.Choice(["conversation_typing_on", "message_created"]),
	default="conversation_typing_on",
	help="conversation_typing_on changes nothing; message_created goes through the sync, which then undoes it.",
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
				_(
					"Set a Webhook Secret (or the legacy Webhook Token) in Chatwoot Integration Settings first."
				)
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
@account_option
@pass_context
def backfill(context, contacts, conversations, messages, since, quiet, verbose, account_id):
	"""Pull from Chatwoot what webhooks did not bring (all three kinds when none is named).

	Safe to run again, and while webhooks arrive: nothing is created twice. Safe to interrupt
	(Ctrl-C): what was written is kept, and the next run goes on from there.
	"""
	import frappe

	from chat_bridge.clients import system_client
	from chat_bridge.features import Feature
	from chat_bridge.progress import Progress
	from chat_bridge.pull.backfill import backfill as pull
	from chat_bridge.settings import feature_enabled

	since_at = parse_date(since, "--since")
	everything = not (contacts or conversations or messages)
	with on_site(context):
		if not feature_enabled(Feature.SYNC):
			raise click.ClickException(_("Sync is off: turn on Enable Integration and Enable Sync first."))
		accounts = accounts_named(account_id)
		failed = False
		for account in accounts:
			if len(accounts) > 1:
				click.echo(_("Chatwoot account {0}:").format(account.account_id))
			progress = Progress(shown=False if quiet or verbose else None)
			try:
				summary = pull(
					system_client(account_id=account.account_id),
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
					"\n"
					+ _("Interrupted. What was pulled so far is kept; run the same command again to go on."),
					err=True,
				)
				raise SystemExit(130) from None
			progress.close()
			report_pull(summary)
			failed = failed or bool(summary.failures)
		if failed:
			raise SystemExit(1)


def report_pull(summary) -> None:
	from chat_bridge.sync.summary import counted

	for failure in summary.failures:
		click.echo(_("failed: {0}").format(failure), err=True)
	click.echo(_("Done: {0}").format(summary))
	for kind, seconds in summary.seconds.items():
		pulled = summary.of_kind(kind)
		click.echo(
			_("  {0} in {1:.0f} s ({2:.0f} a second)").format(
				counted(pulled, kind), seconds, pulled / max(seconds, 0.001)
			)
		)


@chatwoot.command("push-context")
@click.option("--customer", metavar="CUSTOMER", help="Only this Customer.")
@account_option
@pass_context
def push_context(context, customer, account_id):
	"""Put every Customer's figures on its Chatwoot contacts now (or one Customer's)."""
	import frappe

	from chat_bridge.clients import system_client
	from chat_bridge.context.push import customers_with_contacts, push_all, pushing
	from chat_bridge.erpnext import has_erpnext

	with on_site(context):
		if not pushing():
			raise click.ClickException(
				_("Customer context is off: turn on Enable ERPNext in Chatwoot and Contact Sync first.")
			)
		if not has_erpnext():
			raise click.ClickException(
				_("Customer context needs ERPNext, which is not installed on this site.")
			)
		if customer and not frappe.db.exists("Customer", customer):
			raise click.ClickException(_("There is no Customer {0}.").format(customer))
		accounts = accounts_named(account_id)
		failed = False
		for account in accounts:
			if len(accounts) > 1:
				click.echo(_("Chatwoot account {0}:").format(account.account_id))
			client = system_client(account_id=account.account_id)
			customers = customers_with_contacts(client.account_id, only=customer)
			with click.progressbar(
				length=len(customers), label="Customers", show_eta=True, show_pos=True
			) as bar:
				summary = push_all(client, customers, report=lambda _customer, _sent: bar.update(1))
			frappe.db.commit()
			click.echo(
				_("Done: {0} customers, {1} Chatwoot contacts updated, {2} failed.").format(
					summary["customers"], summary["contacts"], len(summary["failed"])
				)
			)
			for failure in summary["failed"]:
				click.echo(_("failed: {0}").format(failure), err=True)
			failed = failed or bool(summary["failed"])
		if failed:
			raise SystemExit(1)
