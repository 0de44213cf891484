"""The customer card's methods: `/api/method/chat_bridge.card.api.<name>`.

Each answers the session user, whom a same-site frame's cookie or a card token
(`chat_bridge.card.access`) names, and only while ERPNext in Chatwoot is on. The ids the frame
sends come from Chatwoot's message to it: they are hints, checked here. Every action is checked
against the viewer's own permissions, and the card asks before it calls one.
"""

import frappe
from frappe import _

from chat_bridge import arguments
from chat_bridge.accounts import account_for_viewer
from chat_bridge.api.rest_api import chatwoot_method
from chat_bridge.arguments import ArgumentError
from chat_bridge.card.access import (
	CARD_TOKEN_SECONDS,
	card_token_of,
	forget_cookie,
	issue_card_token,
	keep_in_cookie,
	revoke_card_token,
	signed_in_by_card,
	user_of_card_token,
)
from chat_bridge.card.data import PARTY_DOCTYPES, resolve_contact, viewed_card
from chat_bridge.card.routes import CARD_TOKEN_HEADER
from chat_bridge.card.view import order_note
from chat_bridge.chatwoot.events import ContactView
from chat_bridge.clients import INTERACTIVE_RETRY, system_client, user_client
from chat_bridge.documents.api import OFF as DOCUMENTS_OFF
from chat_bridge.documents.api import printable_document
from chat_bridge.documents.choices import DEFAULT_MESSAGE
from chat_bridge.documents.send import SEND_DOCTYPE, document_send_values, queue_send
from chat_bridge.erpnext import has_erpnext
from chat_bridge.features import Feature
from chat_bridge.permissions import require_chatwoot_user
from chat_bridge.records.contacts import MAPPING_DOCTYPE as CONTACT_MAPPING
from chat_bridge.records.contacts import new_contact
from chat_bridge.records.conversations import MAPPING_DOCTYPE as CONVERSATION_MAPPING
from chat_bridge.records.conversations import TODO_PREFIX, customer_of_contact
from chat_bridge.records.outbound import link_to_chatwoot
from chat_bridge.settings import require_feature
from chat_bridge.sync.contacts import normalize_email

OFF = "ERPNext in Chatwoot is not enabled"
# What the card offers to send, from the customer's records it shows.
CARD_DOCUMENTS = ("Sales Invoice", "Sales Order", "Quotation")


def require_signed_in() -> None:
	"""The card is for System Managers and Chatwoot Agents, checked before anything is read."""
	if frappe.session.user in (None, "Guest"):
		frappe.throw(_("Sign in to ERPNext to see the customer card."), frappe.PermissionError)
	require_chatwoot_user()


def card_method(fn=None, *, methods=("GET", "POST")):
	return chatwoot_method(
		fn, methods=methods, feature=Feature.CHATWOOT_APP, disabled=OFF, allowed=require_signed_in
	)


def account(account_id) -> int:
	"""The account of the frame's conversation: one this site syncs and the viewer's Company
	permissions reach, or a refusal. Each account's Dashboard App frames the same card."""
	return account_for_viewer(arguments.optional_positive_int(account_id, "account_id"))


@frappe.whitelist(allow_guest=True, methods=["GET"])
def viewer() -> dict:
	"""Who the card would show data to: the session user, or nobody yet."""
	user = frappe.session.user
	if user in (None, "Guest"):
		return {"user": None}
	return {"user": user, "full_name": frappe.utils.get_fullname(user), "card_token": signed_in_by_card()}


@card_method
def get_card(contact_id, conversation_id=None, account_id=None, fresh=0) -> dict:
	return viewed_card(
		account(account_id),
		arguments.positive_int(contact_id, "contact_id"),
		arguments.optional_positive_int(conversation_id, "conversation_id"),
		fresh=arguments.flag(fresh),
	)


@card_method
def search_parties(q: str) -> list:
	"""Customers and Leads matching `q` that the viewer may read, to link a contact to."""
	text = (q or "").strip()
	if len(text) < 2:
		return []
	found = []
	for doctype, title in (("Customer", "customer_name"), ("Lead", "lead_name")):
		if frappe.has_permission(doctype, "read"):
			found += [
				{"doctype": doctype, "name": row.name, "title": row.get(title)}
				for row in frappe.get_list(
					doctype,
					or_filters={"name": ("like", f"%{text}%"), title: ("like", f"%{text}%")},
					fields=["name", title],
					limit=8,
				)
			]
	return found


