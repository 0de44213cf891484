"""Provisioning ERPNext users as Chatwoot agents, and taking them out again.

Each user's progress in each account is a Chatwoot Agent record: the Chatwoot user id, the role
and inboxes asked for, and the outcome of each step (`chat_bridge.provisioning.plan`). A user may
be an agent of several accounts, as in Chatwoot, where one user (one id, one access token) holds a
membership of each: a record per account, the same Chatwoot user in each. Running `provision_agent`
again finishes what an earlier run left, so an agent that was created but not added to its inbox
is put right with one action.

With the settings' Platform API Token, the user is created (or claimed, when Chatwoot already has
the e-mail) through Chatwoot's Platform API with a password nobody sees, and their access token is
stored as their Chatwoot User Token. Membership of the account always goes through the account's
own agents API with the administrator token: the Platform API may only add members to accounts
the platform app created (app/controllers/platform_controller.rb:31-36), which the company's
account usually is not, while POST /agents takes an existing user as they are
(app/builders/agent_builder.rb:28-35). Without a Platform API Token, that same call invites the
agent by e-mail, and their token is linked when they store it themselves after accepting.
Chatwoot is always asked with the account passed in, never the settings' account read deep inside.
"""

from dataclasses import dataclass

import frappe
from frappe import _
from frappe.utils import cint, now_datetime

from chat_bridge.accounts import AGENT_DOCTYPE, get_account, is_connected
from chat_bridge.chatwoot.errors import ChatwootError, ChatwootHTTPError, NotFoundError, NotPermissibleError
from chat_bridge.clients import (
	USER_TOKEN_DOCTYPE,
	ChatwootAPI,
	PlatformAPI,
	platform_client,
	system_client,
)
from chat_bridge.exceptions import AgentLimitReached
from chat_bridge.permissions import AGENT_ROLE
from chat_bridge.provisioning.plan import (
	DEPROVISIONED,
	DONE,
	FAILED,
	STEPS,
	WAITING,
	generate_password,
	inboxes_to_join,
	limit_refusal,
	status_of,
)
from chat_bridge.settings import get_settings
from chat_bridge.sync.contacts import normalize_email

VIA_PLATFORM, VIA_INVITATION = "Platform API", "Invitation"


class StepFailed(Exception):
	"""A step that cannot be done as things stand; the message says why and what to do."""


@dataclass
class Chatwoot:
	"""The clients a provisioning run uses, for one account, and the account's Max Agents."""

	account_id: int
	admin: ChatwootAPI
	platform: PlatformAPI | None
	max_agents: int = 0


def chatwoot_for(account_id: int) -> Chatwoot:
	account = get_account(account_id)
	platform = platform_client(account_id=account_id) if account.platform_token() else None
	return Chatwoot(account_id, system_client(account_id=account_id), platform, account.max_agents)


def outcomes(record) -> dict[str, str | None]:
	return {step: record.get(f"{step}_step") or None for step in STEPS}


def inbox_ids(record) -> list[int]:
	return [int(part) for part in (record.inbox_ids or "").replace(" ", "").split(",") if part.isdigit()]


def agent_name(user: str, account_id: int) -> str | None:
	return frappe.db.get_value(AGENT_DOCTYPE, {"user": user, "account_id": account_id})


def agent_record(user: str, account_id: int):
	"""The user's Chatwoot Agent of the account, locked for this run; a new one when they have none."""
	name = agent_name(user, account_id)
	if name:
		return frappe.get_doc(AGENT_DOCTYPE, name, for_update=True)
	return frappe.get_doc({"doctype": AGENT_DOCTYPE, "user": user, "account_id": account_id})


def agent_accounts(user: str) -> list[int]:
	"""The accounts `user` is an agent of, as far as this site provisioned them."""
	return frappe.get_all(
		AGENT_DOCTYPE,
		filters={"user": user, "status": ("!=", DEPROVISIONED)},
		pluck="account_id",
		order_by="account_id",
	)


