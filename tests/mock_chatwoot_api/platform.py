"""The Platform API, with a platform app's token: users, accounts, and users' memberships.

A platform app may touch only what it made, or claimed (a user whose e-mail it posted): the
"permissibles". Membership of an account is checked against the account, not the user, so an
account the app did not make (the company's existing one) is out of its reach. Nothing here is
under the Application API's exception handler: an unknown id is Rails' own 404.
"""

import re
import secrets
from urllib.parse import quote

from tests.mock_chatwoot_api.accounts import active_membership
from tests.mock_chatwoot_api.errors import ApiError, invalid, rails_not_found, server_error
from tests.mock_chatwoot_api.inboxes import ROLES
from tests.mock_chatwoot_api.routing import integer_id, route

PASSWORD_LENGTH = (6, 128)
DEVISE_EMAIL = re.compile(r"\A[^@\s]+@[^@\s]+\Z")
TOKEN_AUTH_EMAIL = re.compile(r"\A([^@\s]+)@((?:[-a-z0-9]+\.)+[a-z]{2,})\Z", re.IGNORECASE)
UPPERCASE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWERCASE = "abcdefghijklmnopqrstuvwxyz"
NUMBERS = "0123456789"
SPECIALS = " !@#$%^&*()_+-=[]{}|\"/\\.,`<>:;?~'"


def password_errors(password: str) -> list[str]:
	"""devise-secure_password's messages, in its order: length, each kind, then unknown characters."""
	errors = []
	low, high = PASSWORD_LENGTH
	if len(password) < low:
		errors.append(f"Password must contain at least {low} characters")
	elif len(password) > high:
		errors.append(f"Password must contain less than {high} characters")
	for kind, characters, shown in (
		("uppercase", UPPERCASE, "(A..Z)"),
		("lowercase", LOWERCASE, "(a..z)"),
		("number", NUMBERS, "(0..9)"),
		("special", SPECIALS, f"({SPECIALS})"),
	):
		if not any(c in characters for c in password):
			errors.append(f"Password must contain at least 1 {kind} character  {shown}")
	unknown = [c for c in password if c not in UPPERCASE + LOWERCASE + NUMBERS + SPECIALS]
	if unknown:
		noun = "character" if len(unknown) == 1 else "characters"
		errors.append(f"Password contains {len(unknown)} invalid {noun} ({''.join(dict.fromkeys(unknown))})")
	return errors


def permissible(context: dict, kind: str, record_id: int) -> bool:
	return (kind, record_id) in context["platform_app"]["permissibles"]


def grant(context: dict, kind: str, record_id: int) -> None:
	context["platform_app"]["permissibles"].add((kind, record_id))


def platform_user(mock, context: dict, user_id) -> dict:
	user = mock.users.get(int(user_id))
	if user is None:
		raise rails_not_found()
	if not permissible(context, "User", user["id"]):
		raise ApiError(401, {"error": "Non permissible resource"})
	return user


def platform_account(mock, context: dict, account_id) -> dict:
	account = mock.accounts.get(int(account_id))
	if account is None:
		raise rails_not_found()
	if not permissible(context, "Account", account["id"]):
		raise ApiError(401, {"error": "Non permissible resource"})
	return account


def user_json(mock, user: dict) -> dict:
	"""The platform `_user` partial: `account_id` and `role` of the active membership, and
	`custom_attributes` only when there are any (app/views/platform/api/v1/models/_user.json.jbuilder)."""
	account_id, membership = active_membership(user)
	answer = {
		"access_token": user["access_token"],
		"account_id": account_id,
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
	}
	if user["custom_attributes"]:
		answer["custom_attributes"] = user["custom_attributes"]
	answer.update(
		role=membership.get("role"),
		ui_settings={},
		uid=user["email"],
		accounts=[
			{
				"id": account_id,
				"name": mock.accounts[account_id]["name"],
				"active_at": None,
				"role": m["role"],
			}
			for account_id, m in sorted(user["accounts"].items())
		],
	)
	return answer


def email_errors(email: str) -> list[str]:
	"""The checks a new user's e-mail meets: devise_token_auth's presence, Devise's format and
	devise_token_auth's own stricter format (config/initializers/devise.rb:162; devise_token_auth
	1.2.5 app/validators/devise_token_auth_email_validator.rb)."""
	if not email:
		return ["Email can't be blank"]
	errors = []
	if not DEVISE_EMAIL.match(email):
		errors.append("Email is invalid")
	if not TOKEN_AUTH_EMAIL.match(email):
		errors.append("Email is not an email")
	return errors


