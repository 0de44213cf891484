"""HTTP to one Chatwoot installation: one session, the token header, timeouts, errors and retries.

Both the Application API client and the Platform API client send their requests through here, so
authentication, error mapping and the retry policy exist once.
"""

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
import urllib3

from chat_bridge import __version__
from chat_bridge.chatwoot.errors import (
	ChatwootConnectionError,
	ChatwootError,
	ChatwootTimeoutError,
	RateLimitError,
	ValidationError,
	error_class_for_status,
)
from chat_bridge.chatwoot.ratelimit import RateLimiter, limiter_for
from chat_bridge.chatwoot.retry import IDEMPOTENT_METHODS, RetryPolicy
from chat_bridge.chatwoot.urls import normalize_base_url

# Chatwoot reads the token from the `api_access_token` header. Rails sees `Api-Access-Token` as the
# same header, and unlike the underscore spelling it survives proxies that drop such header names.
TOKEN_HEADER = "Api-Access-Token"  # noqa: S105 -- a header name, not a secret
USER_AGENT = f"chat_bridge/{__version__} (Frappe integration; python-requests/{requests.__version__})"
DEFAULT_TIMEOUT = (5.0, 30.0)  # seconds to connect, seconds to wait for each read

_DETAIL_LIMIT = 300


class Transport:
	def __init__(
		self,
		base_url: str,
		token: str,
		*,
		timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
		retry: RetryPolicy | None = None,
		session: requests.Session | None = None,
		sleep: Callable[[float], None] = time.sleep,
		clock: Callable[[], float] = time.monotonic,
		limiter: RateLimiter | None = None,
	):
		if not token:
			raise ValueError("A Chatwoot access token is required.")
		self.base_url = normalize_base_url(base_url)
		self.timeout = timeout
		self.retry = retry or RetryPolicy()
		self.session = session or requests.Session()
		self.session.headers.update(
			{TOKEN_HEADER: token, "User-Agent": USER_AGENT, "Accept": "application/json"}
		)
		self._sleep = sleep
		self._clock = clock
		self.limiter = limiter or limiter_for(self.base_url)

	def __repr__(self) -> str:
		return f"{type(self).__name__}({self.base_url!r})"

	def close(self) -> None:
		self.session.close()

	def request(
		self,
		method: str,
		path: str,
		*,
		params: Mapping[str, Any] | None = None,
		json_body: Any = None,
		idempotent: bool | None = None,
		form: Mapping[str, str] | None = None,
		files: list | None = None,
	) -> Any:
		"""Call `path` (starting with /) and return the decoded JSON answer, or None for an empty one.

		`idempotent` overrides the method's default for POSTs that only set state (a status,
		a label set), which are as safe to repeat as a PUT. With `files` the body is
		multipart/form-data: `form`'s fields and the files, as `requests` takes them.
		"""
		method = method.upper()
		if idempotent is None:
			idempotent = method in IDEMPOTENT_METHODS
		started = self._clock()
		attempt = 0
		while True:
			attempt += 1
			try:
				return self._send(method, path, params, json_body, form, files)
			except ChatwootError as error:
				wait = self.retry.next_delay(
					attempt, error, idempotent=idempotent, elapsed=self._clock() - started
				)
				if wait is None:
					raise
				self._sleep(wait)

	def _send(self, method: str, path: str, params, json_body, form=None, files=None) -> Any:
		self.limiter.wait()
		body = {"data": form, "files": files} if files else {"json": json_body}
		try:
			response = self.session.request(
				method, self.base_url + path, params=params, timeout=self.timeout, **body
			)
		except requests.RequestException as error:
			if isinstance(error, requests.Timeout):
				cls, what = ChatwootTimeoutError, f"Chatwoot at {self.base_url} did not answer in time"
			else:
				cls, what = (
					ChatwootConnectionError,
					f"could not reach Chatwoot at {self.base_url} ({_reason(error)})",
				)
			raise cls(
				f"{method} {path}: {what}", request_sent=not _never_sent(error), method=method, path=path
			) from None
		if response.status_code >= 400:
			raise _error_from_response(method, path, response)
		if not response.content or not response.content.strip():
			return None
		try:
			return response.json()
		except ValueError:
			raise ChatwootError(
				f"{method} {path}: Chatwoot answered {response.status_code} with something that is not JSON: "
				f"{_shorten(response.text)!r}",
				method=method,
				path=path,
			) from None


def _never_sent(error: requests.RequestException) -> bool:
	"""Whether the request certainly did not reach the server (no connection was made)."""
	if isinstance(error, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
		return True
	reason = error.args[0] if error.args else None
	reason = getattr(reason, "reason", reason)
	return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _reason(error: requests.RequestException) -> str:
	reason = error.args[0] if error.args else error
	reason = getattr(reason, "reason", reason)
	return type(reason).__name__


def _shorten(text: str) -> str:
	text = " ".join(text.split())
	return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"


def _error_from_response(method: str, path: str, response: requests.Response) -> ChatwootError:
	status = response.status_code
	detail, attributes = _describe_error_body(response)
	message = f"{method} {path}: Chatwoot answered {status} {response.reason or ''}".rstrip()
	if detail:
		message += f": {detail}"
	cls = error_class_for_status(status, detail)
	kwargs: dict[str, Any] = {"status": status, "method": method, "path": path, "detail": detail}
	if cls is ValidationError:
		kwargs["attributes"] = attributes
	if cls is RateLimitError:
		kwargs["retry_after"] = _retry_after(response.headers.get("Retry-After"))
	return cls(message, **kwargs)


def _describe_error_body(response: requests.Response) -> tuple[str, list[str]]:
	"""Chatwoot's own words from an error body: `error`, `message` (+ `attributes`) or `errors`."""
	try:
		body = response.json()
	except ValueError:
		return _shorten(response.text or ""), []
	if not isinstance(body, dict):
		return _shorten(json.dumps(body)), []
	attributes = [str(a) for a in body.get("attributes") or [] if a]
	for key in ("message", "error", "errors"):
		value = body.get(key)
		if value:
			text = value if isinstance(value, str) else "; ".join(str(v) for v in _as_list(value))
			return _shorten(text), attributes
	return _shorten(json.dumps(body)), attributes


def _as_list(value: Any) -> list:
	if isinstance(value, dict):
		return [f"{k} {v}" for k, v in value.items()]
	return list(value) if isinstance(value, list | tuple) else [value]


def _retry_after(header: str | None) -> float | None:
	if not header:
		return None
	try:
		return float(header)
	except ValueError:
		return None  # an HTTP date: rare enough here to fall back to our own backoff