def provision_agent(user: str, account_id: int, *, role: str | None = None, inboxes: list[int] | None = None):
	"""Make `user` an agent of Chatwoot account `account_id`, or finish what an earlier run left.

	`role` and `inboxes` replace what was asked before when given. Returns the Chatwoot Agent
	record, whose steps say what was done and what failed.
	"""
	person = frappe.db.get_value("User", user, ["full_name", "email", "enabled", "user_type"], as_dict=True)
	if person is None:
		frappe.throw(_("There is no user {0}.").format(user), frappe.DoesNotExistError)
	if user in ("Guest", "Administrator") or person.user_type != "System User":
		frappe.throw(
			_(
				"{0} cannot be a Chatwoot agent: only a desk user (a System User) can; give them a desk role first."
			).format(user)
		)
	if not person.enabled:
		frappe.throw(_("{0} is disabled: enable the user before making them a Chatwoot agent.").format(user))
	if not normalize_email(person.email):
		frappe.throw(_("{0} has no e-mail address for Chatwoot.").format(user))
	record = agent_record(user, account_id)
	if record.status == DEPROVISIONED:
		# Every step again, the user's too: Chatwoot deletes a user it took out of their last account.
		record.update({f"{step}_step": None for step in STEPS})
	if role:
		record.role = role
	if inboxes is not None:
		record.inbox_ids = ", ".join(str(i) for i in dict.fromkeys(inboxes))
	chatwoot = chatwoot_for(account_id)
	refuse_unknown_inboxes(inbox_ids(record), chatwoot)
	if record.account_step != DONE:
		refuse_over_limit(normalize_email(person.email), chatwoot)
	if not record.provisioned_via or record.user_step != DONE:
		record.provisioned_via = VIA_PLATFORM if chatwoot.platform else VIA_INVITATION
	record.last_error = None
	for step in STEPS:
		if record.get(f"{step}_step") == DONE:
			continue  # done by an earlier run, or by an earlier step of this one
		try:
			record.set(f"{step}_step", STEP_RUNNERS[step](record, person, chatwoot))
		except (ChatwootError, StepFailed) as error:
			record.set(f"{step}_step", FAILED)
			record.last_error = f"{STEP_LABELS[step]}: {error}"
			break
		if record.get(f"{step}_step") != DONE:
			break
	record.status = status_of(outcomes(record))
	record.last_run_at = now_datetime()
	record.save(ignore_permissions=True)
	if record.user_step == DONE:
		give_agent_role(user, True)
	frappe.cache.hdel("bootinfo", user)  # the desk's one-click sign-in follows the record
	return record


def give_agent_role(user: str, give: bool) -> None:
	"""The Chatwoot Agent role: the desk's Chatwoot features, and storing their own token."""
	has = AGENT_ROLE in frappe.get_roles(user)
	if give and not has:
		frappe.get_doc("User", user).add_roles(AGENT_ROLE)
	elif not give and has:
		frappe.get_doc("User", user).remove_roles(AGENT_ROLE)


STEP_LABELS = {
	"user": "Chatwoot user",
	"account": "Account membership",
	"inboxes": "Inboxes",
	"token": "Access token",
}


def make_user(record, person, chatwoot: Chatwoot) -> str:
	"""The Chatwoot user: created (or claimed by e-mail) through the Platform API, or invited."""
	if chatwoot.platform is None:
		record.chatwoot_user_id = account_member(record, person, chatwoot)["id"]
		record.account_step = DONE  # the invitation made them a member
		return DONE
	if record.chatwoot_user_id and platform_user_exists(record.chatwoot_user_id, chatwoot):
		return DONE
	# Claiming an e-mail Chatwoot has answers that user; a user deleted since is made again.
	created = chatwoot.platform.create_user(
		person.full_name or person.email, normalize_email(person.email), generate_password()
	)
	record.chatwoot_user_id = created["id"]
	return DONE


def platform_user_exists(user_id: int, chatwoot: Chatwoot) -> bool:
	"""Whether the Chatwoot user is still there for the platform app; Chatwoot deletes a user taken
	out of their last account (app/controllers/api/v1/accounts/agents_controller.rb:108-110)."""
	try:
		chatwoot.platform.get_user(user_id)
	except NotFoundError:
		return False
	except NotPermissibleError as error:
		raise StepFailed(
			_(
				"Chatwoot user {0} was not made or claimed by this platform app: Deprovision, then Provision again to claim the user by e-mail."
			).format(user_id)
		) from error
	return True


def refuse_unknown_inboxes(wanted: list[int], chatwoot: Chatwoot) -> None:
	"""Refuse, before anything is made in Chatwoot, inboxes the account does not have."""
	if not wanted:
		return
	known = {inbox.get("id") for inbox in (chatwoot.admin.list_inboxes() or {}).get("payload") or []}
	unknown = [str(inbox) for inbox in wanted if inbox not in known]
	if unknown:
		frappe.throw(
			_("Chatwoot account {0} has no inbox {1}.").format(chatwoot.account_id, ", ".join(unknown)),
			title=_("Unknown inbox"),
		)


