"""What a send decides without a site: who a document names, which conversation to continue, what
the message says, whether the file may go.

A document names its customer's person by a Link to Contact (`contact_person` in ERPNext's selling
documents) and its customer by a Link to Customer, or by a party field that says which DocType it
links (a Quotation's `party_name` under `quotation_to`, a Payment Request's `party` under
`party_type`).
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chat_bridge.chatwoot.values import ATTACHMENT_LIMIT_BYTES
from chat_bridge.i18n import _

# The message a send starts from, rendered with the document as `doc`; the sender may change it.
DEFAULT_MESSAGE = (
	"Hello{% if doc.contact_display or doc.customer_name %} "
	"{{ doc.contact_display or doc.customer_name }}{% endif %}, "
	"here is your {{ _(doc.doctype) }} {{ doc.name }}."
)
# Conversations a new message continues: any that is not resolved (Chatwoot's statuses).
CONTINUED_STATUSES = ("open", "pending", "snoozed")
# How a Dynamic Link to the party is read, by the field that says its DocType.
PARTY_TYPE_FIELDS = {"party_name": "quotation_to", "party": "party_type"}


class NotSendable(Exception):
	"""The document cannot be sent as asked; the message says why, for the user."""


@dataclass(frozen=True)
class Field:
	fieldname: str
	fieldtype: str
	options: str | None = None


@dataclass(frozen=True)
class PartyFields:
	"""Where a DocType names its contact and its customer; None where it does not."""

	contact: str | None
	customer: str | None
	customer_type_field: str | None = None  # for a Dynamic Link: the field holding its DocType

	@property
	def names_anyone(self) -> bool:
		return bool(self.contact or self.customer)


def party_fields(fields: Iterable[Field]) -> PartyFields:
	"""The fields of a DocType that name its contact and its customer, preferring ERPNext's own."""
	fields = list(fields)
	contacts, customers = _links_to(fields, "Contact"), _links_to(fields, "Customer")
	contact = "contact_person" if "contact_person" in contacts else next(iter(contacts), None)
	customer = "customer" if "customer" in customers else next(iter(customers), None)
	type_field = None
	if customer is None:
		names = {f.fieldname: f for f in fields}
		for party, type_of_party in PARTY_TYPE_FIELDS.items():
			if party in names and names[party].fieldtype == "Dynamic Link" and type_of_party in names:
				customer, type_field = party, type_of_party
				break
	return PartyFields(contact, customer, type_field)


def _links_to(fields: list[Field], doctype: str) -> list[str]:
	return [f.fieldname for f in fields if f.fieldtype == "Link" and f.options == doctype]


def customer_named(values: Mapping[str, object], fields: PartyFields) -> str | None:
	"""The Customer a document's values name, if any."""
	if not fields.customer:
		return None
	if fields.customer_type_field and values.get(fields.customer_type_field) != "Customer":
		return None
	return str(values.get(fields.customer) or "") or None


def conversation_to_continue(conversations: Iterable[Mapping], inbox_id: int) -> int | None:
	"""The contact's latest conversation in `inbox_id` that is not resolved, by its display id."""
	candidates = [
		c
		for c in conversations
		if c.get("inbox_id") == inbox_id and c.get("status") in CONTINUED_STATUSES and c.get("id")
	]
	if not candidates:
		return None
	return max(candidates, key=lambda c: (c.get("last_activity_at") or 0, c["id"]))["id"]


def check_attachment(size: int, limit: int = ATTACHMENT_LIMIT_BYTES) -> None:
	if size > limit:
		raise NotSendable(
			_("The PDF is {0} MB, more than Chatwoot takes ({1} MB).").format(
				round(size / 1024 / 1024, 1), limit // 1024 // 1024
			)
		)


def pdf_filename(name: str) -> str:
	"""A file name for a document's PDF: its name, with what a file name cannot hold replaced."""
	return re.sub(r"[^\w.-]+", "-", name).strip("-") + ".pdf"
