"""Chatwoot agents from ERPNext users: `provision-agent` and `deprovision-agent`."""

import click
from frappe.commands import pass_context

from chat_bridge.commands.group import account_named, account_option, chatwoot, on_site
from chat_bridge.i18n import _


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
@account_option
@pass_context
def provision_agent(context, user, role, inboxes, account_id):
	"""Make USER a Chatwoot agent, or finish what an earlier run left.

	With the Platform API Token: creates (or claims) the Chatwoot user, adds them to the account and
	the inboxes, and stores their token. Without it: Chatwoot e-mails them an invitation. On a site
	connected to several accounts, --account says which one (run it again for another).
	"""
	import frappe

	from chat_bridge.features import Feature
	from chat_bridge.provisioning.agents import provision_agent as provision
	from chat_bridge.settings import require_feature

	with on_site(context):
		require_feature(Feature.API)
		account = account_named(account_id)
		record = provision(user, account.account_id, role=role, inboxes=list(inboxes) if inboxes else None)
		frappe.db.commit()
		for step, label in step_labels():
			outcome = record.get(f"{step}_step")
			click.echo(f"{label + ':':<20}{_(outcome) if outcome else _('Not yet')}")
		status = _("{0} (Chatwoot user {1})").format(_(record.status), record.chatwoot_user_id or "-")
		click.echo(f"{_('Status') + ':':<20}{status}")
		if record.last_error:
			raise click.ClickException(record.last_error)
		if record.status == "Invited":
			click.echo(
				_(
					"Chatwoot has e-mailed an invitation (no Platform API Token is set); their token is linked when they store it in Chatwoot User Token after accepting."
				)
			)


@chatwoot.command("deprovision-agent")
@click.argument("user")
@click.option("--delete-user", is_flag=True, help="Also delete the Chatwoot user (Platform API only).")
@account_option
@pass_context
def deprovision_agent(context, user, delete_user, account_id):
	"""Take USER out of the Chatwoot account; their stored token goes with their last account. On
	a site connected to several accounts, --account says which one."""
	import frappe

	from chat_bridge.features import Feature
	from chat_bridge.provisioning.agents import agent_accounts
	from chat_bridge.provisioning.agents import deprovision_agent as deprovision
	from chat_bridge.settings import require_feature

	with on_site(context):
		require_feature(Feature.API)
		account = account_named(account_id)
		record = deprovision(user, account.account_id, delete_chatwoot_user=delete_user)
		frappe.db.commit()
		if delete_user:
			click.echo(_("{0} is out of Chatwoot, and so is their Chatwoot user.").format(user))
		elif agent_accounts(user):
			click.echo(
				_("{0} is out of Chatwoot account {1}; they are still an agent of {2}.").format(
					user, record.account_id, ", ".join(str(a) for a in agent_accounts(user))
				)
			)
		else:
			click.echo(
				_("{0} is out of Chatwoot account {1}; their token is deleted.").format(
					user, record.account_id
				)
			)


def step_labels() -> tuple[tuple[str, str], ...]:
	return (
		("user", _("Chatwoot user")),
		("account", _("Account")),
		("inboxes", _("Inboxes")),
		("token", _("Access token")),
	)
