"""The two values that locate a Chatwoot account: its base URL and its account id."""

from urllib.parse import urlsplit

from chat_bridge.chatwoot.errors import ConfigurationError
from chat_bridge.i18n import _


def normalize_base_url(url: str) -> str:
	"""`url` as `scheme://host[:port]`, or ConfigurationError saying what is wrong with it.

	Chatwoot's API lives at fixed paths under the installation's root, so a path, query or
	fragment here is a mistake (often a dashboard URL pasted whole). Credentials in the URL would
	end up in logs, so they are refused too.
	"""
	text = (url or "").strip()
	if not text:
		raise ConfigurationError(_("Chatwoot URL is empty."))
	parts = urlsplit(text)
	if parts.scheme.lower() not in ("http", "https"):
		raise ConfigurationError(
			_("Chatwoot URL must start with http:// or https://, got {0!r}.").format(text)
		)
	if parts.username is not None or parts.password is not None:
		raise ConfigurationError(_("Chatwoot URL must not contain a user name or password."))
	try:
		port = parts.port
	except ValueError:
		raise ConfigurationError(_("Chatwoot URL has an invalid port: {0!r}.").format(text)) from None
	if not parts.hostname:
		raise ConfigurationError(_("Chatwoot URL has no host name: {0!r}.").format(text))
	if parts.path.rstrip("/") or parts.query or parts.fragment:
		raise ConfigurationError(
			_(
				"Chatwoot URL must be the address of the installation only, like https://chat.example.com, got {0!r}."
			).format(text)
		)
	host = parts.hostname
	if ":" in host:  # an IPv6 literal keeps its brackets
		host = f"[{host}]"
	return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def parse_account_id(value: object) -> int:
	"""`value` as a Chatwoot account id (a positive integer), or ConfigurationError."""
	if isinstance(value, bool):
		raise ConfigurationError(
			_("Chatwoot Account ID must be a positive whole number, got {0!r}.").format(value)
		)
	if isinstance(value, int):
		number = value
	else:
		text = str(value).strip()
		if not (text.isascii() and text.isdigit()):
			raise ConfigurationError(
				_("Chatwoot Account ID must be a positive whole number, got {0!r}.").format(value)
			)
		number = int(text)
	if number <= 0:
		raise ConfigurationError(
			_("Chatwoot Account ID must be a positive whole number, got {0!r}.").format(value)
		)
	return number
