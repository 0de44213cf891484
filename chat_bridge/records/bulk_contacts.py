"""The backfill's contacts, a batch at a time.

A backfill brings an account's whole address book over at once, and a hundred thousand contacts
are not unusual. Through the document machinery each would cost a Contact insert, a mapping insert
and the lookups before them: a few hundred contacts a second at best. Here a batch is read in a
handful of queries (which contacts are mapped, which emails, phones and users ERPNext already has)
and its new Contacts and mappings are written in one statement per table, each row as Frappe would
have written it. The decisions (which Contact a Chatwoot contact is, what a new one holds, whether a
known one needs an update) are the pure functions the webhook path uses; whatever needs more than
that (a Contact that exists already, an update, a widget identity, an ERPNext customer named on the
contact) goes through `sync_contact`, one at a time, like a webhook.

A batch is one transaction: an interruption loses at most the batch in hand, and the next run finds
what was mapped. What other apps do when a Contact is inserted (ERPNext links past calls to its
numbers; Frappe indexes it for search) runs afterwards, in background jobs the caller queues with
`queue_insert_hooks` once its contacts are written: done alongside, it would take a worker's whole
core from the import.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import frappe
from frappe.contacts.doctype.contact.contact import get_full_name
from frappe.model.naming import append_number_if_name_exists
from frappe.utils import now_datetime
from frappe.utils.global_search import update_global_search

from chat_bridge.accounts import company_of
from chat_bridge.chatwoot.events import ContactView
from chat_bridge.records.contacts import CUSTOMER_ATTRIBUTE, MAPPING_DOCTYPE, new_contact, numbers_ending_in
from chat_bridge.sync.contacts import (
	ContactState,
	choose_contact,
	contact_update,
	normalize_email,
	normalize_phone,
	phone_tail,
	phones_match,
)
from chat_bridge.sync.direction import SyncDirection

INSERT_HOOKS_JOB = "chat_bridge.records.bulk_contacts.run_insert_hooks"


@dataclass
class BatchOutcome:
	"""What a batch wrote, by Chatwoot contact id, and what it left to the one-at-a-time path."""

	actions: dict[int, str] = field(default_factory=dict)
	one_by_one: list[ContactView] = field(default_factory=list)
	created: list[str] = field(default_factory=list)  # the new Contacts' names


def write_batch(contacts: Sequence[ContactView], account_id: int) -> BatchOutcome:
	"""Map the contacts new to ERPNext, and find those mapped already that need nothing, in a few
	statements; the rest is left for `sync_contact`. Commits nothing."""
	outcome = BatchOutcome()
	mappings = mappings_of(account_id, [c.id for c in contacts])
	states = contact_states([m.contact for m in mappings.values() if m.contact])
	unmapped = []
	for contact in contacts:
		mapping = mappings.get(contact.id)
		if contact.identifier or contact.custom_attributes.get(CUSTOMER_ATTRIBUTE):
			outcome.one_by_one.append(contact)  # a widget identity, or a customer to link
		elif mapping is None:
			unmapped.append(contact)
		elif mapping.contact not in states:
			outcome.one_by_one.append(contact)  # its Contact is gone
		elif SyncDirection.of(mapping.sync_direction).accepts_chatwoot_changes and contact_update(
			contact, states[mapping.contact]
		):
			outcome.one_by_one.append(contact)
		else:
			outcome.actions[contact.id] = "unchanged"
	known = Candidates.of(unmapped)
	new = []
	for contact in unmapped:
		name, _how = choose_contact(
			None, known.with_email(contact.email), known.with_phone(contact.phone_number), identified=None
		)
		(outcome.one_by_one if name else new).append(contact)
	if new:
		outcome.created = insert_contacts(new)
		insert_mappings(new, outcome.created, account_id)
		outcome.actions.update((contact.id, "created") for contact in new)
	return outcome


def queue_insert_hooks(names: list[str], per_job: int = 500) -> None:
	"""Background jobs running the insert hooks of Contacts written (and committed) in bulk."""
	for start in range(0, len(names), per_job):
		frappe.enqueue(
			INSERT_HOOKS_JOB,
			queue="long",
			now=bool(frappe.flags.in_test),
			names=names[start : start + per_job],
		)


def mappings_of(account_id: int, chatwoot_ids: list[int]) -> dict[int, frappe._dict]:
	rows = frappe.get_all(
		MAPPING_DOCTYPE,
		filters={"account_id": account_id, "chatwoot_contact_id": ("in", chatwoot_ids or [0])},
		fields=["chatwoot_contact_id", "contact", "sync_direction"],
	)
	return {row.chatwoot_contact_id: row for row in rows}


def contact_states(names: list[str]) -> dict[str, ContactState]:
	"""What the Contacts hold of the fields the sync writes, as `contact_state` reads one."""
	if not names:
		return {}
	rows = {}
	for table in ("Contact Email", "Contact Phone"):
		column = "email_id" if table == "Contact Email" else "phone"
		rows[table] = defaultdict(list)
		for parent, value in frappe.get_all(
			table,
			filters={"parenttype": "Contact", "parent": ("in", names)},
			fields=["parent", column],
			order_by="idx asc",
			as_list=True,
		):
			rows[table][parent].append(value)
	return {
		contact.name: ContactState(
			first_name=contact.first_name,
			last_name=contact.last_name,
			emails=tuple(rows["Contact Email"][contact.name]),
			phones=tuple(rows["Contact Phone"][contact.name]),
			company_name=contact.company_name,
		)
		for contact in frappe.get_all(
			"Contact",
			filters={"name": ("in", names)},
			fields=["name", "first_name", "last_name", "company_name"],
		)
	}


@dataclass
class Candidates:
	"""The Contacts ERPNext has with a batch's emails and phones, oldest first, as
	`contacts_with_email` and `contacts_with_phone` find them for one contact."""

	emails: dict[str, list[str]]
	phones: list[tuple[str, str]]  # (Contact, its number) ending in a batch's number

	@classmethod
	def of(cls, contacts: Sequence[ContactView]) -> "Candidates":
		emails = sorted({email for c in contacts if (email := normalize_email(c.email))})
		by_email = defaultdict(list)
		if emails:
			for parent, email in frappe.get_all(
				"Contact Email",
				filters={"email_id": ("in", emails), "parenttype": "Contact"},
				fields=["parent", "email_id"],
				order_by="creation asc",
				as_list=True,
			):
				by_email[email.lower()].append(parent)
		phones = numbers_ending_in({tail for c in contacts if (tail := phone_tail(c.phone_number))})
		return cls(dict(by_email), list(phones))

	def with_email(self, email: str | None) -> list[str]:
		return self.emails.get(normalize_email(email) or "", [])

	def with_phone(self, phone: str | None) -> list[str]:
		if not normalize_phone(phone):
			return []
		return list(dict.fromkeys(parent for parent, stored in self.phones if phones_match(phone, stored)))


def insert_contacts(contacts: Sequence[ContactView]) -> list[str]:
	"""New Contacts for `contacts`, with their email and phone rows, as Contact.insert() would
	write them (name, full name, primary email and numbers, portal user); their names, in order."""
	emails = [normalize_email(c.email) for c in contacts]
	users = dict(
		frappe.get_all(
			"User",
			filters={"email": ("in", [e for e in emails if e] or [""])},
			fields=["email", "name"],
			as_list=True,
		)
	)
	documents = []
	for contact, email in zip(contacts, emails, strict=True):
		document = new_contact(contact)
		document.full_name = get_full_name(
			document.first_name, document.middle_name, document.last_name, document.company_name
		)
		document.set_primary_email()
		document.set_primary("phone")
		document.set_primary("mobile_no")
		document.user = users.get(email) if email else None
		documents.append(document)
	name_contacts(documents)
	insert_rows("Contact", documents)
	insert_rows("Contact Email", [row for d in documents for row in d.email_ids])
	insert_rows("Contact Phone", [row for d in documents for row in d.phone_nos])
	return [document.name for document in documents]


def name_contacts(documents: list) -> None:
	"""Each Contact named by its full name, numbered as Frappe numbers a name taken before, here
	or in the batch."""
	wanted = [d.full_name for d in documents]
	taken = set(frappe.get_all("Contact", filters={"name": ("in", wanted or [""])}, pluck="name"))
	for document in documents:
		name = base = document.full_name
		if name in taken:
			name = append_number_if_name_exists("Contact", base)
			number = int(name.rsplit("-", 1)[1]) if name != base else 0
			while name in taken or frappe.db.exists("Contact", name):
				number += 1
				name = f"{base}-{number}"
		taken.add(name)
		document.name = name
		document.set_parent_in_children()


def insert_mappings(contacts: Sequence[ContactView], names: list[str], account_id: int) -> None:
	now, company = now_datetime(), company_of(account_id)
	mappings = []
	for contact, name in zip(contacts, names, strict=True):
		mapping = frappe.new_doc(MAPPING_DOCTYPE)
		mapping.update(
			{"account_id": account_id, "chatwoot_contact_id": contact.id, "contact": name, "last_synced": now}
		)
		if company:
			mapping.company = company
		mapping.name = frappe.generate_hash(length=10)
		mappings.append(mapping)
	insert_rows(MAPPING_DOCTYPE, mappings)


def insert_rows(doctype: str, documents: list) -> None:
	"""One INSERT for the documents (or child rows), stamped as Document.insert stamps them."""
	if not documents:
		return
	now, user = now_datetime(), frappe.session.user
	rows = []
	for document in documents:
		if not document.name:
			document.name = frappe.generate_hash(length=10)
		document.update({"owner": user, "modified_by": user, "creation": now, "modified": now})
		rows.append(document.get_valid_dict(convert_dates_to_str=True))
	fields = list(rows[0])
	frappe.db.bulk_insert(doctype, fields, [tuple(row[f] for f in fields) for row in rows])


def run_insert_hooks(names: list[str]) -> None:
	"""Job: what the site's apps and Frappe's search do when a Contact is inserted, for Contacts a
	backfill wrote in bulk."""
	for name in names:
		if not frappe.db.exists("Contact", name):
			continue  # deleted since
		contact = frappe.get_doc("Contact", name)
		contact.flags.from_chatwoot = True  # the loop guard: nothing goes back to Chatwoot
		contact.run_method("after_insert")
		contact.run_method("on_update")
		contact.run_method("on_change")
		update_global_search(contact)