def contact_for_card(account_id: int, chatwoot_contact_id: int) -> str:
	"""The Contact of the Chatwoot contact, made (as the viewer) and mapped when there is none."""
	name = resolve_contact(account_id, chatwoot_contact_id)
	if name:
		frappe.get_doc("Contact", name).check_permission("write")
		return name
	payload = system_client(account_id=account_id, retry=INTERACTIVE_RETRY).get_contact(chatwoot_contact_id)
	contact = new_contact(ContactView.from_payload(payload.get("payload") or {}, account_id))
	contact.flags.from_chatwoot = True  # nothing to push back: it is Chatwoot's own data
	contact.insert()
	link_to_chatwoot(contact.name, account_id, chatwoot_contact_id)
	return contact.name


def link_contact_to(contact: str, doctype: str, name: str, account_id: int, chatwoot_contact_id: int) -> None:
	doc = frappe.get_doc("Contact", contact)
	if not doc.has_link(doctype, name):
		doc.append("links", {"link_doctype": doctype, "link_name": name})
		doc.save()
	mapping = frappe.db.get_value(
		CONTACT_MAPPING, {"account_id": account_id, "chatwoot_contact_id": chatwoot_contact_id}
	)
	if mapping:
		frappe.db.set_value(CONTACT_MAPPING, mapping, {"reference_doctype": doctype, "reference_name": name})


@card_method(methods=("POST",))
def link_party(contact_id, doctype, name, account_id=None) -> dict:
	"""Link the Chatwoot contact to an existing Customer or Lead."""
	if doctype not in PARTY_DOCTYPES or not has_erpnext():
		raise ArgumentError(
			_("A Chatwoot contact is linked to a Customer or a Lead, not {0}.").format(doctype)
		)
	frappe.get_doc(doctype, name).check_permission("read")
	account_id, chatwoot_id = account(account_id), arguments.positive_int(contact_id, "contact_id")
	contact = contact_for_card(account_id, chatwoot_id)
	link_contact_to(contact, doctype, name, account_id, chatwoot_id)
	return viewed_card(account_id, chatwoot_id, fresh=True)


@card_method(methods=("POST",))
def create_lead(contact_id, account_id=None) -> dict:
	"""Make a Lead of the Chatwoot contact, and link them."""
	if not has_erpnext():
		raise ArgumentError(_("Leads need ERPNext."))
	account_id, chatwoot_id = account(account_id), arguments.positive_int(contact_id, "contact_id")
	contact = frappe.get_doc("Contact", contact_for_card(account_id, chatwoot_id))
	lead = frappe.get_doc(
		{
			"doctype": "Lead",
			"first_name": contact.first_name,
			"last_name": contact.last_name,
			"email_id": contact.email_id,
			"mobile_no": contact.mobile_no,
			"company_name": contact.company_name,
		}
	).insert()
	link_contact_to(contact.name, "Lead", lead.name, account_id, chatwoot_id)
	return viewed_card(account_id, chatwoot_id, fresh=True)


@card_method(methods=("POST",))
def create_issue(conversation_id, account_id=None) -> dict:
	"""Open an Issue for the conversation, filed under its mapping."""
	if not has_erpnext():
		raise ArgumentError(_("Issues need ERPNext."))
	account_id, conversation = account(account_id), arguments.positive_int(conversation_id, "conversation_id")
	mapping = frappe.db.get_value(
		CONVERSATION_MAPPING,
		{"account_id": account_id, "chatwoot_conversation_id": conversation},
		["name", "contact", "reference_doctype", "reference_name"],
		as_dict=True,
	)
	if mapping is None:
		raise ArgumentError(_("This conversation is not in ERPNext yet: the sync brings it in."))
	if mapping.reference_doctype and mapping.reference_name:
		raise ArgumentError(
			_("This conversation is filed under {0} {1} already.").format(
				mapping.reference_doctype, mapping.reference_name
			)
		)
	contact = (
		frappe.db.get_value("Contact", mapping.contact, ["full_name", "email_id"], as_dict=True)
		if mapping.contact
		else None
	)
	issue = frappe.get_doc(
		{
			"doctype": "Issue",
			"subject": f"{TODO_PREFIX}{conversation}" + (f": {contact.full_name}" if contact else ""),
			"raised_by": normalize_email(contact.email_id) if contact else None,
			"contact": mapping.contact,
			"customer": customer_of_contact(mapping.contact) if mapping.contact else None,
		}
	).insert()
	frappe.db.set_value(
		CONVERSATION_MAPPING, mapping.name, {"reference_doctype": "Issue", "reference_name": issue.name}
	)
	return {"issue": issue.name}


