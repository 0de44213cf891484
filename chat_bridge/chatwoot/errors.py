"""Typed failures of talking to Chatwoot.

Every failure of a call is a `ChatwootError`, so a caller that only needs "it did not work" catches
one class, and one that cares (a token Chatwoot rejected, a rate limit, an unreachable server) catches
the subclass. Messages name the call and what came back; they never carry the access token, which
only ever travels in a request header.
"""

from collections.abc import Sequence

from chat_bridge.i18n import _


class ConfigurationError(ValueError):
	"""A Chatwoot URL or account id that cannot be used; the message says why."""


class ChatwootError(Exception):
	"""A call to Chatwoot did not give an answer the caller can use."""

	def __init__(self, message: str, *, method: str | None = None, path: str | None = None):
		super().__init__(message)
		self.method = method
		self.path = path


class ChatwootConnectionError(ChatwootError):
	"""Chatwoot could not be reached: DNS, refused connection, TLS, or a broken transfer.

	`request_sent` is False only when the connection was never made, so Chatwoot cannot have
	seen the request; that is what makes even a message safe to send again.
	"""

	def __init__(self, message: str, *, request_sent: bool = True, **kwargs):
		super().__init__(message, **kwargs)
		self.request_sent = request_sent


class ChatwootTimeoutError(ChatwootConnectionError):
	"""Chatwoot did not answer within the client's timeout."""


class ChatwootHTTPError(ChatwootError):
	"""Chatwoot answered with an error status."""

	def __init__(
		self,
		message: str,
		*,
		status: int,
		method: str | None = None,
		path: str | None = None,
		detail: str | None = None,
	):
		super().__init__(message, method=method, path=path)
		self.status = status
		self.detail = detail


class AuthenticationError(ChatwootHTTPError):
	"""401 "Invalid Access Token": Chatwoot does not know the token."""


class ForbiddenError(ChatwootHTTPError):
	"""The token is valid but may not do this: an agent's token where an administrator's is needed.

	Chatwoot answers a refusal with 401, like a bad token, and tells them apart only by its message
	(app/controllers/concerns/request_exception_handler.rb:15-17); a proxy may answer 403.
	"""


class AccountAccessError(ForbiddenError):
	"""The token's user is not a member of the account, or the account is suspended."""


class NotPermissibleError(ForbiddenError):
	"""Platform API: the platform app neither created nor was given this user or account."""


class NotFoundError(ChatwootHTTPError):
	"""404: no such record in this account (or the account id is wrong)."""


class ValidationError(ChatwootHTTPError):
	"""422: Chatwoot refused the data; `attributes` names the offending fields when Chatwoot says."""

	def __init__(self, message: str, *, attributes: Sequence[str] = (), **kwargs):
		super().__init__(message, **kwargs)
		self.attributes = list(attributes)


class RateLimitError(ChatwootHTTPError):
	"""429: Chatwoot is throttling; `retry_after` is its hint in seconds when it gave one (it usually does not)."""

	def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
		super().__init__(message, **kwargs)
		self.retry_after = retry_after


class ServerError(ChatwootHTTPError):
	"""5xx: Chatwoot (or a proxy in front of it) failed."""


_BY_STATUS = {
	401: AuthenticationError,
	403: ForbiddenError,
	404: NotFoundError,
	422: ValidationError,
	429: RateLimitError,
}


# What Chatwoot says with each 401 that is not about the token itself
# (app/controllers/concerns/request_exception_handler.rb:17, ensure_current_account_helper.rb:11,24,31,
# access_token_auth_helper.rb:34; app/controllers/platform_controller.rb:35).
_REFUSALS_BY_MESSAGE = {
	"You are not authorized to do this action": ForbiddenError,
	"Access to this endpoint is not authorized for bots": ForbiddenError,
	"You are not authorized to access this account": AccountAccessError,
	"Bot is not authorized to access this account": AccountAccessError,
	"Account is suspended": AccountAccessError,
	"Non permissible resource": NotPermissibleError,
}


def error_class_for_status(status: int, detail: str | None = None) -> type[ChatwootHTTPError]:
	"""The error class that stands for an HTTP error `status` from Chatwoot, whose body said `detail`."""
	if status == 401 and detail in _REFUSALS_BY_MESSAGE:
		return _REFUSALS_BY_MESSAGE[detail]
	if status in _BY_STATUS:
		return _BY_STATUS[status]
	if status >= 500:
		return ServerError
	return ChatwootHTTPError


def describe_for_user(error: ChatwootError, chatwoot_url: str | None) -> tuple[str, str]:
	"""(kind, sentence) for a person who asked for something Chatwoot refused or failed.

	Kinds: token, forbidden, account, not_permissible, not_found, invalid, unavailable, failed.
	"""
	if isinstance(error, AccountAccessError):
		return (
			"account",
			_(
				"Chatwoot refuses this token for the account: {0}. Check the account id and that the token's user is a member of it."
			).format(error.detail),
		)
	if isinstance(error, NotPermissibleError):
		return (
			"not_permissible",
			_(
				"The platform app may only manage the Chatwoot users and accounts it created or was given access to."
			),
		)
	if isinstance(error, AuthenticationError):
		return (
			"token",
			_(
				"Chatwoot rejected the access token: check it in Chatwoot User Token or Chatwoot Integration Settings."
			),
		)
	if isinstance(error, ForbiddenError):
		return (
			"forbidden",
			_(
				"The token is valid, but its Chatwoot user's role may not do that: use an administrator's access token."
			),
		)
	if isinstance(error, NotFoundError):
		return "not_found", _("Chatwoot has no such record in this account.")
	if isinstance(error, ValidationError):
		return "invalid", _("Chatwoot refused the data: {0}.").format(error.detail or _("no reason given"))
	if isinstance(error, RateLimitError):
		return "unavailable", _("Chatwoot is rate limiting requests; try again in a minute.")
	if isinstance(error, ChatwootConnectionError):
		return "unavailable", _("Chatwoot is unreachable at {0}.").format(
			chatwoot_url or _("the configured URL")
		)
	if isinstance(error, ServerError):
		return "unavailable", _("Chatwoot failed ({0}); try again later.").format(error.status)
	return "failed", _("Chatwoot did not do it: {0}").format(error)
