"""How Chatwoot answers a request it refuses: the status and body of each kind of refusal.

Every body here is Chatwoot's own (CONFORMANCE.md gives the line it comes from).
"""

from typing import Any


class ApiError(Exception):
	def __init__(self, status: int, body: Any):
		super().__init__(status)
		self.status = status
		self.body = body


def not_found() -> ApiError:
	"""ActiveRecord::RecordNotFound under the Application API's exception handler."""
	return ApiError(404, {"error": "Resource could not be found"})


def rails_not_found() -> ApiError:
	"""RecordNotFound where nothing rescues it (the Platform API): Rails' own 404."""
	return ApiError(404, {"status": 404, "error": "Not Found"})


def not_authorized() -> ApiError:
	"""A Pundit refusal: the token is fine, its user's role may not do this. 401, not 403."""
	return ApiError(401, {"error": "You are not authorized to do this action"})


def invalid(messages: list[str] | str, attributes: list[str]) -> ApiError:
	"""ActiveRecord::RecordInvalid: every failing message joined, and the attributes."""
	text = messages if isinstance(messages, str) else ", ".join(messages)
	return ApiError(422, {"message": text, "attributes": attributes})


def unprocessable(message: str) -> ApiError:
	"""A 422 a controller renders by hand: `{"error": …}`."""
	return ApiError(422, {"error": message})


def server_error() -> ApiError:
	"""What Chatwoot does not rescue (an invalid enum value, a missing array): Rails' 500."""
	return ApiError(500, {"status": 500, "error": "Internal Server Error"})