def refuse_over_limit(email: str, chatwoot: Chatwoot) -> None:
	"""Refuse, before anything is made in Chatwoot, an agent that would go over Max Agents."""
	max_agents = chatwoot.max_agents
	if not max_agents:
		return
	agents = chatwoot.admin.list_agents() or []
	if any(normalize_email(a.get("email")) == email for a in agents):
		return  # already counted
	refusal = limit_refusal(max_agents, len(agents), email)
	if refusal:
		frappe.throw(_(refusal), AgentLimitReached, title=_("Max Agents reached"))


def join_account(record, person, chatwoot: Chatwoot) -> str:
	member = account_member(record, person, chatwoot)
	if record.chatwoot_user_id and member["id"] != record.chatwoot_user_id:
		raise StepFailed(
			_("Account {0} has {1} as Chatwoot user {2}, not {3}.").format(
				chatwoot.account_id, member.get("email"), member["id"], record.chatwoot_user_id
			)
		)
	return DONE


def account_member(record, person, chatwoot: Chatwoot) -> dict:
	"""The user as a member of the account with the role asked for, through the account's agents
	API: an existing Chatwoot user joins as they are, a new e-mail is invited. A member keeps their
	membership; an agent asked to be an administrator becomes one, and an administrator stays one
	(the record says so), since taking a role away is for a person to decide in Chatwoot."""
	email = normalize_email(person.email)
	role = record.role or "agent"
	agents = chatwoot.admin.list_agents() or []
	member = next((a for a in agents if normalize_email(a.get("email")) == email), None)
	if member is None:
		try:
			member = chatwoot.admin.create_agent(person.full_name or email, email, role=role)
		except ChatwootHTTPError as error:
			if error.status == 402:  # app/controllers/api/v1/accounts/agents_controller.rb:96-106
				raise StepFailed(
					_(
						"Chatwoot says the account has no agent seat left ({0}): free one in Chatwoot or raise the account's agent limit, then Provision again."
					).format(error.detail)
				) from error
			raise
	elif role == "administrator" and member.get("role") != role:
		member = chatwoot.admin.update_agent(member["id"], role=role)
	record.role = member.get("role") or role
	return member


def join_inboxes(record, person, chatwoot: Chatwoot) -> str:
	"""Add the agent to each inbox asked for that they are not in yet; other members stay."""
	wanted = inbox_ids(record)
	members = {
		inbox: [a["id"] for a in chatwoot.admin.list_inbox_members(inbox).get("payload") or []]
		for inbox in wanted
	}
	for inbox in inboxes_to_join(wanted, members, record.chatwoot_user_id):
		chatwoot.admin.add_inbox_members(inbox, [record.chatwoot_user_id])
	return DONE


def store_token(record, person, chatwoot: Chatwoot) -> str:
	"""The agent's access token as their Chatwoot User Token, checked to be that agent's."""
	if chatwoot.platform is None or record.provisioned_via == VIA_INVITATION:
		held = frappe.db.get_value(USER_TOKEN_DOCTYPE, record.user, "chatwoot_user_id")
		return DONE if held and held == record.chatwoot_user_id else WAITING
	access_token = chatwoot.platform.get_user(record.chatwoot_user_id).get("access_token")
	if not access_token:
		raise StepFailed(_("Chatwoot gave no access token for user {0}.").format(record.chatwoot_user_id))
	token = (
		frappe.get_doc(USER_TOKEN_DOCTYPE, record.user)
		if frappe.db.exists(USER_TOKEN_DOCTYPE, record.user)
		else frappe.new_doc(USER_TOKEN_DOCTYPE)
	)
	token.update({"user": record.user, "account_id": chatwoot.account_id, "api_access_token": access_token})
	token.save(ignore_permissions=True)  # its validation asks Chatwoot whose token it is
	if token.chatwoot_user_id != record.chatwoot_user_id:
		raise StepFailed(
			_("The stored token belongs to Chatwoot user {0}, not {1}.").format(
				token.chatwoot_user_id or "?", record.chatwoot_user_id
			)
		)
	return DONE


STEP_RUNNERS = {"user": make_user, "account": join_account, "inboxes": join_inboxes, "token": store_token}


def link_accepted_invitation(token) -> None:
	"""Chatwoot User Token on_update: an invited agent's own token finishes their provisioning, in
	every account that waits for it (one Chatwoot user has one token)."""
	if not token.chatwoot_user_id:
		return
	waiting = {"user": token.user, "token_step": WAITING, "chatwoot_user_id": token.chatwoot_user_id}
	for name in frappe.get_all(AGENT_DOCTYPE, filters=waiting, pluck="name"):
		record = frappe.get_doc(AGENT_DOCTYPE, name)
		record.token_step = DONE
		record.status = status_of(outcomes(record))
		record.save(ignore_permissions=True)


