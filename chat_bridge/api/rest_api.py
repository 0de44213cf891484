"""Whitelisted methods for the desk and for REST callers: `/api/method/chat_bridge.api.rest_api.<name>`.

Every method here is behind the API stage: it refuses with a 403 naming the flag unless Enable
Integration and Enable API Access are on. Each answers `{"data": …}`, turns Chatwoot's failures into
messages a person can act on, and never returns a token.
"""

import functools
from collections.abc import Callable
from datetime import timedelta

import frappe
from frappe import _
from frappe.query_builder.functions import Avg, Count, Max
from frappe.utils import cint, now_datetime

from chat_bridge import arguments
from chat_bridge.accounts import Account, company_of, get_account, may_see_account, visible_accounts
from chat_bridge.analytics.search import search_conversations as search_said
from chat_bridge.arguments import ArgumentError
from chat_bridge.chatwoot.errors import ChatwootError, describe_for_user
from chat_bridge.chatwoot.events import AgentView, ConversationView, message_type_name
from chat_bridge.chatwoot.presenters import conversation_summary, scrub_secrets
from chat_bridge.clients import USER_TOKEN_DOCTYPE, user_client
from chat_bridge.exceptions import ChatwootRequestError, ChatwootUnavailableError
from chat_bridge.features import Feature
from chat_bridge.permissions import require_chatwoot_admin, require_chatwoot_user
from chat_bridge.records.contacts import MAPPING_DOCTYPE as CONTACT_MAPPING
from chat_bridge.records.outbound import create_in_chatwoot, link_to_chatwoot
from chat_bridge.settings import get_settings, require_feature
from chat_bridge.sync.contacts import normalize_email
from chat_bridge.webhook.log import EVENT_DOCTYPE

FORM_DOCTYPES = ("Contact", "Lead", "Customer")
MAPPING_FIELDS = ["name", "account_id", "chatwoot_contact_id", "contact", "sync_direction", "last_synced"]


def chatwoot_method(
	fn: Callable | None = None,
	*,
	admin_only: bool = False,
	methods=("GET", "POST"),
	feature: Feature = Feature.API,
	disabled: str = "Chatwoot API access is not enabled",
	allowed: Callable[[], None] | None = None,
):
	"""Whitelist `fn` behind a feature's flag (API access unless told), wrap its result in
	{"data": …}, and explain failures.

	Callers must be Chatwoot users (System Managers with `admin_only`), unless `allowed` checks
	otherwise. A caller's bad argument becomes a 417 with the reason; a Chatwoot failure becomes a
	message a person can act on; whatever Chatwoot returned goes out without tokens or secrets.
	"""

	def decorate(fn: Callable) -> Callable:
		@functools.wraps(fn)
		def method(*args, **kwargs):
			require_feature(feature, _(disabled))
			if allowed:
				allowed()
			elif admin_only:
				require_chatwoot_admin()
			else:
				require_chatwoot_user()
			try:
				return {"data": scrub_secrets(fn(*args, **kwargs))}
			except ArgumentError as error:
				frappe.throw(str(error), frappe.ValidationError, title=_("Invalid request"))
			except ChatwootError as error:
				explain_chatwoot_error(error)

		return frappe.whitelist(methods=list(methods))(method)

	return decorate(fn) if fn else decorate


_EXCEPTION_FOR_KIND = {
	"not_found": frappe.DoesNotExistError,
	"invalid": frappe.ValidationError,
	"unavailable": ChatwootUnavailableError,
}


def explain_chatwoot_error(error: ChatwootError):
	kind, message = describe_for_user(error, get_settings().chatwoot_url)
	frappe.throw(message, _EXCEPTION_FOR_KIND.get(kind, ChatwootRequestError), title=_("Chatwoot"))


def _erpnext_contacts(chatwoot_contact_ids, account_id: int) -> dict[int, str]:
	ids = [i for i in chatwoot_contact_ids if i]
	if not ids:
		return {}
	rows = frappe.get_all(
		CONTACT_MAPPING,
		filters={"account_id": account_id, "chatwoot_contact_id": ("in", ids)},
		fields=["chatwoot_contact_id", "contact"],
	)
	return {row.chatwoot_contact_id: row.contact for row in rows if row.contact}