def create_user(mock, context, params, query, body):
	"""The user with that e-mail, claimed as it is (and confirmed); else a new, confirmed user,
	checked e-mail first, then password, then name (users_controller.rb:10-15)."""
	email = (body.get("email") or "").lower()
	user = next((u for u in mock.users.values() if email and u["email"] == email), None)
	if user is None:
		errors = [("email", e) for e in email_errors(email)]
		errors += [("password", e) for e in password_errors(str(body.get("password") or ""))]
		if not body.get("name"):
			errors.append(("name", "Name can't be blank"))
		if errors:
			raise invalid([m for _a, m in errors], list(dict.fromkeys(a for a, _m in errors)))
		user = mock.add_user(body["name"], email)
		user["display_name"] = body.get("display_name")
		user["custom_attributes"] = dict(body.get("custom_attributes") or {})
		mock.passwords[user["id"]] = body["password"]
	user["confirmed"] = True  # skip_confirmation!, an existing user's too
	grant(context, "User", user["id"])
	return user_json(mock, user)


def get_user(mock, context, params, query, body):
	return user_json(mock, platform_user(mock, context, params["id"]))


def update_user(mock, context, params, query, body):
	user = platform_user(mock, context, params["id"])
	for key in ("name", "display_name"):
		if key in body:
			user[key] = body[key]
	if body.get("email"):
		user["email"] = body["email"].lower()
	if isinstance(body.get("custom_attributes"), dict):
		user["custom_attributes"] = {**user["custom_attributes"], **body["custom_attributes"]}
	return user_json(mock, user)


def delete_user(mock, context, params, query, body):
	"""DeleteObjectJob: in the background."""
	user = platform_user(mock, context, params["id"])
	mock.run_later(lambda: mock.delete_user(user))
	return None


def login(mock, context, params, query, body):
	"""A one-time sign-in link on FRONTEND_URL, the e-mail percent-encoded, valid five minutes."""
	user = platform_user(mock, context, params["id"])
	token = secrets.token_hex(32)
	mock.sso_tokens[token] = user["id"]
	return {
		"url": f"{mock.frontend_url}/app/login?email={quote(user['email'], safe='')}&sso_auth_token={token}"
	}


def token(mock, context, params, query, body):
	user = platform_user(mock, context, params["id"])
	return {
		"access_token": user["access_token"],
		"expiry": None,
		"user": {k: user.get(k) for k in ("id", "name", "display_name", "email")} | {"pubsub_token": "mock"},
	}


def create_account(mock, context, params, query, body):
	if not body.get("name"):
		raise invalid("Name can't be blank", ["name"])
	account = mock.add_account(
		body["name"],
		**{
			k: body[k]
			for k in ("locale", "domain", "support_email", "status", "limits", "custom_attributes")
			if k in body
		},
	)
	grant(context, "Account", account["id"])
	return {
		k: account[k]
		for k in (
			"id",
			"name",
			"locale",
			"domain",
			"support_email",
			"features",
			"custom_attributes",
			"limits",
			"status",
		)
	}


def membership_json(user: dict, account_id: int) -> dict:
	membership = user["accounts"][account_id]
	return {
		"id": user["id"] * 1000 + account_id,
		"account_id": account_id,
		"user_id": user["id"],
		"role": membership["role"],
		"inviter_id": None,
		"availability": membership["availability"],
		"auto_offline": membership["auto_offline"],
	}


def add_account_user(mock, context, params, query, body):
	"""Made, or its role changed (kept when none is sent): the account must be the app's; the user
	is not checked. `user_id` is cast as the column casts it (account_users_controller.rb:9-13)."""
	account = platform_account(mock, context, params["account_id"])
	user = mock.users.get(integer_id(body.get("user_id")) or 0)
	membership = user["accounts"].get(account["id"]) if user else None
	role = body["role"] if "role" in body else (membership or {}).get("role", "agent")
	if role not in (*ROLES, None):
		raise server_error()
	if user is None:
		raise invalid("User must exist", ["user"])
	if membership:
		membership["role"] = role
	else:
		mock.add_membership(user, account["id"], role)
	return membership_json(user, account["id"])


def list_account_users(mock, context, params, query, body):
	account = platform_account(mock, context, params["account_id"])
	return [membership_json(u, account["id"]) for u in mock.members(account["id"])]


def remove_account_user(mock, context, params, query, body):
	"""The membership goes if there is one; the answer is the same either way."""
	account = platform_account(mock, context, params["account_id"])
	user = mock.users.get(integer_id(body.get("user_id")) or 0)
	if user and account["id"] in user["accounts"]:
		mock.remove_membership(user, account["id"])
	return None


P = "/platform/api/v1"
ROUTES = [
	route("POST", f"{P}/users", create_user, "platform"),
	route("GET", f"{P}/users/{{id}}", get_user, "platform"),
	route("PATCH", f"{P}/users/{{id}}", update_user, "platform"),
	route("DELETE", f"{P}/users/{{id}}", delete_user, "platform"),
	route("GET", f"{P}/users/{{id}}/login", login, "platform"),
	route("POST", f"{P}/users/{{id}}/token", token, "platform"),
	route("POST", f"{P}/accounts", create_account, "platform"),
	route("GET", f"{P}/accounts/{{account_id}}/account_users", list_account_users, "platform"),
	route("POST", f"{P}/accounts/{{account_id}}/account_users", add_account_user, "platform"),
	route("DELETE", f"{P}/accounts/{{account_id}}/account_users", remove_account_user, "platform"),
]