def deprovision_agent(user: str, account_id: int, *, delete_chatwoot_user: bool = False):
	"""Take `user` out of the Chatwoot account; their stored token and the Chatwoot Agent role go
	with their last account. With `delete_chatwoot_user`, delete the Chatwoot user too (Platform API
	only), which takes them out of every account."""
	record = agent_record(user, account_id)
	agent_id = record.chatwoot_user_id or frappe.db.get_value(USER_TOKEN_DOCTYPE, user, "chatwoot_user_id")
	chatwoot = chatwoot_for(account_id)
	if delete_chatwoot_user and chatwoot.platform is None:
		frappe.throw(_("Deleting a Chatwoot user needs the Platform API Token."))
	if agent_id:
		# The account's API, whoever made the user: the Platform API may only take members out of
		# accounts the platform app created. Chatwoot deletes a user left in no account.
		try:
			chatwoot.admin.delete_agent(agent_id)
		except NotFoundError:
			pass  # no longer in the account
		if delete_chatwoot_user:
			try:
				chatwoot.platform.delete_user(agent_id)
			except NotFoundError:
				pass  # Chatwoot deleted them with their last membership
	mark_deprovisioned(record, None if delete_chatwoot_user else agent_id)
	if delete_chatwoot_user:
		for other in set(agent_accounts(user)) - {account_id}:
			mark_deprovisioned(agent_record(user, other), None)
	if not agent_accounts(user):
		frappe.db.delete(USER_TOKEN_DOCTYPE, {"user": user})
		give_agent_role(user, False)
	frappe.cache.hdel("bootinfo", user)
	return record


def mark_deprovisioned(record, chatwoot_user_id: int | None) -> None:
	record.update({f"{step}_step": None for step in STEPS})
	record.chatwoot_user_id = chatwoot_user_id
	record.status = DEPROVISIONED
	record.last_error = None
	record.last_run_at = now_datetime()
	record.save(ignore_permissions=True)


def on_user_update(doc, method=None) -> None:
	"""User on_update: disabling a user who works in Chatwoot takes them out of it, after the save."""
	before = doc.get_doc_before_save()
	if doc.enabled or not (before and before.enabled):
		return
	if not (
		frappe.db.exists(AGENT_DOCTYPE, {"user": doc.name}) or frappe.db.exists(USER_TOKEN_DOCTYPE, doc.name)
	):
		return
	frappe.enqueue(
		"chat_bridge.provisioning.agents.deprovision_disabled_user",
		enqueue_after_commit=True,
		now=bool(frappe.flags.in_test),
		user=doc.name,
	)


def deprovision_disabled_user(user: str) -> None:
	"""Job: the deprovisioning a disabled user's save asked for, in every account they are an agent
	of, unless they were enabled since."""
	if cint(frappe.db.get_value("User", user, "enabled")):
		return
	for account_id in agent_accounts(user) or [get_settings().account_id]:
		try:
			deprovision_agent(user, account_id)
			frappe.db.commit()
		except (ChatwootError, frappe.ValidationError) as error:
			frappe.db.rollback()
			name = agent_name(user, account_id)
			if name:
				frappe.db.set_value(
					AGENT_DOCTYPE,
					name,
					"last_error",
					_("Disabled in ERPNext, but not taken out of Chatwoot: {0}").format(error),
				)
			frappe.db.commit()
			frappe.log_error(title="Chatwoot deprovisioning", message=f"{user}: {error}")
	frappe.db.delete(USER_TOKEN_DOCTYPE, {"user": user})  # the token goes whatever Chatwoot says


def sign_in_agent_id(user: str, account_id: int | None = None) -> int | None:
	"""The Chatwoot user a one-click sign-in to the account (to any, when None) opens for `user`:
	only an agent the Platform API provisioned there, and only while the site holds a Platform API
	token for that account's installation."""
	provisioned = {"user": user, "provisioned_via": VIA_PLATFORM, "account_step": DONE}
	if account_id:
		provisioned["account_id"] = account_id
	records = frappe.get_all(AGENT_DOCTYPE, filters=provisioned, fields=["account_id", "chatwoot_user_id"])
	return next(
		(
			record.chatwoot_user_id
			for record in records
			if record.chatwoot_user_id
			and is_connected(record.account_id)
			and get_account(record.account_id).platform_token()
		),
		None,
	)