def _summaries(conversations: list[dict], account: Account | None = None) -> list[dict]:
	"""The conversations of `account` (the first account when None) as the desk shows them."""
	account = account or get_account()
	contacts = _erpnext_contacts(
		[((c.get("meta") or {}).get("sender") or {}).get("id") for c in conversations if isinstance(c, dict)],
		account.account_id,
	)
	summaries = []
	for conversation in conversations:
		summary = conversation_summary(conversation, account.chatwoot_url, account.account_id)
		summary["erpnext_contact"] = contacts.get(summary["contact_id"])
		summaries.append(summary)
	return summaries


def _client(account=None):
	"""The session user's client in the account asked for, else in their token's account; refused
	for an account whose Company their User Permissions do not reach."""
	client = user_client(account_id=arguments.optional_positive_int(account, "account"))
	if not may_see_account(client.account_id):
		frappe.throw(
			_("Chatwoot account {0} works for a Company you are not permitted.").format(client.account_id),
			frappe.PermissionError,
		)
	return client


# Conversations


@chatwoot_method
def get_conversations(
	status: str = "open", page: int = 1, assignee_type: str = "all", inbox_id=None, labels=None, account=None
) -> list:
	"""One page (25) of conversations, summed up for a list: contact, last message, assignee, links."""
	if assignee_type not in ("me", "unassigned", "assigned", "all"):
		raise ArgumentError(
			_("assignee_type must be one of me, unassigned, assigned, all, not {0!r}.").format(assignee_type)
		)
	client = _client(account)
	answer = client.list_conversations(
		status=arguments.status(status, allow_all=True),
		assignee_type=assignee_type,
		page=arguments.positive_int(page, "page"),
		inbox_id=arguments.optional_positive_int(inbox_id, "inbox_id"),
		labels=arguments.labels(labels) if labels else None,
	)
	return _summaries((answer.get("data") or {}).get("payload") or [], get_account(client.account_id))


@chatwoot_method
def get_conversation(id, account=None) -> dict:
	client = _client(account)
	conversation = client.get_conversation(arguments.positive_int(id, "id"))
	[summary] = _summaries([conversation], get_account(client.account_id))
	return {
		**conversation,
		"erpnext_contact": summary["erpnext_contact"],
		"chatwoot_url": summary["chatwoot_url"],
	}


@chatwoot_method
def get_messages(conversation_id, before=None, account=None) -> list:
	"""The latest 20 messages of a conversation (or the 20 before message `before`), oldest first."""
	answer = _client(account).list_messages(
		arguments.positive_int(conversation_id, "conversation_id"),
		before=arguments.optional_positive_int(before, "before"),
	)
	return [
		{**message, "message_type_name": message_type_name(message.get("message_type"))}
		for message in answer.get("payload") or []
	]


@chatwoot_method(methods=("POST",))
def send_message(conversation_id, content, private=0, account=None) -> dict:
	"""Reply to the customer, or with `private` add an internal note, as the calling user's agent."""
	return _client(account).send_message(
		arguments.positive_int(conversation_id, "conversation_id"),
		arguments.message_content(content),
		private=arguments.flag(private),
	)


@chatwoot_method(methods=("POST",))
def update_conversation_status(id, status, account=None) -> dict:
	"""Set the status. Reopening leaves the conversation with whoever had it: Chatwoot gives a
	conversation to the agent who reopens it, even from a colleague
	(app/controllers/api/v1/accounts/conversations_controller.rb:100-102,185-188)."""
	client, display_id, status = _client(account), arguments.positive_int(id, "id"), arguments.status(status)
	before = ConversationView.from_payload(client.get_conversation(display_id)) if status == "open" else None
	answer = client.toggle_status(display_id, status)
	if before is not None:
		keep_assignee(client, display_id, before.assignee)
	return answer


