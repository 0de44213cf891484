"""Who a website visitor is, in a form the widget can carry to Chatwoot and the sync can trust.

A signed-in user's widget calls `$chatwoot.setUser(identifier, {identifier_hash, …})`. The
identifier is `erpnext:<user>:<mac>`: the user's Frappe name, which stays the same when they edit
their e-mail address, and a MAC of it under a key only this site holds.

The MAC makes the identifier its own proof. Chatwoot checks `identifier_hash` only when it is sent
(or when the inbox makes it mandatory), and anyone can call setUser from a browser's console, so an
identifier stored on a Chatwoot contact is not by itself evidence of who set it. One whose MAC
checks could only have been made by this site, for that user: the sync maps it straight to the
user's Contact, and treats an identifier that does not check as no identity at all.

The identifier changes only if the User is renamed or the site's encryption key changes (a backup
restored onto another site); Chatwoot then sees a new visitor.
"""

import hashlib
import hmac

PREFIX = "erpnext:"
MAC_LENGTH = 24  # hex digits: 96 bits, short enough for a readable identifier
_PURPOSE = b"chat_bridge widget identity"


def identity_key(site_secret: str) -> bytes:
	"""The key for identifiers, derived from the site's own secret so that it needs no setting."""
	if not site_secret:
		raise ValueError("The site has no secret to derive the widget identity key from.")
	return hmac.new(site_secret.encode(), _PURPOSE, hashlib.sha256).digest()


def _mac(user: str, key: bytes) -> str:
	return hmac.new(key, user.encode(), hashlib.sha256).hexdigest()[:MAC_LENGTH]


def make_identifier(user: str, key: bytes) -> str:
	if not user:
		raise ValueError("A widget identifier needs a user.")
	return f"{PREFIX}{user}:{_mac(user, key)}"


def user_of_identifier(identifier: str | None, key: bytes) -> str | None:
	"""The user an identifier made by `make_identifier` names; None for anything else."""
	if not identifier or not identifier.startswith(PREFIX):
		return None
	user, _sep, mac = identifier[len(PREFIX) :].rpartition(":")
	if not user or len(mac) != MAC_LENGTH:
		return None
	return user if hmac.compare_digest(mac, _mac(user, key)) else None


def set_user_attributes(
	*,
	identifier_hash: str,
	name: str | None,
	email: str | None,
	phone_number: str | None = None,
	company_name: str | None = None,
	contact: str | None = None,
	customer: str | None = None,
) -> dict:
	"""The second argument of `$chatwoot.setUser`: what Chatwoot shows agents about the visitor.

	The custom attributes name the visitor's ERPNext Contact and Customer for agents to see; the
	sync goes by the identifier, which only this site can make, not by these, which a visitor can
	change from the browser.
	"""
	custom = {
		key: value for key, value in (("erpnext_contact", contact), ("erpnext_customer", customer)) if value
	}
	attributes = {
		"identifier_hash": identifier_hash,
		"name": name,
		"email": email,
		"phone_number": phone_number,
		"company_name": company_name,
		"custom_attributes": custom or None,
	}
	return {key: value for key, value in attributes.items() if value}
