"""The `bench --site <site> chatwoot` group, and what its commands share: running on the site,
and reading dates and moments."""

from contextlib import contextmanager

import click
from frappe.commands import get_site

from chat_bridge.i18n import _


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
	# A command speaks the site's language (System Settings), as the desk does.
	frappe.local.lang = frappe.db.get_default("lang") or frappe.local.lang
	try:
		yield
	except ChatwootError as error:
		raise click.ClickException(_("Chatwoot: {0}").format(error)) from None
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


def parse_date(value: str | None, option: str):
	from frappe.utils import get_datetime

	try:
		return get_datetime(value) if value else None
	except Exception:
		raise click.BadParameter(_("{0!r} is not a date").format(value), param_hint=option) from None


def moment(value, timezone: str) -> str:
	"""A stored time as the site keeps it (in its system time zone), saying which zone that is."""
	from frappe.utils import get_datetime

	return f"{get_datetime(value):%Y-%m-%d %H:%M:%S} {timezone}" if value else _("never")


def account_option(command):
	"""`--account ID`, for the commands that work on Chatwoot accounts."""
	return click.option(
		"--account",
		"account_id",
		type=int,
		metavar="ID",
		help="Only this Chatwoot account (its id); without it, every connected account.",
	)(command)


def accounts_named(account_id: int | None) -> list:
	"""The account `--account` names (refused when it is not connected), else every connected one."""
	from chat_bridge.accounts import connected_accounts, get_account

	return [get_account(account_id)] if account_id else connected_accounts()


def account_named(account_id: int | None):
	"""The account `--account` names; without it the only connected account, or a refusal that
	says which there are."""
	from chat_bridge.accounts import get_account

	accounts = accounts_named(account_id)
	if len(accounts) > 1:
		raise click.UsageError(
			_("This site is connected to Chatwoot accounts {0}: say which one with --account ID.").format(
				", ".join(str(account.account_id) for account in accounts)
			)
		)
	return accounts[0] if accounts else get_account()
