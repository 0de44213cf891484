"""Communications (and, for private notes, Comments) for Chatwoot messages: exactly one per message."""

import frappe
from frappe import _
from frappe.core.doctype.communication.communication import add_contact_links_to_communication
from frappe.utils import now_datetime

from chat_bridge.accounts import company_of, stamp_record_company
from chat_bridge.chatwoot.events import MessageView
from chat_bridge.records.agents import AgentListUnavailable, user_for_agent
from chat_bridge.records.contacts import Written
from chat_bridge.records.conversations import (
	MAPPING_DOCTYPE,
	attach_contact,
	conversation_mapping,
	publish,
)
from chat_bridge.records.document_sends import mark_refused_by_channel
from chat_bridge.records.times import to_site_time
from chat_bridge.settings import get_settings
from chat_bridge.sync.messages import communication_values, newer_delivery_status, note_values, record_name


class NotAMessage(Exception):
	"""The payload carries no message that ERPNext keeps."""


def sync_message(message: MessageView) -> Written:
	"""Write the message's Communication (or the note's Comment), creating what it belongs to first."""
	if message.id is None or message.conversation.id is None:
		raise NotAMessage(_("The message has no id or no conversation."))
	if message.message_type not in ("incoming", "outgoing", "template"):
		raise NotAMessage(
			_("A message of type {0} is not kept.").format(message.message_type)
			if message.message_type
			else _("A message without a type is not kept.")
		)
	mapping = message_mapping(message)
	# The message belongs to the conversation, or to its Issue when it has one; the Contact (and
	# the Customer or Lead it is linked to) see it through timeline links.
	reference_type, reference_name = (
		(mapping.reference_doctype, mapping.reference_name)
		if mapping.reference_doctype == "Issue" and mapping.reference_name
		else (MAPPING_DOCTYPE, mapping.name)
	)

	name = record_name(message.account_id or mapping.account_id, message.id)
	if message.is_private_note:
		# On the conversation's own record, which only the support team reads
		# (chat_bridge.permissions): not on the Contact or Issue, whose readers are anyone's.
		written = upsert_note(name, message, mapping.account_id, MAPPING_DOCTYPE, mapping.name)
	else:
		written = upsert_communication(name, message, mapping, reference_type, reference_name)
		if message.content_attributes.get("external_error"):
			mark_refused_by_channel(
				mapping.account_id, message.id, str(message.content_attributes["external_error"])
			)
	# GREATEST in the database: concurrent messages of one conversation need no lock to agree.
	frappe.db.sql(
		"""update `tabChatwoot Conversation Mapping`
		set last_message_id = greatest(ifnull(last_message_id, 0), %s), last_synced = %s
		where name = %s""",
		(message.id, now_datetime(), mapping.name),
	)
	if written.action != "unchanged":
		publish(mapping, "message", {"message": message.id, "record": written.name})
	return written


MAPPING_FIELDS = [
	"name",
	"account_id",
	"contact",
	"reference_doctype",
	"reference_name",
	"assignee",
	"chatwoot_conversation_id",
]


def message_mapping(message: MessageView) -> frappe._dict:
	"""The conversation's mapping fields a message needs.

	Messages arrive many times more often than conversation changes, so the common case reads
	the row alone, without a lock (a locking read of a row not there yet would take a gap lock,
	and concurrent first messages of one conversation would deadlock on it); only a conversation
	(or contact) seen for the first time takes the full path, which inserts the mapping first.
	"""
	account_id = message.conversation.account_id or message.account_id or get_settings().account_id
	filters = {"account_id": account_id, "chatwoot_conversation_id": message.conversation.id}
	mapping = frappe.db.get_value(MAPPING_DOCTYPE, filters, MAPPING_FIELDS, as_dict=True)
	if mapping is None or not mapping.contact or not frappe.db.exists("Contact", mapping.contact):
		document, _created = conversation_mapping(message.conversation)
		attach_contact(document, message.conversation)
		document.save(ignore_permissions=True)
		mapping = frappe._dict({field: document.get(field) for field in MAPPING_FIELDS})
	if not mapping.contact:
		raise NotAMessage(_("The conversation has no contact to file the message under."))
	return mapping


def _agent_email(message: MessageView, account_id: int) -> str | None:
	try:
		user = user_for_agent(message.sender, account_id) if message.sender else None
	except AgentListUnavailable:
		return None  # the message keeps the agent's name; their email is not worth failing it for
	return frappe.db.get_value("User", user, "email") if user else None


def _timestamp(message: MessageView):
	return to_site_time(message.created_at) or now_datetime()


def upsert_communication(
	name: str, message: MessageView, mapping, reference_type: str, reference_name: str
) -> Written:
	values = communication_values(
		message,
		agent_email=None if message.message_type == "incoming" else _agent_email(message, mapping.account_id),
	)
	# An edit or a deletion changes the content; the channel's reports, the delivery status.
	kept = ("content", "delivery_status", "read_by_recipient")
	current = frappe.db.get_value("Communication", name, ["name", *kept], as_dict=True)
	if current:
		values["delivery_status"] = newer_delivery_status(current.delivery_status, values["delivery_status"])
		values["read_by_recipient"] = max(current.read_by_recipient or 0, values["read_by_recipient"])
		changed = {
			field: values[field] for field in kept if (current[field] or None) != (values[field] or None)
		}
		if not changed:
			return Written(name, "unchanged")
		frappe.db.set_value("Communication", name, changed)
		return Written(name, "updated")
	communication = frappe.get_doc(
		{
			"doctype": "Communication",
			**values,
			"communication_date": _timestamp(message),
			"reference_doctype": reference_type,
			"reference_name": reference_name,
		}
	)
	if mapping.contact:
		communication.add_link("Contact", mapping.contact)
		add_contact_links_to_communication(communication, mapping.contact)
	stamp_record_company(communication, company_of(mapping.account_id))
	# Its links were read from the database a moment ago, in this transaction.
	communication.flags.ignore_links = True
	# The name is derived from the message: a second insert of it, even at the same moment in
	# another worker, fails in the database and is retried into the update path above.
	communication.insert(ignore_permissions=True, set_name=name)
	return Written(name, "created")


def upsert_note(
	name: str, message: MessageView, account_id: int, reference_type: str, reference_name: str
) -> Written:
	values = note_values(message, author_email=_agent_email(message, account_id))
	current = frappe.db.get_value("Comment", name, ["name", "content"], as_dict=True)
	if current:
		if current.content == values["content"]:
			return Written(name, "unchanged")
		frappe.db.set_value("Comment", name, "content", values["content"])
		return Written(name, "updated")
	frappe.get_doc(
		{
			"doctype": "Comment",
			**values,
			"reference_doctype": reference_type,
			"reference_name": reference_name,
		}
	).insert(ignore_permissions=True, set_name=name)
	return Written(name, "created")
