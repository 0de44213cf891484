"""Response headers that some of the app's answers need and Frappe does not set."""

# A one-time sign-in link is valid for five minutes and signs in whoever holds it.
NOT_TO_BE_STORED = ("/api/method/chat_bridge.api.agents.get_sign_in_link",)


def after_request(response, request) -> None:
	"""Frappe's after_request hook."""
	if request.path in NOT_TO_BE_STORED:
		response.headers["Cache-Control"] = "no-store"
