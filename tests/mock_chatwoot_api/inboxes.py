"""Inboxes and the agents of an account: the inboxes, who is in each, the agents themselves, their
teams, and the account's labels."""

from tests.mock_chatwoot_api.accounts import member, require_admin
from tests.mock_chatwoot_api.errors import ApiError, invalid, not_authorized, not_found, server_error
from tests.mock_chatwoot_api.routing import integer_id, required, route

COMMUNITY_AGENT_LIMIT = 100_000
ROLES = ("agent", "administrator")
AVAILABILITIES = ("online", "offline", "busy")


def list_inboxes(mock, context, params, query, body):
	"""An administrator sees every inbox of the account, an agent their own; by name."""
	from tests.mock_chatwoot_api.conversations import assigned_inbox_ids

	shown = assigned_inbox_ids(mock, context)
	inboxes = sorted((i for i in mock.inboxes.values() if i["id"] in shown), key=lambda i: i["name"].lower())
	administrator = context["role"] == "administrator"
	return {"payload": [mock.presenters.inbox(i, administrator) for i in inboxes]}


def account_inbox(mock, context: dict, inbox_id) -> dict:
	try:
		inbox = mock.inboxes.get(int(inbox_id))
	except (TypeError, ValueError):
		inbox = None
	if inbox is None or inbox["account_id"] != context["account_id"]:
		raise not_found()
	return inbox


def members_json(mock, inbox: dict) -> dict:
	"""The inbox's agents: users of its account only."""
	members = [u for u in mock.members(inbox["account_id"]) if inbox["id"] in u["inbox_ids"]]
	return {"payload": [mock.presenters.agent(u, inbox["account_id"]) for u in members]}


def list_inbox_members(mock, context, params, query, body):
	"""InboxPolicy#show?: an administrator, or an agent of that inbox."""
	inbox = account_inbox(mock, context, params["inbox_id"])
	if context["role"] != "administrator" and inbox["id"] not in context["user"]["inbox_ids"]:
		raise not_authorized()
	return members_json(mock, inbox)


def add_members(mock, inbox: dict, user_ids: list) -> None:
	"""`inbox_members.create!` for each id sent (any user, whatever their account), in a transaction:
	one that fails makes nothing. Ids are cast as the column casts them (inbox.rb:90-93;
	inbox_member.rb:17-23)."""
	members = set(member_ids(mock, inbox))
	added = []
	for raw in user_ids:
		user_id = integer_id(raw)
		failures = []
		if user_id is None:
			failures.append(("user_id", "User can't be blank"))
		elif user_id in members:
			failures.append(("user_id", "User has already been taken"))
		if user_id not in mock.users:
			failures.append(("user", "User must exist"))
		if failures:
			raise invalid([m for _a, m in failures], list(dict.fromkeys(a for a, _m in failures)))
		members.add(user_id)
		added.append(mock.users[user_id])
	for user in added:
		user["inbox_ids"].add(inbox["id"])


def remove_members(mock, inbox: dict, user_ids) -> None:
	"""`inbox_members.where(user_id:).destroy_all`: ids of nobody, or of no member, are passed over."""
	for raw in user_ids if isinstance(user_ids, list) else [user_ids]:
		user = mock.users.get(integer_id(raw) or 0)
		if user:
			user["inbox_ids"].discard(inbox["id"])


def member_ids(mock, inbox: dict) -> list[int]:
	return [u["id"] for u in mock.users.values() if inbox["id"] in u["inbox_ids"]]


def sent_user_ids(body: dict) -> list:
	"""`params[:user_ids] - current`: anything but a list is a NoMethodError, a 500."""
	user_ids = body.get("user_ids")
	if not isinstance(user_ids, list):
		raise server_error()
	return user_ids


def add_inbox_members(mock, context, params, query, body):
	"""The ids sent minus the members' (a text "12" is not the member 12, and fails as taken)."""
	inbox = account_inbox(mock, context, body.get("inbox_id"))
	require_admin(context)
	current = member_ids(mock, inbox)
	add_members(mock, inbox, [raw for raw in sent_user_ids(body) if raw not in current])
	return members_json(mock, inbox)


def replace_inbox_members(mock, context, params, query, body):
	"""Adds the ids sent that are not members, then removes the members not sent."""
	inbox = account_inbox(mock, context, body.get("inbox_id"))
	require_admin(context)
	user_ids, current = sent_user_ids(body), member_ids(mock, inbox)
	add_members(mock, inbox, [raw for raw in user_ids if raw not in current])
	remove_members(mock, inbox, [member for member in current if member not in user_ids])
	return members_json(mock, inbox)


