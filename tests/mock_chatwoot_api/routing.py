"""Routes: the method and path of each endpoint, how its caller is authenticated, and its handler;
and how Rails reads the parameters a handler is given.

A handler is called as `handler(mock, context, params, query, body)` and returns the JSON answer
(None for an empty body, `JSON_NULL` for the body `null`, `Raw` for anything else); `context` says
who asked, as Chatwoot's before_actions establish it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.mock_chatwoot_api.errors import ApiError

CONTROL = "/__mock"  # the mock's own controls, for tests and the harness; Chatwoot has none


class Raw:
	"""An answer that is not JSON: a script or a page, with its content type."""

	def __init__(self, body: str, content_type: str):
		self.body, self.content_type = body, content_type


# `render json: nil`, where `head :ok` (a handler's None) sends no body at all.
JSON_NULL = Raw("null", "application/json; charset=utf-8")


@dataclass(frozen=True)
class Route:
	method: str
	pattern: re.Pattern
	handler: Callable[..., Any]
	scope: str  # user, account, platform, widget, public
	status: int = 200

	def authenticate(self, mock, headers: dict, params: dict, query: dict) -> dict:
		from tests.mock_chatwoot_api import accounts

		return accounts.authenticate(mock, self.scope, headers, params, query)


def to_i(value) -> int:
	"""Ruby's `to_i` of a parameter: the leading integer of a text, 0 when there is none."""
	if isinstance(value, bool):
		return int(value)
	if isinstance(value, int | float):
		return int(value)
	match = re.match(r"\s*([+-]?\d+)", str(value or ""))
	return int(match.group(1)) if match else 0


def integer_id(value) -> int | None:
	"""An id as an integer column casts it: a blank is nil, a text its leading integer."""
	if value is None or (isinstance(value, str) and not value.strip()):
		return None
	return to_i(value)


def page_number(query: dict) -> int:
	"""Kaminari's `page(params[:page])`: the text's `to_i`, and page 1 below that."""
	return max(to_i(query.get("page", ["1"])[0]), 1)


def required(body: dict, key: str, keys: tuple | None = None) -> dict:
	"""`params.require(key)`. A flat JSON body is wrapped under the key first (ParamsWrapper): all
	of it, or only the model's columns (`keys`) when the controller has a model."""
	fields = body.get(key)
	if fields is None:
		fields = {k: v for k, v in body.items() if keys is None or k in keys}
	if not isinstance(fields, dict) or not fields:
		raise ApiError(422, {"error": f"param is missing or the value is empty: {key}"})
	return fields


def route(method: str, template: str, handler, scope: str = "account", status: int = 200) -> Route:
	"""`{name}` in the template is a number in the path (a record's id)."""
	pattern = re.sub(r"{(\w+)}", lambda m: f"(?P<{m.group(1)}>\\d+)", template)
	return Route(method, re.compile(pattern), handler, scope, status)


def all_routes() -> list[Route]:
	from tests.mock_chatwoot_api import (
		accounts,
		contacts,
		control,
		conversations,
		inboxes,
		platform,
		reports,
		webhooks,
		widget,
	)

	return [
		*accounts.ROUTES,
		*contacts.ROUTES,
		*conversations.ROUTES,
		*inboxes.ROUTES,
		*webhooks.ROUTES,
		*reports.ROUTES,
		*platform.ROUTES,
		*widget.ROUTES,
		*control.ROUTES,
	]


_routes: list[Route] | None = None


def find_route(method: str, path: str) -> tuple[Route | None, dict]:
	global _routes
	if _routes is None:
		_routes = all_routes()
	for candidate in _routes:
		if candidate.method == method:
			match = candidate.pattern.fullmatch(path)
			if match:
				return candidate, match.groupdict()
	return None, {}
