"""Which ERPNext Contact a Chatwoot contact is, and what of it is worth writing.

Matching goes: a verified widget identity (`chat_bridge.widget.identity`), then the existing
mapping, then the email address (case does not matter), then the phone number (formatting does not
matter), and otherwise a new Contact. Email wins over phone because Chatwoot keeps emails unique
per account, while the same phone number is often shared (a switchboard, a family).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from chat_bridge.chatwoot.events import ContactView

# Attributes whose change in a contact_updated means the ERPNext Contact may need writing; anything
# else (last_activity_at after every message, updated_at, custom attributes) is noise to ERPNext.
RELEVANT_CHANGES = frozenset({"name", "email", "phone_number", "identifier", "additional_attributes"})

# A number shorter than this, without its country code, matches too many others to go by.
MIN_DIGITS_FOR_SUFFIX_MATCH = 9

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(email: str | None) -> str | None:
	"""The address in lower case, or None when it is not an email address."""
	text = (email or "").strip().lower()
	return text if _EMAIL.match(text) else None


def normalize_phone(phone: str | None) -> str | None:
	"""`+` and digits only: '+1 (415) 555-0123' → '+14155550123', '0049 30 1234' → '+49301234'."""
	text = (phone or "").strip()
	digits = re.sub(r"\D", "", text)
	if not digits:
		return None
	if text.startswith("+"):
		return "+" + digits
	if digits.startswith("00") and len(digits) > 2:
		return "+" + digits[2:]
	return digits


def phones_match(a: str | None, b: str | None) -> bool:
	"""Same number, allowing one side to lack the country code (+14155550123 and 4155550123)."""
	first, second = normalize_phone(a), normalize_phone(b)
	if not first or not second:
		return False
	if first == second:
		return True
	shorter, longer = sorted((first.lstrip("+"), second.lstrip("+")), key=len)
	# Only a national number against an international one: two international numbers must be equal.
	if first.startswith("+") and second.startswith("+"):
		return False
	return len(shorter) >= MIN_DIGITS_FOR_SUFFIX_MATCH and longer.endswith(shorter)


def phone_tail(phone: str | None) -> str | None:
	"""The digits another number must end in to possibly be this one (see `phones_match`): the
	last MIN_DIGITS_FOR_SUFFIX_MATCH, or all of a shorter number's."""
	normalized = normalize_phone(phone)
	digits = normalized.lstrip("+") if normalized else ""
	return digits[-MIN_DIGITS_FOR_SUFFIX_MATCH:] or None


def e164(phone: str | None) -> str | None:
	"""The number as Chatwoot accepts it (`+` and 2 to 15 digits), or None when it cannot be."""
	normalized = normalize_phone(phone)
	if normalized and re.fullmatch(r"\+[1-9]\d{1,14}", normalized):
		return normalized
	return None


def split_name(full_name: str | None) -> tuple[str | None, str | None]:
	"""First and last name from one name: the last word is the last name.

	'Jane Doe' → ('Jane', 'Doe'); 'Mary Ann Smith' → ('Mary Ann', 'Smith'); 'Cher' → ('Cher', None).
	"""
	words = (full_name or "").split()
	if not words:
		return None, None
	if len(words) == 1:
		return words[0], None
	return " ".join(words[:-1]), words[-1]


def display_name(contact: ContactView) -> str:
	"""A name for the Contact even when Chatwoot has none: the email's local part, the phone, the id."""
	if contact.name:
		return " ".join(contact.name.split())
	email = normalize_email(contact.email)
	if email:
		return email.split("@", 1)[0]
	if contact.phone_number:
		return contact.phone_number
	return f"Chatwoot contact {contact.id}"


def choose_contact(
	mapped: str | None,
	by_email: Sequence[str] = (),
	by_phone: Sequence[str] = (),
	identified: str | None = None,
) -> tuple[str | None, str]:
	"""The ERPNext Contact to use and why: (name, "identity"|"mapping"|"email"|"phone"), or (None, "new").

	`identified` is the Contact of the user a verified widget identity names: proof of who the
	visitor is, so it outranks an earlier link, which may have been a guess. `by_email` and
	`by_phone` are the Contacts found with the same email or phone, oldest first.
	"""
	if identified:
		return identified, "identity"
	if mapped:
		return mapped, "mapping"
	if by_email:
		return by_email[0], "email"
	if by_phone:
		return by_phone[0], "phone"
	return None, "new"


def worth_writing(changes: Mapping[str, object] | None) -> bool:
	"""Whether a contact_updated changed anything ERPNext keeps. Unknown changes are assumed to."""
	if not changes:
		return changes is None
	return bool(RELEVANT_CHANGES.intersection(changes))


@dataclass(frozen=True)
class ContactState:
	"""What an ERPNext Contact holds of the fields the sync writes."""

	first_name: str | None = None
	last_name: str | None = None
	emails: tuple[str, ...] = ()
	phones: tuple[str, ...] = ()
	company_name: str | None = None


@dataclass(frozen=True)
class ContactUpdate:
	"""What to write into an existing Contact; empty when it already says what Chatwoot says."""

	values: dict = field(default_factory=dict)
	add_emails: tuple[str, ...] = ()
	add_phones: tuple[str, ...] = ()

	def __bool__(self) -> bool:
		return bool(self.values or self.add_emails or self.add_phones)


def contact_update(chatwoot: ContactView, current: ContactState) -> ContactUpdate:
	"""Chatwoot's name, email, phone and company written over the Contact, adding rows, never removing."""
	values = {}
	if chatwoot.name:
		first, last = split_name(chatwoot.name)
		if (first, last or None) != (current.first_name, current.last_name or None):
			values.update(first_name=first, last_name=last or "")
	if chatwoot.company_name and not current.company_name:
		values["company_name"] = chatwoot.company_name
	email = normalize_email(chatwoot.email)
	add_emails = (email,) if email and email not in {normalize_email(e) for e in current.emails} else ()
	phone = chatwoot.phone_number
	add_phones = (phone,) if phone and not any(phones_match(phone, p) for p in current.phones) else ()
	return ContactUpdate(values=values, add_emails=add_emails, add_phones=add_phones)


def new_contact_values(chatwoot: ContactView) -> dict:
	"""The fields of a new Contact for `chatwoot` (email and phone rows are added separately)."""
	first, last = split_name(display_name(chatwoot))
	return {"first_name": first, "last_name": last or "", "company_name": chatwoot.company_name}


def contact_push_fields(
	name: str | None, email: str | None, phone: str | None, previous: Mapping[str, str | None] | None = None
) -> dict:
	"""The Chatwoot fields for an ERPNext Contact's name, email and phone that differ from `previous`.

	A phone that is not in E.164 form is left out: Chatwoot would refuse the whole update for it.
	"""
	fields = {
		"name": " ".join((name or "").split()) or None,
		"email": normalize_email(email),
		"phone_number": e164(phone),
	}
	fields = {key: value for key, value in fields.items() if value}
	if previous is None:
		return fields
	return {key: value for key, value in fields.items() if value != previous.get(key)}
