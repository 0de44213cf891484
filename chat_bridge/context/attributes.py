"""The custom attributes a mapped Chatwoot contact carries about its ERPNext Customer.

Chatwoot shows them under "Contact Attributes" in the contact panel, and agents can filter
conversations on them. They are defined once in the account (with a display type that fits each
value) and then set on every contact whose Contact links to a Customer. Agents can overwrite them in
Chatwoot, which has no read-only attributes, so what was pushed is remembered and put back when a
contact shows something else.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Attribute:
	key: str
	name: str
	display_type: str
	description: str


# `erpnext_customer` is also what the sync reads to link a contact to its Customer.
ATTRIBUTES = (
	Attribute("erpnext_customer", "ERPNext Customer", "text", "The Customer's id in ERPNext"),
	Attribute("erpnext_customer_name", "Customer Name", "text", "The Customer's name in ERPNext"),
	Attribute("erpnext_customer_group", "Customer Group", "text", "The Customer's group in ERPNext"),
	Attribute("erpnext_territory", "Territory", "text", "The Customer's territory in ERPNext"),
	Attribute(
		"erpnext_outstanding", "Outstanding Amount", "currency", "What the customer owes, unpaid invoices"
	),
	Attribute("erpnext_open_orders", "Open Orders", "number", "Sales Orders not yet delivered and billed"),
	Attribute("erpnext_last_order_date", "Last Order Date", "date", "The date of the latest Sales Order"),
	Attribute("erpnext_open_issues", "Open Issues", "number", "Issues not yet resolved or closed"),
	Attribute("erpnext_customer_url", "Customer in ERPNext", "link", "The Customer's page in ERPNext"),
)
KEYS = tuple(attribute.key for attribute in ATTRIBUTES)


@dataclass(frozen=True)
class CustomerFigures:
	"""What ERPNext knows of a customer, as the attributes show it."""

	customer: str
	customer_name: str | None = None
	customer_group: str | None = None
	territory: str | None = None
	outstanding: float | None = None
	open_orders: int | None = None
	last_order_date: date | None = None
	open_issues: int | None = None
	url: str | None = None


def attribute_values(figures: CustomerFigures) -> dict:
	"""The custom attributes for a customer's contacts: every key, None where ERPNext has nothing."""
	return {
		"erpnext_customer": figures.customer,
		"erpnext_customer_name": figures.customer_name,
		"erpnext_customer_group": figures.customer_group,
		"erpnext_territory": figures.territory,
		"erpnext_outstanding": round(float(figures.outstanding), 2)
		if figures.outstanding is not None
		else None,
		"erpnext_open_orders": figures.open_orders,
		"erpnext_last_order_date": figures.last_order_date.isoformat() if figures.last_order_date else None,
		"erpnext_open_issues": figures.open_issues,
		"erpnext_customer_url": figures.url,
	}


def definitions_to_write(existing: Iterable[Mapping]) -> tuple[list[Attribute], list[tuple[int, Attribute]]]:
	"""(the attributes to define, (definition id, attribute) for those defined differently).

	`existing` is the account's contact attribute definitions. A definition is matched by its key;
	one whose name or display type is not ours is put right, and nothing else is touched.
	"""
	by_key = {d.get("attribute_key"): d for d in existing}
	create, update = [], []
	for attribute in ATTRIBUTES:
		current = by_key.get(attribute.key)
		if current is None:
			create.append(attribute)
		elif (current.get("attribute_display_name"), current.get("attribute_display_type")) != (
			attribute.name,
			attribute.display_type,
		):
			update.append((current["id"], attribute))
	return create, update


def remembered(values: Mapping) -> str:
	"""What is kept of a push, to compare with what a contact shows later."""
	return json.dumps(dict(values), sort_keys=True, default=str)


def differs(pushed: str | None, shown: Mapping) -> bool:
	"""Whether a contact's custom attributes no longer say what was pushed to it (or nothing was)."""
	if not pushed:
		return True
	expected = json.loads(pushed)
	return any(shown.get(key) != value for key, value in expected.items())
