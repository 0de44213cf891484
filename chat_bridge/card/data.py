"""What the customer card shows, read as the viewer.

Which ERPNext Contact a Chatwoot contact is, is decided here, not by the frame: the contact's
mapping first, else the same matching the sync uses, on what Chatwoot itself says of the contact.
Everything then shown is read through Frappe's permission checks as the session user (no
`ignore_permissions` on this path): a section the viewer may not read is left out, and a Contact
they may not read shows nothing at all.
"""

import frappe
from frappe.utils import getdate, nowdate

from chat_bridge.card.view import invoice_state, money
from chat_bridge.chatwoot.errors import NotFoundError
from chat_bridge.chatwoot.events import ContactView
from chat_bridge.clients import INTERACTIVE_RETRY, USER_TOKEN_DOCTYPE, system_client
from chat_bridge.erpnext import has_erpnext
from chat_bridge.features import Feature
from chat_bridge.permissions import is_chatwoot_admin
from chat_bridge.records.contacts import MAPPING_DOCTYPE as CONTACT_MAPPING
from chat_bridge.records.contacts import matching_contact
from chat_bridge.records.conversations import MAPPING_DOCTYPE as CONVERSATION_MAPPING
from chat_bridge.settings import feature_enabled

LATEST = 5
# Chatwoot mounts the card afresh on every switch between conversations: an agent going back and
# forth gets what was read for them moments ago. Refresh, and every action, read afresh.
CARD_SECONDS = 30
CARD_KEY = "chat_bridge:card:{user}:{account_id}:{contact_id}:{conversation_id}"
PARTY_DOCTYPES = ("Customer", "Lead")
OPEN_ISSUE = ("not in", ("Resolved", "Closed"))


def resolve_contact(account_id: int, chatwoot_contact_id: int) -> str | None:
	"""The ERPNext Contact of a Chatwoot contact: its mapping, else the sync's matching (nothing is
	written, and nothing the frame said is believed: Chatwoot is asked)."""
	mapped = frappe.db.get_value(
		CONTACT_MAPPING, {"account_id": account_id, "chatwoot_contact_id": chatwoot_contact_id}, "contact"
	)
	if mapped and frappe.db.exists("Contact", mapped):
		return mapped
	client = system_client(account_id=account_id, retry=INTERACTIVE_RETRY)
	try:
		payload = client.get_contact(chatwoot_contact_id).get("payload") or {}
	except NotFoundError:
		return None
	return matching_contact(ContactView.from_payload(payload, account_id))


def readable(doctype: str, name: str | None) -> bool:
	return bool(name) and frappe.has_permission(doctype, "read", doc=name)


def listed(doctype: str, **kwargs) -> list | None:
	"""frappe.get_list as the viewer; None when they may not read the DocType at all."""
	if not frappe.db.table_exists(doctype) or not frappe.has_permission(doctype, "read"):
		return None
	return frappe.get_list(doctype, **kwargs)


def viewed_card(
	account_id: int, chatwoot_contact_id: int, conversation_id: int | None = None, *, fresh: bool = False
) -> dict:
	"""The card as the session user sees it, read within the last CARD_SECONDS unless `fresh`."""
	key = CARD_KEY.format(
		user=frappe.session.user,
		account_id=account_id,
		contact_id=chatwoot_contact_id,
		conversation_id=conversation_id,
	)
	if not fresh:
		seen = frappe.cache.get_value(key, expires=True)
		if seen is not None:
			return seen
	answer = card(account_id, chatwoot_contact_id, conversation_id)
	frappe.cache.set_value(key, answer, expires_in_sec=CARD_SECONDS)
	return answer


def card(account_id: int, chatwoot_contact_id: int, conversation_id: int | None = None) -> dict:
	contact = resolve_contact(account_id, chatwoot_contact_id)
	answer = {
		"erpnext": has_erpnext(),
		"conversation": conversation_of(account_id, conversation_id),
		"contact": None,
	}
	if contact is None:
		answer["can"] = actions_for(None, None, answer["conversation"])
		return answer
	if not readable("Contact", contact):
		return {**answer, "contact": {"permitted": False}}
	doc = frappe.get_doc("Contact", contact)
	party = party_of(doc)
	answer.update(
		contact={
			"permitted": True,
			"name": doc.name,
			"full_name": doc.full_name,
			"email": doc.email_id,
			"phone": doc.mobile_no or doc.phone,
			"company_name": doc.company_name,
		},
		party=party,
	)
	if party and party["doctype"] == "Customer":
		answer.update(customer_sections(party["name"]))
	else:  # without a customer's records, what the Contact itself has
		answer.update(contact_sections(contact))
	if answer["erpnext"]:
		answer["issues"] = listed(
			"Issue",
			filters={"status": OPEN_ISSUE},
			or_filters={
				"contact": contact,
				**({"customer": party["name"]} if party and party["doctype"] == "Customer" else {}),
			},
			fields=["name", "subject", "status", "priority", "opening_date"],
			order_by="opening_date desc",
			limit=LATEST,
		)
	answer["can"] = actions_for(doc, party, answer["conversation"])
	return answer


def contact_sections(contact: str) -> dict:
	return {
		"todos": listed(
			"ToDo",
			filters={"reference_type": "Contact", "reference_name": contact, "status": "Open"},
			fields=["name", "description", "allocated_to", "date", "priority"],
			order_by="creation desc",
			limit=LATEST,
		),
		"communications": listed(
			"Communication",
			filters=[
				["Communication Link", "link_doctype", "=", "Contact"],
				["Communication Link", "link_name", "=", contact],
			],
			fields=["name", "subject", "communication_date", "sent_or_received", "communication_medium"],
			order_by="communication_date desc",
			limit=LATEST,
		),
	}


