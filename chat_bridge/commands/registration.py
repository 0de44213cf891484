"""Registering the site with Chatwoot: its webhook and the customer card's Dashboard App."""

import click
from frappe.commands import pass_context

from chat_bridge.commands.group import chatwoot, on_site
from chat_bridge.doctor import resolve
from chat_bridge.i18n import _
from chat_bridge.rollout import check_delivery_address


@chatwoot.command("register-webhook")
@click.option(
	"--url", "webhook_url", help="The URL Chatwoot should post to, when it is not this site's own address."
)
@pass_context
def register_webhook(context, webhook_url):
	"""Create or update this site's webhook in Chatwoot and store the secret Chatwoot returns."""
	with on_site(context):
		result = register_site_webhook(webhook_url)
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
@pass_context
def register_dashboard_app(context, url):
	"""Create the customer card's Dashboard App in Chatwoot, or update the one made from here before."""
	with on_site(context):
		result = register_card_app(url)
		click.echo(
			(
				_("Created Dashboard App {0} showing {1}.")
				if result["created"]
				else _("Updated Dashboard App {0} showing {1}.")
			).format(result["id"], result["url"])
		)
		if result["moved_from"]:
			click.echo(_("It showed {0} before.").format(result["moved_from"]))


def register_site_webhook(webhook_url: str | None = None) -> dict:
	"""Create or update the account webhook for this site in Chatwoot, and store its secret here.

	The webhook registered from here before is updated in place, to the URL given if one is, so its
	secret (which Chatwoot never changes on an update) keeps working; a second webhook is made only
	when Chatwoot has none of this site's. The answer says when the stored secret was replaced.
	"""
	import frappe

	from chat_bridge.doctor import webhook_target
	from chat_bridge.rollout import WEBHOOK_EVENTS, find_site_webhook
	from chat_bridge.settings import SETTINGS_DOCTYPE, get_secret

	client = configured_client()
	settings = frappe.get_single(SETTINGS_DOCTYPE)
	target = webhook_target(webhook_url)
	listing = client.list_webhooks()
	existing = find_site_webhook(
		(listing.get("payload") or {}).get("webhooks") or [], target, settings.chatwoot_webhook_id
	)
	if existing:
		answer = client.update_webhook(existing["id"], url=target, subscriptions=WEBHOOK_EVENTS)
	else:
		answer = client.create_webhook(target, WEBHOOK_EVENTS, name=f"ERPNext ({frappe.local.site})")
	webhook = (answer.get("payload") or {}).get("webhook") or answer
	stored_secret = get_secret("webhook_secret")
	settings.chatwoot_webhook_id = webhook.get("id")
	settings.webhook_url = target
	if webhook.get("secret"):
		settings.webhook_secret = webhook["secret"]
	settings.save()
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


def register_card_app(url: str | None = None) -> dict:
	"""Create the customer card's Dashboard App in Chatwoot, or update the one made from here before."""
	import frappe

	from chat_bridge.doctor import CARD_TITLE, card_url
	from chat_bridge.rollout import find_dashboard_app, frame_urls
	from chat_bridge.settings import SETTINGS_DOCTYPE

	client = configured_client()
	settings = frappe.get_single(SETTINGS_DOCTYPE)
	target = card_url(url)
	existing = find_dashboard_app(client.list_dashboard_apps() or [], target, settings.dashboard_app_id)
	if existing:
		app = client.update_dashboard_app(existing["id"], CARD_TITLE, target)
	else:
		app = client.create_dashboard_app(CARD_TITLE, target)
	settings.dashboard_app_id = app["id"]
	settings.dashboard_app_url = target
	settings.save()
	frappe.db.commit()
	before = frame_urls(existing) if existing else []
	return {
		"id": app["id"],
		"url": target,
		"created": existing is None,
		"moved_from": ", ".join(before) if before and target not in before else None,
	}


def configured_client():
	"""A client with the settings' administrator token, or a refusal saying what to set first."""
	import frappe
	from frappe import _

	from chat_bridge.doctor import admin_client
	from chat_bridge.exceptions import IncompleteConfigurationError

	client = admin_client()
	if client is None:
		frappe.throw(
			_("Set the Chatwoot URL, Account ID and an administrator's API Access Token first."),
			IncompleteConfigurationError,
		)
	return client
