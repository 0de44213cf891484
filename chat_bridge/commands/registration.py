"""Registering the site with Chatwoot: its webhook and the customer card's Dashboard App."""

import click
from frappe.commands import pass_context

from chat_bridge.commands.group import account_option, accounts_named, chatwoot, on_site
from chat_bridge.doctor import resolve
from chat_bridge.i18n import _
from chat_bridge.rollout import check_delivery_address


@chatwoot.command("register-webhook")
@click.option(
	"--url", "webhook_url", help="The URL Chatwoot should post to, when it is not this site's own address."
)
@account_option
@pass_context
def register_webhook(context, webhook_url, account_id):
	"""Create or update this site's webhook in Chatwoot and store the secret Chatwoot returns.

	Each account has its own webhook and secret; every account but the first is named in its URL."""
	with on_site(context):
		for account in accounts_named(account_id):
			report_webhook(register_site_webhook(webhook_url, account))


def report_webhook(result: dict) -> None:
	click.echo(
		(
			_("Created webhook {0} posting to {1}.")
			if result["created"]
			else _("Updated webhook {0} posting to {1}.")
		).format(result["id"], result["url"])
	)
	if result["moved_from"]:
		click.echo(_("It posted to {0} before.").format(result["moved_from"]))
	delivery = check_delivery_address(result["url"], resolve(result["url"]))
	if delivery.warning:
		click.echo(delivery.line())
	if result["secret_replaced"]:
		click.echo(
			_(
				"The stored Webhook Secret was replaced by this webhook's: deliveries signed with the old one are refused now."
			)
		)
	if not result["signed"]:
		click.echo(
			_(
				"Chatwoot returned no secret (4.11.1 or older): use Allow Unsigned Webhooks with a Webhook Token."
			)
		)


@chatwoot.command("register-dashboard-app")
@click.option(
	"--url", help="The card's address as Chatwoot's agents' browsers reach it, when not this site's own."
)
@account_option
@pass_context
def register_dashboard_app(context, url, account_id):
	"""Create the customer card's Dashboard App in Chatwoot, or update the one made from here before.

	One card serves every account: each account gets its own Dashboard App showing it."""
	with on_site(context):
		for account in accounts_named(account_id):
			result = register_card_app(url, account)
			click.echo(
				(
					_("Created Dashboard App {0} showing {1}.")
					if result["created"]
					else _("Updated Dashboard App {0} showing {1}.")
				).format(result["id"], result["url"])
			)
			if result["moved_from"]:
				click.echo(_("It showed {0} before.").format(result["moved_from"]))


def register_site_webhook(webhook_url: str | None = None, account=None) -> dict:
	"""Create or update the webhook of `account` (the first account when None) for this site in
	Chatwoot, and store its secret here.

	The webhook registered from here before is updated in place, to the URL given if one is, so its
	secret (which Chatwoot never changes on an update) keeps working; a second webhook is made only
	when Chatwoot has none of this site's. The answer says when the stored secret was replaced.
	"""
	import frappe

	from chat_bridge.accounts import get_account, registered_values, save_account_values
	from chat_bridge.doctor import webhook_target
	from chat_bridge.rollout import WEBHOOK_EVENTS, find_site_webhook

	account = account or get_account()
	client = configured_client(account)
	target = webhook_target(webhook_url, account)
	listing = client.list_webhooks()
	existing = find_site_webhook(
		(listing.get("payload") or {}).get("webhooks") or [],
		target,
		registered_values(account).chatwoot_webhook_id,
	)
	if existing:
		answer = client.update_webhook(existing["id"], url=target, subscriptions=WEBHOOK_EVENTS)
	else:
		answer = client.create_webhook(target, WEBHOOK_EVENTS, name=f"ERPNext ({frappe.local.site})")
	webhook = (answer.get("payload") or {}).get("webhook") or answer
	stored_secret = account.secret("webhook_secret")
	save_account_values(
		account,
		chatwoot_webhook_id=webhook.get("id"),
		webhook_url=target,
		**({"webhook_secret": webhook["secret"]} if webhook.get("secret") else {}),
	)
	frappe.db.commit()
	return {
		"id": webhook.get("id"),
		"url": target,
		"created": existing is None,
		"moved_from": existing.get("url") if existing and existing.get("url") != target else None,
		"signed": bool(webhook.get("secret")),
		"secret_replaced": bool(
			stored_secret and webhook.get("secret") and webhook["secret"] != stored_secret
		),
	}


