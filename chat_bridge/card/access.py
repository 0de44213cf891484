"""Who is looking at the customer card, when the frame has no session cookie.

Frappe's session cookie is SameSite=Lax: a browser sends it to a frame only when Chatwoot and
ERPNext share a registrable domain (chat.example.com and erp.example.com). Otherwise the card asks
the agent to sign in: a window of the site itself (first-party, so the cookie works there, or the
agent signs in to ERPNext first) asks them to allow the card, and hands a card token to the frame
that opened it, by postMessage to this site's own origin only.

A card token is short-lived (CARD_TOKEN_SECONDS), bound to its user, and revocable: the card's
sign-out revokes it, and none works once its user is disabled. It is a random secret kept in
Redis only as its SHA-256; it travels in the X-Chat-Bridge-Card header, never in a URL, and is
accepted only by the card's own methods, as their user.
"""

import hashlib
import secrets

import frappe
from frappe.utils import cint

from chat_bridge.card.routes import CARD_METHODS, CARD_SIGN_IN_METHOD, CARD_TOKEN_HEADER

CARD_TOKEN_SECONDS = 4 * 3600
_TOKEN_KEY = "chat_bridge:card_token:{digest}"  # noqa: S105 -- a cache key


def _digest(token: str) -> str:
	return hashlib.sha256(token.encode()).hexdigest()


def issue_card_token(user: str) -> str:
	token = secrets.token_urlsafe(32)
	digest = _digest(token)
	frappe.cache.set_value(_TOKEN_KEY.format(digest=digest), user, expires_in_sec=CARD_TOKEN_SECONDS)
	return token


def user_of_card_token(token: str | None) -> str | None:
	"""The enabled user a live card token belongs to; None for anything else."""
	if not token or len(token) > 100:
		return None
	user = frappe.cache.get_value(_TOKEN_KEY.format(digest=_digest(token)), expires=True)
	if not user or not cint(frappe.db.get_value("User", user, "enabled")):
		return None
	return user


def revoke_card_token(token: str) -> None:
	frappe.cache.delete_value(_TOKEN_KEY.format(digest=_digest(token)))


def authenticate_card_request() -> None:
	"""auth_hooks: a guest request to one of the card's methods, with a card token, is its user's."""
	request = getattr(frappe.local, "request", None)
	if request is None or frappe.session.user != "Guest" or not request.path.startswith(CARD_METHODS):
		return
	if request.path.rstrip("/") == CARD_SIGN_IN_METHOD:
		return  # a token never mints another: revoking one leaves nothing derived from it alive
	user = user_of_card_token(request.headers.get(CARD_TOKEN_HEADER))
	if user:
		form_dict = frappe.local.form_dict  # set_user starts a fresh one: the call's arguments stay
		frappe.set_user(user)
		frappe.local.form_dict = form_dict
