"""Where the website widget shows, whose inbox it is, and the settings its loader is given.

Frappe caches a rendered website page by its path and shares it between visitors, so what a page
carries depends only on the path and the settings, never on who is looking: the visitor's
identity, and the inbox of their own Company when they have one, are fetched by the page itself
(see `chat_bridge.website`).

With several Chatwoot accounts, each with its website inbox, the inbox is chosen so:
1. a signed-in customer whose Customer transacts with the Company of exactly one of those accounts
   gets that account's inbox on every page;
2. anyone else gets the inbox of the account whose Widget Routes hold the page (the narrowest
   route wins), and on any other page the first account's.
"""

from collections.abc import Iterable, Mapping

EVERY_PAGE = "Every website page"
PORTAL_PAGES = "Portal pages only"
LISTED_ROUTES = "Listed routes"
PLACEMENTS = (EVERY_PAGE, PORTAL_PAGES, LISTED_ROUTES)

POSITIONS = ("right", "left")
TYPES = ("standard", "expanded_bubble")
DARK_MODES = ("light", "auto", "dark")

# The portal pages every site has, besides those its Portal Settings menu lists.
PORTAL_ROUTES = ("me", "update-profile", "third_party_apps")
# The desk is rendered through the website too; the widget goes there only through the desk's own
# setting (Widget in Desk), never as a website page.
DESK_ROUTES = ("app", "desk")


def normalize_route(route: str | None) -> str:
	"""'/orders/' → 'orders'; the home page is ''."""
	route = (route or "").split("?", 1)[0].split("#", 1)[0].strip().strip("/")
	return "" if route == "index" else route


def parse_routes(text: str | None) -> tuple[str, ...]:
	"""One route a line; blank lines and lines starting with # are skipped."""
	routes = []
	for line in (text or "").splitlines():
		line = line.strip()
		if line and not line.startswith("#"):
			routes.append(normalize_route(line))
	return tuple(dict.fromkeys(routes))


def under(route: str, prefix: str) -> bool:
	"""Whether `route` is `prefix` or a page below it: 'orders/SO-1' is under 'orders'; the home
	page ('') is under nothing but itself."""
	if not prefix:
		return route == ""
	return route == prefix or route.startswith(prefix + "/")


def shows_widget(
	route: str | None, placement: str | None, listed: Iterable[str] = (), portal: Iterable[str] = ()
) -> bool:
	"""Whether the widget belongs on the website page at `route`.

	`listed` are the settings' Widget Routes, `portal` the routes of the site's portal menu.
	"""
	route = normalize_route(route)
	if any(under(route, desk) for desk in DESK_ROUTES):
		return False
	if placement == PORTAL_PAGES:
		return any(under(route, normalize_route(p)) for p in (*PORTAL_ROUTES, *portal) if normalize_route(p))
	if placement == LISTED_ROUTES:
		return any(under(route, normalize_route(p)) for p in listed)
	return True


def account_of_route(route: str | None, routes_by_account: Mapping[int, Iterable[str]]) -> int | None:
	"""The account whose listed routes hold `route`, the one with the longest such route when
	several do ('shop/brand-b' is narrower than 'shop'); None when none does."""
	route = normalize_route(route)
	held = [
		(len(listed), account_id)
		for account_id, routes in routes_by_account.items()
		for listed in routes
		if under(route, listed)
	]
	return max(held)[1] if held else None


def account_of_customer(companies: Iterable[str], account_by_company: Mapping[str, int]) -> int | None:
	"""The one account, among `account_by_company`, of the Companies a customer transacts with;
	None when there are none or several: the page then decides."""
	accounts = {account_by_company[company] for company in companies if company in account_by_company}
	return accounts.pop() if len(accounts) == 1 else None


def sdk_settings(options: Mapping[str, object]) -> dict:
	"""`window.chatwootSettings` from the settings' widget options (only what is set and valid).

	Without a locale the widget follows the browser's language.
	"""
	settings: dict = {}
	if options.get("widget_position") in POSITIONS:
		settings["position"] = options["widget_position"]
	if options.get("widget_type") in TYPES:
		settings["type"] = options["widget_type"]
	locale = str(options.get("widget_locale") or "").strip()
	if locale:
		settings["locale"] = locale
	else:
		settings["useBrowserLanguage"] = True
	title = str(options.get("widget_launcher_title") or "").strip()
	if title:
		settings["launcherTitle"] = title
	if options.get("widget_dark_mode") in DARK_MODES:
		settings["darkMode"] = options["widget_dark_mode"]
	return settings