def keep_assignee(client, display_id: int, assignee: AgentView | None) -> None:
	"""Give the conversation back to `assignee` (or to nobody) if Chatwoot took it from them."""
	now = ConversationView.from_payload(client.get_conversation(display_id)).assignee
	if (now and (now.kind, now.id)) == (assignee and (assignee.kind, assignee.id)):
		return
	if assignee is None:
		client.assign_conversation(display_id)
	elif assignee.kind == "agent_bot":
		client.assign_conversation(display_id, agent_bot_id=assignee.id)
	else:
		client.assign_conversation(display_id, assignee_id=assignee.id)


@chatwoot_method(methods=("POST",))
def assign_conversation(id, assignee=None, account=None) -> dict:
	"""Assign to an ERPNext user (or a Chatwoot agent id); no assignee unassigns."""
	client = _client(account)
	agent_id = chatwoot_agent_id(client, assignee) if assignee not in (None, "") else None
	client.assign_conversation(arguments.positive_int(id, "id"), assignee_id=agent_id)
	return {"conversation_id": int(id), "assignee_id": agent_id}


def chatwoot_agent_id(client, assignee) -> int:
	"""The Chatwoot agent an ERPNext user is (their token's agent, else the agent with their email),
	or the agent id given; always a member of the account, since Chatwoot answers an assignment to
	anyone else by unassigning the conversation."""
	agents = client.list_agents() or []
	members = {int(agent["id"]) for agent in agents if agent.get("id") is not None}
	user = str(assignee).strip()
	if user.isdigit():
		agent_id = int(user)
	else:
		agent_id = cint(frappe.db.get_value(USER_TOKEN_DOCTYPE, user, "chatwoot_user_id"))
		if agent_id not in members:
			email = normalize_email(frappe.db.get_value("User", user, "email") or user)
			agent_id = next((int(a["id"]) for a in agents if normalize_email(a.get("email")) == email), 0)
	if agent_id not in members:
		raise ArgumentError(_("{0} is not a Chatwoot agent of this account.").format(user))
	return agent_id


@chatwoot_method(methods=("POST",))
def add_labels(id, labels, account=None) -> list:
	answer = _client(account).add_labels(arguments.positive_int(id, "id"), arguments.labels(labels))
	return answer.get("payload") or []


# Contacts


@chatwoot_method
def get_contacts(page: int = 1, q: str | None = None, account=None) -> list:
	"""One page (15) of Chatwoot contacts, or those matching `q`, with their ERPNext Contact."""
	client, page = _client(account), arguments.positive_int(page, "page")
	answer = (
		client.search_contacts(q.strip(), page=page) if q and q.strip() else client.list_contacts(page=page)
	)
	contacts = answer.get("payload") or []
	erpnext = _erpnext_contacts([c.get("id") for c in contacts], client.account_id)
	return [{**contact, "erpnext_contact": erpnext.get(contact.get("id"))} for contact in contacts]


@chatwoot_method
def get_contact(id, account=None) -> dict:
	client = _client(account)
	contact = client.get_contact(arguments.positive_int(id, "id")).get("payload") or {}
	erpnext = _erpnext_contacts([contact.get("id")], client.account_id)
	return {**contact, "erpnext_contact": erpnext.get(contact.get("id"))}


@chatwoot_method(methods=("POST",))
def link_contact(contact, chatwoot_contact_id, account=None) -> dict:
	"""Map an ERPNext Contact to an existing Chatwoot contact."""
	frappe.get_doc("Contact", contact).check_permission("write")
	client = _client(account)
	chatwoot_id = arguments.positive_int(chatwoot_contact_id, "chatwoot_contact_id")
	client.get_contact(chatwoot_id)  # a 404 here says the Chatwoot contact does not exist
	mapping = link_to_chatwoot(contact, client.account_id, chatwoot_id)
	return frappe.db.get_value(CONTACT_MAPPING, mapping, MAPPING_FIELDS, as_dict=True)


@chatwoot_method(methods=("POST",))
def create_chatwoot_contact(contact: str, account=None) -> dict:
	"""Create (or find by email) the Chatwoot contact of an unmapped ERPNext Contact, and map the two."""
	frappe.get_doc("Contact", contact).check_permission("write")
	mapping = create_in_chatwoot(contact, _client(account))
	return frappe.db.get_value(CONTACT_MAPPING, mapping, MAPPING_FIELDS, as_dict=True)


