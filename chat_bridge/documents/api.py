"""The desk's *Send via Chatwoot*: `/api/method/chat_bridge.documents.api.<name>`.

For System Managers and Chatwoot Agents, while Sending Documents is on, and only for a submitted
document the user may print: what is sent is the document's print, so print permission is the one
that decides. A document goes out through the Chatwoot account of its Company when one works for
it, else through the first account the user may see.
"""

import frappe
from frappe import _

from chat_bridge import arguments
from chat_bridge.accounts import account_for_viewer, visible_accounts
from chat_bridge.api.rest_api import chatwoot_method
from chat_bridge.arguments import ArgumentError
from chat_bridge.clients import system_client, user_client
from chat_bridge.documents.choices import DEFAULT_MESSAGE
from chat_bridge.documents.send import SEND_DOCTYPE, document_send_values, queue_send, recipient
from chat_bridge.documents.send import send_again as queue_again
from chat_bridge.features import Feature
from chat_bridge.records.conversations import MAPPING_DOCTYPE as CONVERSATION_MAPPING

OFF = "Sending documents through Chatwoot is not enabled"


def documents_method(fn=None, *, methods=("GET", "POST")):
	return chatwoot_method(fn, methods=methods, feature=Feature.DOCUMENTS, disabled=OFF)


def printable_document(doctype: str, name: str):
	"""The submitted document, when the user may print it; a clear refusal otherwise."""
	if not isinstance(doctype, str) or not frappe.db.exists("DocType", doctype):
		raise ArgumentError(_("There is no document type {0}.").format(doctype))
	doc = frappe.get_doc(doctype, name)
	if not frappe.has_permission(doctype, "print", doc=doc):
		frappe.throw(
			_("You may not print {0} {1}, so you may not send it.").format(_(doctype), name),
			frappe.PermissionError,
		)
	if doc.meta.is_submittable and doc.docstatus != 1:
		raise ArgumentError(_("Only a submitted {0} is sent.").format(_(doctype)))
	return doc


def document_account(doc) -> int:
	"""The account `doc` goes out through: the one working for its Company, else the first the user
	may see."""
	company = doc.get("company")
	return (
		next(
			(account.account_id for account in visible_accounts() if company and account.company == company),
			None,
		)
		or account_for_viewer()
	)


@documents_method
def send_options(doctype, name) -> dict:
	"""What the dialog starts from: the recipient, the account's inboxes, the message and the print
	format."""
	doc = printable_document(doctype, name)
	contact = recipient(doc)
	account_id = document_account(doc)
	inboxes = system_client(account_id=account_id).list_inboxes().get("payload") or []
	latest_inbox = (
		frappe.db.get_value(
			CONVERSATION_MAPPING,
			{"contact": contact, "account_id": account_id},
			"inbox_id",
			order_by="chatwoot_created_at desc",
		)
		if contact
		else None
	)
	return {
		"account": account_id,
		"contact": contact,
		"inboxes": [{"value": str(i["id"]), "label": i.get("name") or str(i["id"])} for i in inboxes],
		"inbox_id": str(latest_inbox or (inboxes[0]["id"] if inboxes else "")),
		"message": frappe.render_template(DEFAULT_MESSAGE, {"doc": doc, "_": _}),
		"print_format": doc.meta.default_print_format or "Standard",
	}


@documents_method(methods=("POST",))
def send_document(doctype, name, contact, inbox_id, message, request_key, print_format=None) -> dict:
	"""Queue the document's PDF and the message to the contact's conversation in the inbox. The
	same `request_key` (one per dialog) always answers the same send."""
	doc = printable_document(doctype, name)
	if not contact or not frappe.db.exists("Contact", contact):
		raise ArgumentError(_("Choose the Contact to send {0} to.").format(name))
	frappe.get_doc("Contact", contact).check_permission("read")
	account_id = document_account(doc)
	user_client(account_id=account_id)  # one who may not act in Chatwoot is told now, not by a failed send
	if print_format and not frappe.db.exists("Print Format", print_format) and print_format != "Standard":
		raise ArgumentError(_("There is no print format {0}.").format(print_format))
	send = queue_send(
		document_send_values(
			doc,
			contact,
			account_id,
			arguments.positive_int(inbox_id, "inbox_id"),
			arguments.message_content(message),
			print_format,
		),
		arguments.request_key(request_key),
	)
	return {
		"name": send,
		"status": frappe.db.get_value(SEND_DOCTYPE, send, ["status", "error"], as_dict=True),
	}


@documents_method(methods=("POST",))
def send_again(name) -> dict:
	"""Queue a failed send anew, if the user may still print its document."""
	row = frappe.get_doc(SEND_DOCTYPE, name)
	printable_document(row.reference_doctype, row.reference_name)
	user_client(account_id=row.account_id)  # one who may not act in Chatwoot is told now
	queue_again(row.name, frappe.session.user)
	return {"name": row.name, "status": frappe.db.get_value(SEND_DOCTYPE, row.name, "status")}
