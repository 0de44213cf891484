"""ERPNext Contacts for Chatwoot contacts, and their Chatwoot Contact Mappings."""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import frappe
from frappe.utils import now_datetime

from chat_bridge.chatwoot.events import ContactView
from chat_bridge.erpnext import has_erpnext
from chat_bridge.settings import get_settings, widget_identity_key
from chat_bridge.sync.contacts import (
	ContactState,
	choose_contact,
	contact_update,
	new_contact_values,
	normalize_email,
	phone_tail,
	phones_match,
	worth_writing,
)
from chat_bridge.sync.direction import SyncDirection
from chat_bridge.sync.messages import safe_link
from chat_bridge.widget.identity import user_of_identifier

MAPPING_DOCTYPE = "Chatwoot Contact Mapping"
# A Chatwoot custom attribute naming the ERPNext Customer a contact belongs to.
CUSTOMER_ATTRIBUTE = "erpnext_customer"


@dataclass(frozen=True)
class Written:
	"""What a sync function did: the record's name, and whether it was created, updated or unchanged."""

	name: str
	action: str


def sync_contact(
	contact: ContactView, changes: dict | None = None, *, update_existing: bool = True
) -> Written:
	"""Find or create the ERPNext Contact for a Chatwoot contact and keep its mapping current.

	With `update_existing` off (a conversation or message naming a contact), a mapped Contact is
	left as it is; only a contact never seen before is created. A verified widget identity moves
	the mapping to the visitor's own Contact, whatever it was linked to before.
	"""
	mapping, created = mapping_for(contact.account_id or get_settings().account_id, contact.id)
	direction = SyncDirection.of(mapping.sync_direction)
	linked = mapping.contact if mapping.contact and frappe.db.exists("Contact", mapping.contact) else None
	identified = contact_for_identifier(contact.identifier)
	action = "created" if created else "unchanged"
	if linked and identified in (None, linked):
		if update_existing and direction.accepts_chatwoot_changes and worth_writing(changes):
			action = update_contact(linked, contact) or action
	else:
		by_email = by_phone = ()
		if not identified:  # a verified identity needs no guessing
			by_email, by_phone = contacts_with_email(contact.email), contacts_with_phone(contact.phone_number)
		name, _how = choose_contact(linked, by_email, by_phone, identified=identified)
		if name is None:
			name = create_contact(contact)
		elif direction.accepts_chatwoot_changes:
			update_contact(name, contact)
		mapping.contact = name
		action = "created" if created else "updated"
	linked_customer = link_customer(mapping, contact)
	if action != "unchanged" or linked_customer:
		mapping.last_synced = now_datetime()
		mapping.save(ignore_permissions=True)
	return Written(mapping.name, action)


def contact_for_identifier(identifier: str | None, *, create: bool = True) -> str | None:
	"""The Contact of the user a widget identifier made by this site names (made for them if they
	have none and `create` allows); None for any other identifier."""
	user = user_of_identifier(identifier, widget_identity_key()) if identifier else None
	if not user or not frappe.db.exists("User", user):
		return None
	return contact_of_user(user) or (create_contact_for_user(user) if create else None)


def matching_contact(contact: ContactView) -> str | None:
	"""The Contact the sync would take for an unmapped Chatwoot contact, without writing anything."""
	name, _how = choose_contact(
		None,
		contacts_with_email(contact.email),
		contacts_with_phone(contact.phone_number),
		identified=contact_for_identifier(contact.identifier, create=False),
	)
	return name


def contact_of_user(user: str) -> str | None:
	"""The Contact that is `user`'s own (a portal user's, linked by its User field)."""
	return frappe.db.get_value("Contact", {"user": user}, "name", order_by="creation asc")


def create_contact_for_user(user: str) -> str:
	person = frappe.db.get_value("User", user, ["first_name", "last_name", "email"], as_dict=True)
	contact = frappe.new_doc("Contact")
	contact.update({"first_name": person.first_name or user, "last_name": person.last_name, "user": user})
	if normalize_email(person.email):
		contact.append("email_ids", {"email_id": normalize_email(person.email), "is_primary": 1})
	save_from_chatwoot(contact)
	return contact.name


def customer_of_contact(contact: str) -> str | None:
	return frappe.db.get_value(
		"Dynamic Link", {"parenttype": "Contact", "parent": contact, "link_doctype": "Customer"}, "link_name"
	)


def mapping_for(account_id: int, chatwoot_contact_id: int):
	"""The mapping, locked for this transaction, and whether it was just created.

	Inserted before anything else is written: a second job for the same contact waits on the
	unique index and, once the first commits, fails and is retried into the update path.
	"""
	name = frappe.db.get_value(
		MAPPING_DOCTYPE, {"account_id": account_id, "chatwoot_contact_id": chatwoot_contact_id}
	)
	if name:
		return frappe.get_doc(MAPPING_DOCTYPE, name, for_update=True), False
	mapping = frappe.get_doc(
		{"doctype": MAPPING_DOCTYPE, "account_id": account_id, "chatwoot_contact_id": chatwoot_contact_id}
	).insert(ignore_permissions=True)
	return mapping, True


def contacts_with_email(email: str | None) -> list[str]:
	email = normalize_email(email)
	if not email:
		return []
	# The site's collation compares case-insensitively.
	return frappe.get_all(
		"Contact Email",
		filters={"email_id": email, "parenttype": "Contact"},
		pluck="parent",
		order_by="creation asc",
	)


