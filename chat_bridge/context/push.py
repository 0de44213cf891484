"""Pushing each Customer's figures onto the custom attributes of its Chatwoot contacts.

A change to a Customer, or to a document behind its figures (a Sales Invoice, a Sales Order, a
Payment Entry, an Issue), only marks the customer as due: one Redis set member, nothing on the
request path. A scheduled job every minute pushes the customers that are due, so a hundred invoice
saves for one customer within a minute give at most two pushes. A contact whose attributes no
longer say what was pushed (an agent edited them in Chatwoot) is marked due again when its
contact_updated arrives or the reconciliation sees it.

A push happens only while contact sync and ERPNext in Chatwoot are on, and only to contacts whose
mapping lets ERPNext changes go to Chatwoot. Chatwoot is always asked with the account passed in.
"""

from collections.abc import Callable, Iterable, Mapping

import frappe
import redis
from frappe.utils import cint, flt, get_url, getdate

from chat_bridge.accounts import connected_accounts
from chat_bridge.clients import ChatwootAPI, system_client
from chat_bridge.context.attributes import (
	CustomerFigures,
	attribute_values,
	definitions_to_write,
	differs,
	remembered,
)
from chat_bridge.erpnext import has_erpnext
from chat_bridge.features import Feature
from chat_bridge.records.contacts import MAPPING_DOCTYPE, customer_of_contact
from chat_bridge.settings import feature_enabled
from chat_bridge.sync.direction import SyncDirection

DUE_KEY = "chat_bridge:context_due"
DEFINED_KEY = "chat_bridge:context_defined:{account_id}"
DEFINED_SECONDS = 3600  # how long the account's definitions are taken as written
DUE_PER_RUN = 500
OPEN_ORDER_STATUSES = ("To Deliver and Bill", "To Bill", "To Deliver", "On Hold")
CLOSED_ISSUE_STATUSES = ("Resolved", "Closed")


def pushing() -> bool:
	return feature_enabled(Feature.CHATWOOT_APP) and feature_enabled(Feature.CONTACT_SYNC)


# Marking customers due


def mark_due(customers: Iterable[str | None]) -> None:
	names = [c for c in customers if c]
	if not names:
		return
	try:
		frappe.cache.sadd(DUE_KEY, *names)
	except redis.exceptions.ConnectionError:
		pass  # the next change, or `chatwoot push-context`, brings it


def customer_of(doc) -> str | None:
	"""The Customer a document's change touches."""
	if doc.doctype == "Customer":
		return doc.name
	if doc.doctype == "Payment Entry":
		return doc.party if doc.party_type == "Customer" else None
	return doc.get("customer")


def pop_due(count: int) -> list[str]:
	popped = frappe.cache.execute_command("SPOP", frappe.cache.make_key(DUE_KEY), count) or []
	return [c.decode() if isinstance(c, bytes) else c for c in popped]


def on_document_change(doc, method=None) -> None:
	"""doc_events: a change to a Customer or to what its figures are made of."""
	if pushing():
		mark_due([customer_of(doc)])


def push_due_contexts() -> int:
	"""Scheduled every minute: push the customers marked due; how many were pushed."""
	if not (pushing() and has_erpnext()):
		return 0
	due = pop_due(DUE_PER_RUN)
	if not due:
		return 0
	clients = account_clients()
	pushed = 0
	for customer in due:
		try:
			pushed += bool(sum(push_customer_context(customer, client) for client in clients))
			frappe.db.commit()
		except Exception:
			frappe.db.rollback()
			mark_due([customer])  # tried again next minute
			frappe.log_error(title="Chatwoot customer context", message=f"Customer {customer}")
	return pushed


def account_clients() -> list[ChatwootAPI]:
	"""A client for every connected account: a customer may be a contact in several."""
	return [system_client(account_id=account.account_id) for account in connected_accounts()]


# Pushing


def customer_figures(customer: str) -> CustomerFigures | None:
	"""The figures the attributes show; read as the system, since they are pushed for everyone."""
	values = frappe.db.get_value(
		"Customer", customer, ["customer_name", "customer_group", "territory"], as_dict=True
	)
	if values is None:
		return None
	[(outstanding,)] = frappe.db.sql(
		"""select sum(outstanding_amount) from `tabSales Invoice`
		where customer = %s and docstatus = 1""",
		customer,
	)
	[(open_orders, last_order)] = frappe.db.sql(
		"""select sum(status in %s), max(transaction_date) from `tabSales Order`
		where customer = %s and docstatus = 1""",
		(OPEN_ORDER_STATUSES, customer),
	)
	open_issues = (
		frappe.db.count("Issue", {"customer": customer, "status": ("not in", CLOSED_ISSUE_STATUSES)})
		if has_erpnext()
		else None
	)
	return CustomerFigures(
		customer=customer,
		customer_name=values.customer_name,
		customer_group=values.customer_group,
		territory=values.territory,
		outstanding=flt(outstanding),
		open_orders=cint(open_orders),
		last_order_date=getdate(last_order) if last_order else None,
		open_issues=open_issues,
		url=get_url(f"/app/customer/{customer}"),
	)