@card_method(methods=("POST",))
def add_order_note(conversation_id, sales_order, account_id=None) -> dict:
	"""Post a private note with a Sales Order's summary into the conversation (of the frame's
	account), as the viewer."""
	order = frappe.get_doc("Sales Order", sales_order)
	order.check_permission("read")
	text = order_note(order.as_dict(), [item.as_dict() for item in order.items])
	message = user_client(account_id=account(account_id)).send_message(
		arguments.positive_int(conversation_id, "conversation_id"), text, private=True
	)
	return {"message_id": message.get("id"), "content": text}


@card_method(methods=("POST",))
def send_document(conversation_id, contact_id, doctype, name, request_key, account_id=None) -> dict:
	"""Send one of the customer's invoices, orders or quotations, as PDF, into this conversation, as
	the viewer: only a document they may print (documents.api.printable_document)."""
	if doctype not in CARD_DOCUMENTS:
		raise ArgumentError(
			_("The card sends Sales Invoices, Sales Orders and Quotations, not {0}.").format(doctype)
		)
	require_feature(Feature.DOCUMENTS, _(DOCUMENTS_OFF))
	doc = printable_document(doctype, name)
	account_id, chatwoot_id = account(account_id), arguments.positive_int(contact_id, "contact_id")
	display_id = arguments.positive_int(conversation_id, "conversation_id")
	conversation = user_client(account_id=account_id).get_conversation(display_id)
	if (conversation.get("meta") or {}).get("sender", {}).get("id") != chatwoot_id:
		raise ArgumentError(_("Conversation {0} is not this contact's.").format(display_id))
	send = queue_send(
		document_send_values(
			doc,
			contact_for_card(account_id, chatwoot_id),
			account_id,
			conversation["inbox_id"],
			frappe.render_template(DEFAULT_MESSAGE, {"doc": doc, "_": _}),
			conversation_id=display_id,
		),
		arguments.request_key(request_key),
	)
	return {"name": send, **frappe.db.get_value(SEND_DOCTYPE, send, ["status", "error"], as_dict=True)}


@frappe.whitelist(methods=["POST"])
def sign_in() -> dict:
	"""For the card's sign-in window: a card token for the signed-in user, who just allowed it."""
	require_signed_in()
	require_feature(Feature.CHATWOOT_APP, _(OFF))
	return {"token": issue_card_token(frappe.session.user), "expires_in": CARD_TOKEN_SECONDS}


@card_method(methods=("POST",))
def keep_sign_in() -> dict:
	"""Keep the card token the sign-in window handed this frame, so that the frames Chatwoot mounts
	for the next conversations are signed in too. Only the token in the header is kept, for what is
	left of its life: nothing here makes a token or makes one last longer."""
	token = frappe.request.headers.get(CARD_TOKEN_HEADER)
	if not token or user_of_card_token(token) != frappe.session.user:
		frappe.throw(_("Only the card's own sign-in is kept."), frappe.PermissionError)
	keep_in_cookie(token)
	return {"kept": True}


@frappe.whitelist(allow_guest=True, methods=["POST"])
def sign_out() -> dict:
	"""Revoke the card token the frame holds or its cookie keeps, and remove the cookie."""
	token = card_token_of(frappe.request)
	if token:
		revoke_card_token(token)
	forget_cookie()
	return {"signed_out": True}
