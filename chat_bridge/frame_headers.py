"""Response headers that some of the app's answers need and Frappe does not set.

The customer card is framed by Chatwoot, so its page and its methods say which origin may frame
them (`frame-ancestors`, the Chatwoot URL's) and drop X-Frame-Options, which would forbid it. The
rest of the site keeps its headers. The card's sign-in window is never to be framed at all: its
Allow button must not be clickable through someone else's page.

A card framed by a Chatwoot on another site keeps its card token in a cookie of its own: partitioned
(CHIPS), so the browser keeps it for this site only while it is framed by that Chatwoot, and sends it
even where third-party cookies are blocked; Secure and SameSite=None, which a cross-site frame's
cookie must be; HttpOnly, so no script reads it.
"""

import re
from urllib.parse import urlsplit

from chat_bridge.card.routes import CARD_COOKIE, CARD_COOKIE_PATH, CARD_METHODS, CARD_PAGE

# Answers that sign in whoever holds them: a one-time Chatwoot link, a card token.
NOT_TO_BE_STORED = (
	"/api/method/chat_bridge.api.agents.get_sign_in_link",
	"/api/method/chat_bridge.card.api.sign_in",
)


def chatwoot_origin(url: str | None) -> str | None:
	parts = urlsplit(url or "")
	return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def page_served(path: str) -> str:
	"""The page Frappe's router serves for `path`: it takes `//` as `/`, and a page's name with
	`.html` or a trailing slash as the page itself."""
	path = re.sub("/{2,}", "/", path).rstrip("/")
	return (path.removesuffix(".html") or "/") if not path.startswith(CARD_METHODS) else path


def frame_ancestors(path: str, origin: str | None) -> str | None:
	"""The frame-ancestors source list for a path, or None to leave its headers alone. Only the
	card itself may be framed by Chatwoot; anything else under its address (the sign-in window,
	or whatever a new spelling reaches) by nobody."""
	path = page_served(path)
	if path == CARD_PAGE or path.startswith(CARD_METHODS):
		return origin or "'none'"
	if path.startswith(CARD_PAGE + "/"):
		return "'none'"
	return None


def card_cookie(token: str, max_age: int) -> str:
	"""The Set-Cookie value that keeps `token` for `max_age` seconds; an empty token with 0 removes
	it (a partitioned cookie is removed only by one that is partitioned too)."""
	return (
		f"{CARD_COOKIE}={token}; Path={CARD_COOKIE_PATH}; Max-Age={max(int(max_age), 0)}; "
		"Secure; HttpOnly; SameSite=None; Partitioned"
	)


def after_request(response, request) -> None:
	"""Frappe's after_request hook."""
	if request.path in NOT_TO_BE_STORED:
		response.headers["Cache-Control"] = "no-store"
	if not page_served(request.path).startswith((CARD_PAGE, CARD_METHODS)):
		return  # every other answer keeps its headers, and costs no settings read
	from chat_bridge.card.access import cookie_to_send
	from chat_bridge.settings import get_settings

	kept = cookie_to_send()
	if kept is not None:
		response.headers.add("Set-Cookie", card_cookie(*kept))

	ancestors = frame_ancestors(request.path, chatwoot_origin(get_settings().chatwoot_url))
	if ancestors is None:
		return
	response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
	if ancestors == "'none'":
		response.headers["X-Frame-Options"] = "DENY"
	else:
		response.headers.pop("X-Frame-Options", None)
