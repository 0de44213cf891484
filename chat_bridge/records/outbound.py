"""ERPNext → Chatwoot: a mapped Contact's name, email and phone, and new Chatwoot contacts on demand."""

import frappe
from frappe import _
from frappe.utils import now_datetime

from chat_bridge.chatwoot.errors import ValidationError
from chat_bridge.clients import ChatwootAPI, system_client
from chat_bridge.features import Feature
from chat_bridge.records.contacts import MAPPING_DOCTYPE
from chat_bridge.settings import feature_enabled
from chat_bridge.sync.contacts import contact_push_fields, normalize_email
from chat_bridge.sync.direction import SyncDirection


def _push_fields(contact) -> dict:
	return contact_push_fields(contact.full_name, contact.email_id, contact.mobile_no or contact.phone)


def on_contact_update(doc, method=None) -> None:
	"""Contact on_update: queue a push to Chatwoot when a synced field changed here, not there."""
	if doc.flags.from_chatwoot or frappe.flags.in_import or frappe.flags.in_install:
		return  # the loop guard: what Chatwoot just wrote is not sent back to it
	if not feature_enabled(Feature.CONTACT_SYNC):
		return
	before = doc.get_doc_before_save()
	if before is not None and not contact_push_fields(
		doc.full_name, doc.email_id, doc.mobile_no or doc.phone, _push_fields(before)
	):
		return
	for mapping in frappe.get_all(
		MAPPING_DOCTYPE, filters={"contact": doc.name}, fields=["name", "sync_direction"]
	):
		if SyncDirection.of(mapping.sync_direction).pushes_erpnext_changes:
			frappe.enqueue(
				"chat_bridge.records.outbound.push_contact",
				job_id=f"chat-bridge-push-contact::{mapping.name}",
				deduplicate=True,
				enqueue_after_commit=True,
				now=bool(frappe.flags.in_test),
				mapping=mapping.name,
			)


def push_contact(mapping: str) -> None:
	"""Job: send the mapped Contact's current name, email and phone to its Chatwoot contact."""
	if not feature_enabled(Feature.CONTACT_SYNC):
		return
	record = frappe.get_doc(MAPPING_DOCTYPE, mapping)
	if not record.contact or not SyncDirection.of(record.sync_direction).pushes_erpnext_changes:
		return
	fields = _push_fields(frappe.get_doc("Contact", record.contact))
	if fields:
		system_client(account_id=record.account_id).update_contact(record.chatwoot_contact_id, **fields)
	record.db_set("last_synced", now_datetime())


def create_in_chatwoot(contact_name: str, client: ChatwootAPI) -> str:
	"""The Contact Mapping for an ERPNext Contact, creating its Chatwoot contact when it has none.

	When Chatwoot already has a contact with the same email, that one is linked instead.
	"""
	existing = frappe.db.get_value(
		MAPPING_DOCTYPE, {"contact": contact_name, "account_id": client.account_id}
	)
	if existing:
		return existing
	contact = frappe.get_doc("Contact", contact_name)
	fields = _push_fields(contact)
	if not fields.get("name"):
		frappe.throw(_("Contact {0} has no name to give Chatwoot.").format(contact_name))
	try:
		chatwoot_id = client.create_contact(**fields)["payload"]["contact"]["id"]
	except ValidationError as error:
		chatwoot_id = _existing_by_email(client, fields.get("email")) if "email" in error.attributes else None
		if chatwoot_id is None:
			raise
	return link_to_chatwoot(contact_name, client.account_id, chatwoot_id)


def _existing_by_email(client: ChatwootAPI, email: str | None) -> int | None:
	email = normalize_email(email)
	if not email:
		return None
	condition = {
		"attribute_key": "email",
		"filter_operator": "equal_to",
		"values": [email],
		"query_operator": None,
	}
	found = client.filter_contacts([condition]).get("payload") or []
	return found[0]["id"] if found else None


def link_to_chatwoot(contact_name: str, account_id: int, chatwoot_contact_id: int) -> str:
	"""Map an ERPNext Contact to an existing Chatwoot contact (both directions), or refuse a clash."""
	taken = frappe.db.get_value(
		MAPPING_DOCTYPE,
		{"account_id": account_id, "chatwoot_contact_id": chatwoot_contact_id},
		["name", "contact"],
		as_dict=True,
	)
	if taken:
		if taken.contact and taken.contact != contact_name:
			frappe.throw(
				_("Chatwoot contact {0} is already linked to Contact {1}.").format(
					chatwoot_contact_id, taken.contact
				)
			)
		frappe.db.set_value(
			MAPPING_DOCTYPE, taken.name, {"contact": contact_name, "last_synced": now_datetime()}
		)
		return taken.name
	return (
		frappe.get_doc(
			{
				"doctype": MAPPING_DOCTYPE,
				"account_id": account_id,
				"chatwoot_contact_id": chatwoot_contact_id,
				"contact": contact_name,
				"sync_direction": SyncDirection.BOTH.value,
				"last_synced": now_datetime(),
			}
		)
		.insert(ignore_permissions=True)
		.name
	)