def remove_inbox_members(mock, context, params, query, body):
	inbox = account_inbox(mock, context, body.get("inbox_id"))
	require_admin(context)
	remove_members(mock, inbox, body.get("user_ids"))
	return None


def list_agents(mock, context, params, query, body):
	"""Every user of the account, whatever their role, by name."""
	agents = sorted(mock.members(context["account_id"]), key=lambda u: u["name"].lower())
	return [mock.presenters.agent(u, context["account_id"]) for u in agents]


def create_agent(mock, context, params, query, body):
	"""AgentBuilder: the account's agent limit first; then the Chatwoot user with that e-mail,
	reused when there is one (a new one is invited by e-mail), made a member with the role."""
	require_admin(context)
	account = context["account"]
	limit = account["limits"].get("agents", COMMUNITY_AGENT_LIMIT)
	if limit - len(mock.members(account["id"])) <= 0:
		raise ApiError(402, {"error": "Account limit exceeded. Please purchase more licenses"})
	fields = required(body, "agent")
	email = (fields.get("email") or "").lower()
	role = fields.get("role") or "agent"
	if role not in ROLES:
		raise server_error()  # an unknown enum value is an ArgumentError nothing rescues
	user = next((u for u in mock.users.values() if u["email"] == email), None) if email else None
	if user is None:
		if not email:
			raise invalid("Email can't be blank", ["email"])
		user = mock.add_user(fields.get("name") or email.split("@", 1)[0], email, confirmed=False)
	elif account["id"] in user["accounts"]:
		raise invalid("User has already been taken", ["user_id"])
	mock.add_membership(user, account["id"], role)
	if "availability" in fields:
		user["accounts"][account["id"]]["availability"] = fields["availability"]
	return mock.presenters.agent(user, account["id"])


def update_agent(mock, context, params, query, body):
	"""The name is saved first, then the membership; nulls are left out (agents_controller.rb:25-28)."""
	user = member(mock, context, params["id"])  # found before the policy: 404 for anyone
	require_admin(context)
	fields = {k: v for k, v in required(body, "agent").items() if v is not None}
	if "name" in fields:
		if not str(fields["name"]).strip():
			raise invalid("Name can't be blank", ["name"])
		user["name"] = fields["name"]
	membership = user["accounts"][context["account_id"]]
	if fields.get("role", membership["role"]) not in ROLES:
		raise server_error()
	if fields.get("availability", membership["availability"]) not in AVAILABILITIES:
		raise server_error()
	for key in ("role", "availability", "auto_offline"):
		if key in fields:
			membership[key] = fields[key]
	return mock.presenters.agent(user, context["account_id"])


def delete_agent(mock, context, params, query, body):
	"""The membership goes now; the user too, in the background, when in no other account."""
	user = member(mock, context, params["id"])
	require_admin(context)
	mock.remove_membership(user, context["account_id"])
	if not user["accounts"]:
		mock.run_later(lambda: mock.delete_user(user) if not user["accounts"] else None)
	return None


def list_teams(mock, context, params, query, body):
	teams = [t for t in mock.teams.values() if t["account_id"] == context["account_id"]]
	return [mock.presenters.team(t, context["user"]) for t in teams]


def list_account_labels(mock, context, params, query, body):
	labels = [label for label in mock.labels.values() if label["account_id"] == context["account_id"]]
	return {
		"payload": [
			{k: label[k] for k in ("id", "title", "description", "color", "show_on_sidebar")}
			for label in labels
		]
	}


A = "/api/v1/accounts/{account_id}"
ROUTES = [
	route("GET", f"{A}/inboxes", list_inboxes),
	route("GET", f"{A}/inbox_members/{{inbox_id}}", list_inbox_members),
	route("POST", f"{A}/inbox_members", add_inbox_members),
	route("PATCH", f"{A}/inbox_members", replace_inbox_members),
	route("DELETE", f"{A}/inbox_members", remove_inbox_members),
	route("GET", f"{A}/agents", list_agents),
	route("POST", f"{A}/agents", create_agent),
	route("PATCH", f"{A}/agents/{{id}}", update_agent),
	route("DELETE", f"{A}/agents/{{id}}", delete_agent),
	route("GET", f"{A}/teams", list_teams),
	route("GET", f"{A}/labels", list_account_labels),
]