def party_of(contact) -> dict | None:
	"""The Customer (or else the Lead) the Contact belongs to, if the viewer may read it."""
	for doctype in PARTY_DOCTYPES:
		for link in contact.links:
			if link.link_doctype == doctype and readable(doctype, link.link_name):
				return party_summary(doctype, link.link_name)
	return None


def party_summary(doctype: str, name: str) -> dict:
	if doctype == "Customer":
		values = frappe.db.get_value(
			"Customer", name, ["customer_name", "customer_group", "territory"], as_dict=True
		)
		title, extra = values.customer_name, {"group": values.customer_group, "territory": values.territory}
	else:
		values = frappe.db.get_value("Lead", name, ["lead_name", "company_name", "status"], as_dict=True)
		title, extra = values.lead_name or values.company_name, {"status": values.status}
	return {"doctype": doctype, "name": name, "title": title, **extra}


def customer_sections(customer: str) -> dict:
	"""Money, orders, invoices and quotations of a Customer, each only as far as the viewer may read it."""
	invoices = listed(
		"Sales Invoice",
		filters={"customer": customer, "docstatus": 1},
		fields=[
			"name",
			"posting_date",
			"due_date",
			"status",
			"grand_total",
			"outstanding_amount",
			"currency",
		],
		order_by="posting_date desc, creation desc",
		limit=LATEST,
	)
	today = getdate(nowdate())
	for invoice in invoices or []:
		invoice["state"] = invoice_state(
			invoice.status,
			invoice.outstanding_amount,
			getdate(invoice.due_date) if invoice.due_date else None,
			today,
		)
		invoice["outstanding_text"] = money(invoice.outstanding_amount, invoice.currency)
	quotations = listed(
		"Quotation",
		filters={"quotation_to": "Customer", "party_name": customer, "docstatus": 1},
		fields=["name", "transaction_date", "valid_till", "status", "grand_total", "currency"],
		order_by="transaction_date desc, creation desc",
		limit=LATEST,
	)
	for quotation in quotations or []:
		quotation["total_text"] = money(quotation.grand_total, quotation.currency)
	return {
		"finance": finance(customer, invoices),
		"orders": listed(
			"Sales Order",
			filters={"customer": customer, "docstatus": 1},
			fields=[
				"name",
				"transaction_date",
				"delivery_date",
				"status",
				"delivery_status",
				"per_delivered",
				"grand_total",
				"currency",
			],
			order_by="transaction_date desc, creation desc",
			limit=LATEST,
		),
		"invoices": invoices,
		"quotations": quotations,
	}


def finance(customer: str, invoices: list | None) -> dict | None:
	"""What the customer owes and may owe, when the viewer may read their invoices."""
	if invoices is None:
		return None
	[total] = frappe.get_list(
		"Sales Invoice",
		filters={"customer": customer, "docstatus": 1},
		fields=["sum(outstanding_amount) as outstanding"],
	)
	# The limits are rows of the Customer, which the viewer may read (it is their party).
	limits = frappe.get_all(
		"Customer Credit Limit", filters={"parenttype": "Customer", "parent": customer}, pluck="credit_limit"
	)
	currency = invoices[0].currency if invoices else None
	credit_limit = max(limits, default=None)
	return {
		"outstanding": total.outstanding or 0,
		"outstanding_text": money(total.outstanding, currency),
		"currency": currency,
		"credit_limit": credit_limit,
		"credit_limit_text": money(credit_limit, currency) if credit_limit else None,
	}


def conversation_of(account_id: int, conversation_id: int | None) -> dict | None:
	if not conversation_id:
		return None
	mapping = frappe.db.get_value(
		CONVERSATION_MAPPING,
		{"account_id": account_id, "chatwoot_conversation_id": conversation_id},
		["name", "identity_verified", "reference_doctype", "reference_name", "status"],
		as_dict=True,
	)
	if mapping is None:
		return {"id": conversation_id, "mapped": False}
	reference = (
		{"doctype": mapping.reference_doctype, "name": mapping.reference_name}
		if readable(mapping.reference_doctype, mapping.reference_name)
		else None
	)
	return {
		"id": conversation_id,
		"mapped": True,
		"identity_verified": bool(mapping.identity_verified),
		"status": mapping.status,
		"has_reference": bool(mapping.reference_doctype and mapping.reference_name),
		"reference": reference,
	}


def may_write_to_chatwoot() -> bool:
	"""Whether the viewer can post into Chatwoot as themselves (or, as a System Manager, as the integration)."""
	return is_chatwoot_admin() or bool(frappe.db.exists(USER_TOKEN_DOCTYPE, frappe.session.user))


def actions_for(contact, party: dict | None, conversation: dict | None) -> dict:
	"""Which of the card's actions to offer the viewer here, by their roles' permissions.

	Only the roles are asked (a record-level check of a Contact costs Frappe tens of milliseconds);
	each action checks the records themselves when it is taken.
	"""
	erpnext = has_erpnext()
	can_link_contact = frappe.has_permission("Contact", "write" if contact else "create")
	return {
		"link": bool(erpnext and not party and can_link_contact),
		"create_lead": bool(
			erpnext and not party and can_link_contact and frappe.has_permission("Lead", "create")
		),
		"create_issue": bool(
			erpnext
			and conversation
			and conversation["mapped"]
			and not conversation["has_reference"]
			and frappe.has_permission("Issue", "create")
		),
		"order_note": bool(erpnext and conversation and may_write_to_chatwoot()),
		# Each document is checked for print permission when it is sent.
		"send_document": bool(
			erpnext and conversation and feature_enabled(Feature.DOCUMENTS) and may_write_to_chatwoot()
		),
	}
