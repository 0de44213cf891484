"""Who is asking: authentication for every kind of caller, and the account and profile endpoints."""

import secrets

from tests.mock_chatwoot_api.errors import ApiError, not_authorized, not_found
from tests.mock_chatwoot_api.routing import route


def authenticate(mock, scope: str, headers: dict, params: dict, query: dict) -> dict:
	if scope == "public":
		return {}
	if scope == "widget":
		from tests.mock_chatwoot_api.widget import widget_session

		return widget_session(mock, headers, query)
	token = headers.get("api_access_token") or headers.get("api-access-token")
	if scope == "platform":
		app = mock.platform_apps.get(token or "")
		if app is None:
			raise ApiError(401, {"error": "Invalid access_token"})
		return {"platform_app": app}
	if not token:  # devise_token_auth, when no access token is sent
		raise ApiError(401, {"errors": ["You need to sign in or sign up before continuing."]})
	user_id = mock.tokens.get(token)
	if user_id is None:
		if token in mock.platform_apps:
			raise ApiError(401, {"error": "Access to this endpoint is not authorized for bots"})
		raise ApiError(401, {"error": "Invalid Access Token"})
	user = mock.users[user_id]
	if scope == "user":
		return {"user": user}
	account_id = int(params["account_id"])
	account = mock.accounts.get(account_id)
	if scope == "account_show":  # AccountsController: current_user.accounts.find
		if account is None or account_id not in user["accounts"]:
			raise not_found()
		return {
			"user": user,
			"account": account,
			"account_id": account_id,
			"role": mock.role_of(user, account_id),
		}
	if account is None:
		raise not_found()
	if account["status"] == "suspended":
		raise ApiError(401, {"error": "Account is suspended"})
	if account_id not in user["accounts"]:
		raise ApiError(401, {"error": "You are not authorized to access this account"})
	return {
		"user": user,
		"account": account,
		"account_id": account_id,
		"role": mock.role_of(user, account_id),
	}


def require_admin(context: dict) -> None:
	"""A policy that lets administrators only: Pundit's refusal is a 401."""
	if context.get("role") != "administrator":
		raise not_authorized()


def member(mock, context: dict, user_id) -> dict:
	"""A user of the account (`Current.account.users.find`): 404 for anyone else."""
	user = mock.users.get(int(user_id))
	if user is None or context["account_id"] not in user["accounts"]:
		raise not_found()
	return user


def get_account(mock, context, params, query, body):
	return mock.presenters.account_rest(context["account"])


def active_membership(user: dict) -> tuple[int | None, dict]:
	"""`active_account_user`, the membership used most recently. The mock keeps no `active_at`, so
	it takes the highest account id."""
	memberships = sorted(user["accounts"].items())
	return memberships[-1] if memberships else (None, {})


def get_profile(mock, context, params, query, body):
	user = context["user"]
	memberships = sorted(user["accounts"].items())
	current = active_membership(user)
	return {
		"access_token": user["access_token"],
		"account_id": current[0],
		"available_name": user["display_name"] or user["name"],
		"avatar_url": "",
		"confirmed": user["confirmed"],
		"display_name": user["display_name"],
		"message_signature": None,
		"email": user["email"],
		"id": user["id"],
		"name": user["name"],
		"provider": "email",
		"pubsub_token": "mock",
		"role": current[1].get("role"),
		"ui_settings": {},
		"uid": user["email"],
		"type": None,  # the STI column, nil for a plain user (db/schema.rb:1303)
		"accounts": [
			{
				"id": account_id,
				"name": mock.accounts[account_id]["name"],
				"status": mock.accounts[account_id]["status"],
				"active_at": None,
				"role": membership["role"],
				"permissions": [membership["role"]],
				"availability": membership["availability"],
				"availability_status": membership["availability"],
				"auto_offline": membership["auto_offline"],
			}
			for account_id, membership in memberships
		],
	}


def add_agent_bot(mock, name: str, account_id: int) -> dict:
	"""An agent bot of the account (the mock's seed and tests make them; the app never does)."""
	bot = {
		"id": mock.next_id("agent_bot"),
		"name": name,
		"account_id": account_id,
		"access_token": secrets.token_hex(12),
	}
	mock.agent_bots[bot["id"]] = bot
	return bot


A = "/api/v1/accounts/{account_id}"
ROUTES = [
	route("GET", A, get_account, "account_show"),
	route("GET", "/api/v1/profile", get_profile, "user"),
]