@chatwoot_method
def get_record_conversations(doctype: str, name: str) -> dict:
	"""For a Contact, Lead or Customer form: its Chatwoot contacts and their recent conversations."""
	if doctype not in FORM_DOCTYPES:
		raise ArgumentError(
			_("Chatwoot conversations are shown for {0}, not {1}.").format(", ".join(FORM_DOCTYPES), doctype)
		)
	frappe.get_doc(doctype, name).check_permission("read")
	contacts = (
		[name]
		if doctype == "Contact"
		else frappe.get_all(
			"Dynamic Link",
			filters={"parenttype": "Contact", "link_doctype": doctype, "link_name": name},
			pluck="parent",
		)
	)
	accounts = {account.account_id: account for account in visible_accounts()}
	mappings = frappe.get_all(
		CONTACT_MAPPING,
		filters={"contact": ("in", contacts or [""]), "account_id": ("in", list(accounts) or [0])},
		fields=MAPPING_FIELDS,
		order_by="account_id asc, chatwoot_contact_id asc",
	)
	summaries = []
	for account_id in dict.fromkeys(mapping.account_id for mapping in mappings):
		client = user_client(account_id=account_id)
		conversations = []
		for mapping in mappings:
			if mapping.account_id == account_id:
				answer = client.get_contact_conversations(mapping.chatwoot_contact_id)
				conversations += answer.get("payload") or []
		summaries += _summaries(conversations, accounts[account_id])
	summaries.sort(key=lambda s: s["last_activity_at"] or "", reverse=True)
	return {"contacts": contacts, "mappings": mappings, "conversations": summaries}


@chatwoot_method(feature=Feature.DASHBOARD, disabled="The Chatwoot dashboard is not enabled")
def search_conversations(q) -> list:
	"""Conversations in which `q` was said: in the synced messages the caller may read, and with API
	access on, in Chatwoot's own search too."""
	return search_said(arguments.search_text(q))


@chatwoot_method(admin_only=True)
def get_sync_metrics(window_hours: int = 24) -> dict:
	"""How webhook processing went over the last `window_hours`, from the event log."""
	hours = cint(window_hours)
	if hours <= 0:
		frappe.throw(_("window_hours must be a positive number of hours."))
	since = now_datetime() - timedelta(hours=hours)
	event = frappe.qb.DocType(EVENT_DOCTYPE)
	counts = dict(
		frappe.qb.from_(event)
		.select(event.status, Count("*"))
		.where(event.received_at >= since)
		.groupby(event.status)
		.run()
	)
	latency, last_sync = (
		frappe.qb.from_(event)
		.select(Avg(event.processing_ms), Max(event.processed_at))
		.where((event.received_at >= since) & (event.status == "Processed"))
		.run()[0]
	)
	success, failed = counts.get("Processed", 0), counts.get("Failed", 0)
	recent_errors = frappe.get_all(
		EVENT_DOCTYPE,
		filters={"status": "Failed", "received_at": (">=", since)},
		fields=["name", "event", "delivery_id", "attempts", "received_at", "error"],
		order_by="received_at desc",
		limit=10,
	)
	for row in recent_errors:
		row["error"] = last_line(row["error"])  # a traceback's last line says what went wrong
	return {
		"window_hours": hours,
		"total_syncs": sum(counts.values()),
		"success_count": success,
		"failed_count": failed,
		"success_rate": round(100.0 * success / (success + failed), 2) if success + failed else None,
		"avg_latency_ms": round(float(latency), 1) if latency is not None else None,
		"recent_errors": recent_errors,
		"last_sync": last_sync,
	}


def last_line(text: str | None) -> str:
	lines = (text or "").strip().splitlines()
	return lines[-1] if lines else ""


@chatwoot_method(admin_only=True)
def get_chatwoot_account(account_id: int) -> dict:
	"""Whether a Chatwoot account is known to this site, and the ERPNext Company it belongs to."""
	record = frappe.db.get_value(
		"Chatwoot Account", cint(account_id), ["account_id", "account_name", "created_via"], as_dict=True
	)
	if not record:
		return {"exists": False, "account_id": cint(account_id)}
	return {"exists": True, **record, "company": company_of(record.account_id)}