def register_card_app(url: str | None = None, account=None) -> dict:
	"""Create the customer card's Dashboard App in the Chatwoot account `account` (the first
	account when None), or update the one made from here before."""
	import frappe

	from chat_bridge.accounts import get_account, registered_values, save_account_values
	from chat_bridge.doctor import CARD_TITLE, card_url
	from chat_bridge.rollout import find_dashboard_app, frame_urls

	account = account or get_account()
	client = configured_client(account)
	target = card_url(url, account)
	existing = find_dashboard_app(
		client.list_dashboard_apps() or [], target, registered_values(account).dashboard_app_id
	)
	if existing:
		app = client.update_dashboard_app(existing["id"], CARD_TITLE, target)
	else:
		app = client.create_dashboard_app(CARD_TITLE, target)
	save_account_values(account, dashboard_app_id=app["id"], dashboard_app_url=target)
	frappe.db.commit()
	before = frame_urls(existing) if existing else []
	return {
		"id": app["id"],
		"url": target,
		"created": existing is None,
		"moved_from": ", ".join(before) if before and target not in before else None,
	}


def configured_client(account=None):
	"""A client with the administrator token of `account` (the first account when None), or a
	refusal saying what to set first."""
	import frappe
	from frappe import _

	from chat_bridge.doctor import admin_client
	from chat_bridge.exceptions import IncompleteConfigurationError

	client = admin_client(account)
	if client is None:
		frappe.throw(
			_("Set the Chatwoot URL, Account ID and an administrator's API Access Token first."),
			IncompleteConfigurationError,
		)
	return client


@chatwoot.command("add-account")
@click.argument("account_id", type=int)
@click.option("--token", required=True, help="An administrator's API Access Token in that account.")
@click.option("--url", help="The account's Chatwoot, when it is not the one of the settings.")
@click.option("--company", help="The Company the account works for.")
@pass_context
def add_account(context, account_id, token, url, company):
	"""Connect another Chatwoot account (ACCOUNT_ID) to this site, checking its token at once.

	Nothing is kept when Chatwoot refuses the token for that account. Then register its webhook
	and its Dashboard App with --account ACCOUNT_ID.
	"""
	with on_site(context):
		checks = connect_account(account_id, token, url=url, company=company)
		for check in checks:
			click.echo(check.line())
		if not all(check.ok for check in checks):
			raise click.ClickException(_("Chatwoot account {0} was not connected.").format(account_id))
		click.echo(
			_("Connected. Next: `{0} chatwoot register-webhook --account {1}`.").format(
				f"bench --site {context.sites[0]}", account_id
			)
		)


def connect_account(account_id: int, token: str, *, url: str | None = None, company: str | None = None):
	"""Store the Chatwoot Account `account_id` with its token, and keep it only when the token
	opens that account as one of its administrators; the checks, either way."""
	import frappe
	from frappe import _

	from chat_bridge.accounts import ACCOUNT_DOCTYPE, first_account_id
	from chat_bridge.clients import INTERACTIVE_RETRY, ChatwootAPI
	from chat_bridge.doctor import connection_checks
	from chat_bridge.settings import get_settings

	if account_id == first_account_id():
		frappe.throw(
			_("Account {0} is the one of Chatwoot Integration Settings: its token is set there.").format(
				account_id
			)
		)
	name = str(account_id)
	record = (
		frappe.get_doc(ACCOUNT_DOCTYPE, name)
		if frappe.db.exists(ACCOUNT_DOCTYPE, name)
		else frappe.new_doc(ACCOUNT_DOCTYPE)
	)
	if record.is_new():
		record.company = None  # not the user's default Company, which a new document is given
	record.update({"account_id": account_id, "enabled": 1, "api_access_token": token})
	if url:
		record.chatwoot_url = url
	if company:
		record.company = company
	record.save()
	base_url = record.chatwoot_url or get_settings().chatwoot_url
	client = ChatwootAPI(base_url, token, account_id, retry=INTERACTIVE_RETRY) if base_url else None
	checks = list(connection_checks(client, account_id).values())
	if all(check.ok for check in checks):
		frappe.db.commit()
	else:
		frappe.db.rollback()
	return checks