def mappings_of_customer(customer: str, account_id: int) -> list:
	"""The account's contact mappings whose Contact links to `customer`, or that name it."""
	contacts = frappe.get_all(
		"Dynamic Link",
		filters={"parenttype": "Contact", "link_doctype": "Customer", "link_name": customer},
		pluck="parent",
	)
	return frappe.get_all(
		MAPPING_DOCTYPE,
		filters={"account_id": account_id},
		or_filters={"contact": ("in", contacts or [""]), "reference_name": customer},
		fields=["name", "chatwoot_contact_id", "sync_direction", "context_pushed"],
	)


def push_customer_context(customer: str, client: ChatwootAPI, *, force: bool = False) -> int:
	"""Send `customer`'s figures to its Chatwoot contacts that do not show them yet; how many were sent."""
	figures = customer_figures(customer)
	if figures is None:
		return 0
	values = attribute_values(figures)
	kept = remembered(values)
	sent = 0
	for mapping in mappings_of_customer(customer, client.account_id):
		if not SyncDirection.of(mapping.sync_direction).pushes_erpnext_changes:
			continue
		if not force and mapping.context_pushed == kept:
			continue
		if not sent:
			ensure_definitions(client)
		client.update_contact(mapping.chatwoot_contact_id, custom_attributes=values)
		frappe.db.set_value(MAPPING_DOCTYPE, mapping.name, "context_pushed", kept, update_modified=False)
		sent += 1
	return sent


def ensure_definitions(client: ChatwootAPI) -> None:
	"""Define the attributes in the account, once an hour at most (Chatwoot's list is small)."""
	key = DEFINED_KEY.format(account_id=client.account_id)
	if frappe.cache.get_value(key, expires=True):
		return
	create, update = definitions_to_write(client.list_custom_attribute_definitions("contact_attribute") or [])
	for attribute in create:
		client.create_custom_attribute_definition(
			attribute.key, attribute.name, attribute.display_type, description=attribute.description
		)
	for definition_id, attribute in update:
		client.update_custom_attribute_definition(
			definition_id, attribute.name, attribute.display_type, attribute.description
		)
	frappe.cache.set_value(key, 1, expires_in_sec=DEFINED_SECONDS)


# Re-asserting what agents overwrote


def recheck_contact(account_id: int, chatwoot_contact_id: int, custom_attributes: Mapping) -> None:
	"""A contact seen in a webhook or a pull: if it no longer shows what was pushed, push again."""
	if not pushing():
		return
	mapping = frappe.db.get_value(
		MAPPING_DOCTYPE,
		{"account_id": account_id, "chatwoot_contact_id": chatwoot_contact_id},
		["name", "contact", "reference_doctype", "reference_name", "context_pushed"],
		as_dict=True,
	)
	if not mapping or not mapping.context_pushed or not differs(mapping.context_pushed, custom_attributes):
		return
	frappe.db.set_value(MAPPING_DOCTYPE, mapping.name, "context_pushed", None, update_modified=False)
	customer = mapping.reference_name if mapping.reference_doctype == "Customer" else None
	mark_due([customer or (customer_of_contact(mapping.contact) if mapping.contact else None)])


# Everything, by hand


def customers_with_contacts(account_id: int, only: str | None = None) -> list[str]:
	"""The Customers that have a mapped Chatwoot contact in the account (or just `only`)."""
	if only:
		return [only] if frappe.db.exists("Customer", only) else []
	return [
		row[0]
		for row in frappe.db.sql(
			"""select distinct link.link_name from `tabDynamic Link` link
			join `tabChatwoot Contact Mapping` mapping on mapping.contact = link.parent
			where link.parenttype = 'Contact' and link.link_doctype = 'Customer' and mapping.account_id = %s
			order by link.link_name""",
			account_id,
		)
	]


def push_all(
	client: ChatwootAPI, customers: list[str], report: Callable[[str, int], None] | None = None
) -> dict:
	"""Push every customer in `customers` (forcing it: the command is for putting things right)."""
	summary = {"customers": 0, "contacts": 0, "failed": []}
	for customer in customers:
		try:
			sent = push_customer_context(customer, client, force=True)
			frappe.db.commit()
		except Exception as error:
			frappe.db.rollback()
			summary["failed"].append(f"{customer}: {error}")
			sent = 0
		summary["customers"] += 1
		summary["contacts"] += sent
		if report:
			report(customer, sent)
	return summary
