"""Sending a document through Chatwoot: a Chatwoot Document Send row, then a background job.

Never twice: the row is made once per request key (the dialog's, so a double click or a repeated
request finds the first row), and the job sends only a row it finds Queued, marking it Sending
and committing before it calls Chatwoot; a second job, or a retried one, finds it Sending or Sent
and does nothing. A worker that dies while Sending leaves the row there rather than risk a second
message: someone looks at the conversation first. Never lost: whatever stops a send before
Chatwoot took the message marks the row Failed with the reason, and *Send Again* queues it anew.
"""

import json

import frappe
from frappe import _
from frappe.core.doctype.communication.communication import add_contact_links_to_communication
from frappe.utils import now_datetime

from chat_bridge.accounts import stamp_record_company
from chat_bridge.chatwoot.errors import ChatwootConnectionError, ChatwootError
from chat_bridge.chatwoot.values import Upload
from chat_bridge.clients import user_client
from chat_bridge.documents.choices import (
	Field,
	NotSendable,
	check_attachment,
	conversation_to_continue,
	customer_named,
	party_fields,
	pdf_filename,
)
from chat_bridge.features import Feature
from chat_bridge.records.contacts import MAPPING_DOCTYPE as CONTACT_MAPPING
from chat_bridge.records.conversations import MAPPING_DOCTYPE as CONVERSATION_MAPPING
from chat_bridge.records.document_sends import SEND_DOCTYPE
from chat_bridge.records.outbound import create_in_chatwoot
from chat_bridge.settings import require_feature
from chat_bridge.sync.messages import message_key, record_name, sanitized_html

WHATSAPP_CHANNEL = "Channel::Whatsapp"


def recipient(doc) -> str | None:
	"""The Contact a document goes to: its own contact, else its customer's primary contact."""
	fields = party_fields(Field(f.fieldname, f.fieldtype, f.options) for f in doc.meta.fields)
	if fields.contact and doc.get(fields.contact):
		return doc.get(fields.contact)
	customer = customer_named(doc.as_dict(), fields)
	if not customer:
		return None
	from frappe.contacts.doctype.contact.contact import get_default_contact

	return get_default_contact("Customer", customer)


def document_send_values(
	doc,
	contact: str,
	account_id: int,
	inbox_id: int,
	message: str,
	print_format: str | None = None,
	conversation_id: int | None = None,
) -> dict:
	"""A send of `doc`'s print with `message`, by the session user, to `contact` in the inbox (into
	`conversation_id` when given)."""
	return {
		"reference_doctype": doc.doctype,
		"reference_name": doc.name,
		"contact": contact,
		"account_id": account_id,
		"inbox_id": inbox_id,
		"conversation_id": conversation_id,
		"message": message,
		"print_format": None if print_format in (None, "", "Standard") else print_format,
		"sent_by": frappe.session.user,
	}


def queue_send(values: dict, request_key: str, refused: str | None = None) -> str:
	"""The send for `request_key`: the one made earlier, or a new one queued now (or, `refused`,
	kept as Failed with that reason, for someone to see)."""
	existing = frappe.db.get_value(SEND_DOCTYPE, {"request_key": request_key})
	if existing:
		return existing
	status = {"status": "Failed", "error": refused} if refused else {"status": "Queued"}
	row = frappe.get_doc({"doctype": SEND_DOCTYPE, **values, "request_key": request_key, **status})
	# A notification queues its send inside the save of the document it is about: a clash undoes
	# only this row, never that save.
	frappe.db.savepoint("chat_bridge_send")
	try:
		row.insert(ignore_permissions=True)
	except frappe.DuplicateEntryError:
		# The same request, a moment ago in another worker: that row is the send.
		frappe.db.rollback(save_point="chat_bridge_send")
		return frappe.db.get_value(SEND_DOCTYPE, {"request_key": request_key})
	if not refused:
		enqueue_delivery(row.name)
	return row.name


def enqueue_delivery(name: str) -> None:
	frappe.enqueue(
		"chat_bridge.documents.send.deliver",
		name=name,
		job_id=f"chat_bridge:document_send:{name}",
		deduplicate=True,
		enqueue_after_commit=not frappe.flags.in_test,
		now=bool(frappe.flags.in_test),
	)


def deliver(name: str) -> None:
	"""Job: send a Queued row's message and PDF, once."""
	status = frappe.db.get_value(SEND_DOCTYPE, name, "status", for_update=True)
	if status != "Queued":
		return
	frappe.db.set_value(SEND_DOCTYPE, name, "status", "Sending", update_modified=False)
	frappe.db.commit()
	row = frappe.get_doc(SEND_DOCTYPE, name)
	frappe.set_user(row.sent_by)  # the job acts as the one who asked: their print permission, their token
	try:
		require_feature(Feature.DOCUMENTS, _("Sending documents was switched off before this was sent"))
		sent = send_to_chatwoot(row)
	except Exception as error:
		frappe.db.rollback()
		fail(name, reason_not_sent(error))
		if not isinstance(
			error, NotSendable | ChatwootError | frappe.ValidationError | frappe.PermissionError
		):
			frappe.log_error(title=_("Chatwoot: a document was not sent"), reference_name=name)
		return
	frappe.db.set_value(
		SEND_DOCTYPE,
		name,
		{
			"status": "Sent",
			"sent_at": now_datetime(),
			"chatwoot_message_id": sent["message"]["id"],
			"conversation_id": sent["conversation_id"],
			"chatwoot_contact_id": sent["contact_id"],
			"error": None,
		},
	)
	frappe.db.commit()
	# The message went: what is left is ERPNext's record of it, which a failure must not unsend.
	try:
		communication = record_communication(row, sent)
		frappe.db.set_value(SEND_DOCTYPE, name, "communication", communication)
		frappe.db.commit()
	except Exception:
		frappe.db.rollback()
		frappe.log_error(title=_("Chatwoot: a sent document was not recorded"), reference_name=name)


