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

Chatwoot mounts the frame afresh on every conversation switch, and a frame on another site may have
no storage (Chromium refuses it where third-party cookies are blocked). So the frame that got a token
asks the site to keep the same token in the card's partitioned cookie (frame_headers.card_cookie),
for what is left of its life; a remounted frame is then named by it. The cookie is read only on a
request the browser says comes from this very site (Sec-Fetch-Site: same-origin): another site's
frame inside the same Chatwoot page would send it too, but cannot say that. It never mints a token:
revoking the token ends the cookie's use as well.
"""

import hashlib
import secrets

import frappe
from frappe.utils import cint

from chat_bridge.card.routes import CARD_COOKIE, CARD_METHODS, CARD_SIGN_IN_METHOD, CARD_TOKEN_HEADER

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


def seconds_left(token: str) -> int:
	"""How long a card token has to live, in whole seconds; 0 for one that is gone."""
	return max(frappe.cache.ttl(frappe.cache.make_key(_TOKEN_KEY.format(digest=_digest(token)))), 0)


def revoke_card_token(token: str) -> None:
	frappe.cache.delete_value(_TOKEN_KEY.format(digest=_digest(token)))


def card_token_of(request) -> str | None:
	"""The card token a request carries: in its header (a frame holding it), or in the card's cookie
	when the request comes from a page of this site (a frame remounted by Chatwoot)."""
	token = request.headers.get(CARD_TOKEN_HEADER)
	if token:
		return token
	if request.headers.get("Sec-Fetch-Site") == "same-origin":
		return request.cookies.get(CARD_COOKIE)
	return None


def keep_in_cookie(token: str) -> None:
	"""Have this answer keep `token` in the card's cookie, for no longer than the token lives."""
	frappe.local.chat_bridge_card_cookie = (token, seconds_left(token))


def forget_cookie() -> None:
	frappe.local.chat_bridge_card_cookie = ("", 0)


def cookie_to_send() -> tuple[str, int] | None:
	"""What this answer sets the card's cookie to, if anything (frame_headers.after_request)."""
	return getattr(frappe.local, "chat_bridge_card_cookie", None)


def signed_in_by_card() -> bool:
	"""Whether this request's user is named by a card token rather than by a session."""
	return getattr(frappe.local, "chat_bridge_card_user", None) == frappe.session.user


def authenticate_card_request() -> None:
	"""auth_hooks: a guest request to one of the card's methods, with a card token, is its user's."""
	request = getattr(frappe.local, "request", None)
	if request is None or frappe.session.user != "Guest" or not request.path.startswith(CARD_METHODS):
		return
	if request.path.rstrip("/") == CARD_SIGN_IN_METHOD:
		return  # a token never mints another: revoking one leaves nothing derived from it alive
	user = user_of_card_token(card_token_of(request))
	if user:
		form_dict = frappe.local.form_dict  # set_user starts a fresh one: the call's arguments stay
		frappe.set_user(user)
		frappe.local.form_dict = form_dict
		frappe.local.chat_bridge_card_user = user