def contacts_with_phone(phone: str | None) -> list[str]:
	tail = phone_tail(phone)
	if not tail:
		return []
	rows = numbers_ending_in([tail])
	return list(dict.fromkeys(parent for parent, stored in rows if phones_match(phone, stored)))


def numbers_ending_in(tails: Iterable[str]) -> list[tuple[str, str]]:
	"""(Contact, number) for every Contact number whose digits end in one of `tails`, oldest first:
	the candidates `phones_match` then decides among."""
	by_length = defaultdict(set)
	for tail in tails:
		by_length[len(tail)].add(tail)
	if not by_length:
		return []
	lengths = sorted(by_length)
	ends_in = " or ".join(
		f"right(regexp_replace(phone, '[^0-9]', ''), {int(length)}) in %s" for length in lengths
	)
	return frappe.db.sql(
		f"""select parent, phone from `tabContact Phone`
		where parenttype = 'Contact' and ({ends_in})
		order by creation asc""",  # noqa: S608 -- only lengths, which are numbers, go in
		tuple(tuple(sorted(by_length[length])) for length in lengths),
	)


def contact_state(contact) -> ContactState:
	return ContactState(
		first_name=contact.first_name,
		last_name=contact.last_name,
		emails=tuple(row.email_id for row in contact.email_ids),
		phones=tuple(row.phone for row in contact.phone_nos),
		company_name=contact.company_name,
	)


def update_contact(name: str, chatwoot: ContactView) -> str | None:
	"""Write Chatwoot's values into Contact `name`; "updated", or None when it already agreed."""
	contact = frappe.get_doc("Contact", name)
	update = contact_update(chatwoot, contact_state(contact))
	if not update:
		return None
	contact.update(update.values)
	for email in update.add_emails:
		contact.append("email_ids", {"email_id": email, "is_primary": int(not contact.email_ids)})
	for phone in update.add_phones:
		contact.append(
			"phone_nos",
			{"phone": phone, "is_primary_phone": int(not contact.phone_nos), "is_primary_mobile_no": 0},
		)
	save_from_chatwoot(contact)
	return "updated"


def new_contact(chatwoot: ContactView):
	"""An unsaved Contact of what Chatwoot knows of a contact: name, company, avatar, email, phone.

	The one way a Contact is made from a Chatwoot contact, whoever saves it: the sync, the card
	(as its viewer), or the backfill (in bulk).
	"""
	contact = frappe.new_doc("Contact")
	contact.update(new_contact_values(chatwoot))
	avatar = safe_link(chatwoot.avatar_url)
	if avatar:
		contact.image = avatar  # also spares Frappe a gravatar lookup of the customer's email
	email = normalize_email(chatwoot.email)
	if email:
		contact.append("email_ids", {"email_id": email, "is_primary": 1})
	if chatwoot.phone_number:
		contact.append(
			"phone_nos", {"phone": chatwoot.phone_number, "is_primary_phone": 1, "is_primary_mobile_no": 1}
		)
	return contact


def create_contact(chatwoot: ContactView) -> str:
	contact = new_contact(chatwoot)
	save_from_chatwoot(contact)
	return contact.name


def save_from_chatwoot(contact) -> None:
	# The loop guard: a change that came from Chatwoot is not pushed back to it.
	contact.flags.from_chatwoot = True
	contact.save(ignore_permissions=True)


def link_customer(mapping, chatwoot: ContactView) -> bool:
	"""Link the Contact to the Customer its `erpnext_customer` attribute names, when the bridge itself
	put that name there or the Contact is already that Customer's; whether the mapping changed.

	Any Chatwoot agent may edit a contact's attributes, so a name the bridge did not send is kept on
	the mapping as a claim, linked only once a System Manager confirms it (`confirm_customer`)."""
	customer = chatwoot.custom_attributes.get(CUSTOMER_ATTRIBUTE)
	if not customer or not isinstance(customer, str) or mapping.reference_name or not mapping.contact:
		return False
	if not has_erpnext() or not frappe.db.exists("Customer", customer):
		return False
	trusted = customer == pushed_customer(mapping.context_pushed) or frappe.db.exists(
		"Dynamic Link",
		{
			"parenttype": "Contact",
			"parent": mapping.contact,
			"link_doctype": "Customer",
			"link_name": customer,
		},
	)
	if not trusted:
		if mapping.claimed_customer == customer:
			return False
		mapping.claimed_customer = customer
		return True
	link_to_customer(mapping, customer)
	return True


def pushed_customer(context_pushed: str | None) -> str | None:
	"""The Customer the bridge last wrote into the contact's attributes."""
	try:
		return json.loads(context_pushed or "{}").get(CUSTOMER_ATTRIBUTE)
	except (ValueError, AttributeError):
		return None


def link_to_customer(mapping, customer: str) -> None:
	"""Make the mapping's Contact one of `customer`'s (the caller saves the mapping)."""
	mapping.reference_doctype, mapping.reference_name = "Customer", customer
	mapping.claimed_customer = None
	contact = frappe.get_doc("Contact", mapping.contact)
	if not contact.has_link("Customer", customer):
		contact.append("links", {"link_doctype": "Customer", "link_name": customer})
		save_from_chatwoot(contact)