def reason_not_sent(error: Exception) -> str:
	reason = str(error).strip() or type(error).__name__
	if isinstance(error, ChatwootConnectionError) and error.request_sent:
		return _(
			"{0}. Chatwoot may have received the message: look at the conversation before sending again."
		).format(reason.rstrip("."))
	return reason


def fail(name: str, reason: str) -> None:
	frappe.db.set_value(SEND_DOCTYPE, name, {"status": "Failed", "error": reason})
	frappe.db.commit()


def send_again(name: str, user: str) -> None:
	"""Queue a Failed send anew, as `user`."""
	if frappe.db.get_value(SEND_DOCTYPE, name, "status") != "Failed":
		frappe.throw(_("Only a send that failed can be sent again."))
	frappe.db.set_value(SEND_DOCTYPE, name, {"status": "Queued", "error": None, "sent_by": user})
	enqueue_delivery(name)


def send_to_chatwoot(row) -> dict:
	"""Post the row's message with the document's PDF, as the user who asked, in the contact's
	conversation in the row's inbox (continued, or started). The PDF is made first: a document
	that does not print makes nothing in Chatwoot."""
	pdf = (
		frappe.get_print(row.reference_doctype, row.reference_name, row.print_format, as_pdf=True)
		if row.attach_print
		else None
	)
	if pdf is not None:
		check_attachment(len(pdf))
	client = user_client(row.sent_by, account_id=row.account_id)
	contact_id = frappe.db.get_value(
		CONTACT_MAPPING,
		create_in_chatwoot(row.contact, client),
		"chatwoot_contact_id",
	)
	display_id = row.conversation_id  # the card's send goes into the conversation it is beside
	if not display_id:
		conversations = client.get_contact_conversations(contact_id).get("payload") or []
		display_id = conversation_to_continue(conversations, row.inbox_id)
	if not display_id:
		require_a_way_to_reach(row.contact, row.inbox_id, client)
	conversation = (
		client.get_conversation(display_id)
		if display_id
		else client.create_conversation(inbox_id=row.inbox_id, contact_id=contact_id)
	)
	if conversation.get("can_reply") is False:
		# WhatsApp takes only an approved template now, and a template carries no attachment.
		if not row.template_params:
			raise NotSendable(
				_(
					"Chatwoot may not send a free message in this conversation now: the channel's reply window (WhatsApp's 24 hours) is closed."
				)
			)
		message = client.send_message(
			conversation["id"], row.message, template_params=json.loads(row.template_params)
		)
		pdf = None
	else:
		message = client.send_message(
			conversation["id"],
			row.message,
			attachments=[Upload(pdf_filename(row.reference_name), pdf)] if pdf is not None else (),
		)
	return {"message": message, "conversation_id": conversation["id"], "contact_id": contact_id, "pdf": pdf}


def require_a_way_to_reach(contact: str, inbox_id: int, client) -> None:
	"""A new WhatsApp conversation goes to the contact's phone number: say so when there is none,
	rather than pass on what Chatwoot answers."""
	inbox = next((i for i in client.list_inboxes().get("payload") or [] if i.get("id") == inbox_id), None)
	if inbox is None:
		raise NotSendable(_("Chatwoot has no inbox {0} that you may use.").format(inbox_id))
	phones = frappe.db.get_value("Contact", contact, ["mobile_no", "phone"]) or ()
	if inbox.get("channel_type") == WHATSAPP_CHANNEL and not any(phones):
		raise NotSendable(_("{0} has no phone number for WhatsApp.").format(contact))


def record_communication(row, sent: dict) -> str:
	"""The message as a Communication on the document's timeline and the Contact's, with the PDF:
	named as the sync names the message, so Chatwoot's own report of it finds this one."""
	name = record_name(row.account_id, sent["message"]["id"])
	existing = frappe.db.exists("Communication", name)
	if existing:
		communication = frappe.get_doc("Communication", name)  # the sync was quicker
	else:
		communication = frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Chat",
				"sent_or_received": "Sent",
				"subject": f"{_(row.reference_doctype)} {row.reference_name}",
				"content": sanitized_html(row.message),
				"sender": frappe.db.get_value("User", row.sent_by, "email"),
				"sender_full_name": frappe.utils.get_fullname(row.sent_by),
				"message_id": message_key(row.account_id, sent["message"]["id"]),
				"communication_date": now_datetime(),
			}
		)
	communication.reference_doctype, communication.reference_name = row.reference_doctype, row.reference_name
	linked = {(link.link_doctype, link.link_name) for link in communication.timeline_links}
	if ("Contact", row.contact) not in linked:
		communication.add_link("Contact", row.contact)
		add_contact_links_to_communication(communication, row.contact)
	mapping = frappe.db.get_value(
		CONVERSATION_MAPPING,
		{"account_id": row.account_id, "chatwoot_conversation_id": sent["conversation_id"]},
	)
	if mapping and (CONVERSATION_MAPPING, mapping) not in linked:
		communication.add_link(CONVERSATION_MAPPING, mapping)
	stamp_record_company(communication, row.get("company"))
	if existing:
		communication.save(ignore_permissions=True)
	else:
		communication.insert(ignore_permissions=True, set_name=name)
	if sent["pdf"] is not None:
		frappe.get_doc(
			{
				"doctype": "File",
				"file_name": pdf_filename(row.reference_name),
				"attached_to_doctype": "Communication",
				"attached_to_name": communication.name,
				"content": sent["pdf"],
				"is_private": 1,
			}
		).insert(ignore_permissions=True)
	return communication.name
