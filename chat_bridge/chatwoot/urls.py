"""The two values that locate a Chatwoot account: its base URL and its account id."""

from urllib.parse import urlsplit

from chat_bridge.chatwoot.errors import ConfigurationError


def normalize_base_url(url: str) -> str:
	"""`url` as `scheme://host[:port]`, or ConfigurationError saying what is wrong with it.

	Chatwoot's API lives at fixed paths under the installation's root, so a path, query or
	fragment here is a mistake (often a dashboard URL pasted whole). Credentials in the URL would
	end up in logs, so they are refused too.
	"""
	text = (url or "").strip()
	if not text:
		raise ConfigurationError("Chatwoot URL is empty.")
	parts = urlsplit(text)
	if parts.scheme.lower() not in ("http", "https"):
		raise ConfigurationError(f"Chatwoot URL must start with http:// or https://, got {text!r}.")
	if parts.username is not None or parts.password is not None:
		raise ConfigurationError("Chatwoot URL must not contain a user name or password.")
	try:
		port = parts.port
	except ValueError:
		raise ConfigurationError(f"Chatwoot URL has an invalid port: {text!r}.") from None
	if not parts.hostname:
		raise ConfigurationError(f"Chatwoot URL has no host name: {text!r}.")
	if parts.path.rstrip("/") or parts.query or parts.fragment:
		raise ConfigurationError(
			f"Chatwoot URL must be the address of the installation only, like https://chat.example.com, got {text!r}."
		)
	host = parts.hostname
	if ":" in host:  # an IPv6 literal keeps its brackets
		host = f"[{host}]"
	return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def parse_account_id(value: object) -> int:
	"""`value` as a Chatwoot account id (a positive integer), or ConfigurationError."""
	if isinstance(value, bool):
		raise ConfigurationError(f"Chatwoot Account ID must be a positive whole number, got {value!r}.")
	if isinstance(value, int):
		number = value
	else:
		text = str(value).strip()
		if not (text.isascii() and text.isdigit()):
			raise ConfigurationError(f"Chatwoot Account ID must be a positive whole number, got {value!r}.")
		number = int(text)
	if number <= 0:
		raise ConfigurationError(f"Chatwoot Account ID must be a positive whole number, got {value!r}.")
	return number
