"""An account's webhooks and apps: webhooks, Dashboard Apps and custom attribute definitions.

(Sending what a webhook subscribed to is the server's work: `server.MockChatwoot.announce`.)
"""

import re
import secrets

from tests.mock_chatwoot_api.accounts import require_admin
from tests.mock_chatwoot_api.errors import invalid, not_found, server_error
from tests.mock_chatwoot_api.routing import integer_id, required, route
from tests.mock_chatwoot_api.state import iso

# Webhook::ALLOWED_WEBHOOK_EVENTS
WEBHOOK_EVENTS = (
	"conversation_status_changed",
	"conversation_updated",
	"conversation_created",
	"contact_created",
	"contact_updated",
	"message_created",
	"message_updated",
	"webwidget_triggered",
	"inbox_created",
	"inbox_updated",
	"conversation_typing_on",
	"conversation_typing_off",
)
# The column's default, what a webhook made without subscriptions gets: the events up to the
# widget's, in the same order.
DEFAULT_SUBSCRIPTIONS = WEBHOOK_EVENTS[: WEBHOOK_EVENTS.index("webwidget_triggered") + 1]
WEBHOOK_COLUMNS = ("id", "name", "secret", "subscriptions", "url", "webhook_type", "account_id", "inbox_id")
# URI::DEFAULT_PARSER.make_regexp(%w[http https]): a URL anywhere in the text (it is not anchored).
URL = re.compile(r"https?://[^\s]+")
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def webhook_json(mock, webhook: dict) -> dict:
	"""The `_webhook` partial: `inbox` only when the inbox exists, whatever its account."""
	answer = {k: webhook[k] for k in ("id", "name", "url", "account_id", "subscriptions", "secret")}
	inbox = mock.inboxes.get(integer_id(webhook.get("inbox_id")) or 0)
	if inbox:
		answer["inbox"] = {"id": inbox["id"], "name": inbox["name"]}
	return answer


def account_webhook(mock, context: dict, webhook_id) -> dict:
	webhook = mock.webhooks.get(int(webhook_id))
	if webhook is None or webhook["account_id"] != context["account_id"]:
		raise not_found()
	return webhook


def webhook_fields(body: dict) -> dict:
	"""`params.require(:webhook).permit(…)`."""
	fields = required(body, "webhook", WEBHOOK_COLUMNS)
	return {k: fields[k] for k in ("url", "name", "subscriptions", "inbox_id") if k in fields}


def check_webhook(mock, webhook: dict) -> None:
	messages, attributes = [], []
	if not URL.search(str(webhook.get("url") or "")):
		messages.append("Url is invalid")
		attributes.append("url")
	elif any(
		w["url"] == webhook["url"]
		and w["account_id"] == webhook["account_id"]
		and w["id"] != webhook.get("id")
		for w in mock.webhooks.values()
	):
		messages.append("Url has already been taken")
		attributes.append("url")
	subscriptions = webhook["subscriptions"]
	if not isinstance(subscriptions, list) or not subscriptions or set(subscriptions) - set(WEBHOOK_EVENTS):
		messages.append("Subscriptions Invalid events")
		attributes.append("subscriptions")
	if messages:
		raise invalid(messages, attributes)


def list_webhooks(mock, context, params, query, body):
	require_admin(context)
	mine = [w for w in mock.webhooks.values() if w["account_id"] == context["account_id"]]
	return {"payload": {"webhooks": [webhook_json(mock, w) for w in mine]}}


def create_webhook(mock, context, params, query, body):
	require_admin(context)
	fields = webhook_fields(body)
	subscriptions = fields.get("subscriptions")
	webhook = {
		"id": None,
		"account_id": context["account_id"],
		"url": fields.get("url"),
		"name": fields.get("name"),
		"inbox_id": fields.get("inbox_id"),
		"subscriptions": list(DEFAULT_SUBSCRIPTIONS) if subscriptions is None else subscriptions,
		"secret": "".join(secrets.choice(BASE58) for _ in range(24)),  # has_secure_token
	}
	check_webhook(mock, webhook)
	webhook["id"] = mock.next_id("webhook")
	mock.webhooks[webhook["id"]] = webhook
	return {"payload": {"webhook": webhook_json(mock, webhook)}}


def update_webhook(mock, context, params, query, body):
	require_admin(context)  # before the webhook is looked up
	webhook = account_webhook(mock, context, params["webhook_id"])
	changed = {**webhook, **webhook_fields(body)}
	check_webhook(mock, changed)
	webhook.update(changed)  # the secret stays
	return {"payload": {"webhook": webhook_json(mock, webhook)}}


def delete_webhook(mock, context, params, query, body):
	require_admin(context)
	webhook = account_webhook(mock, context, params["webhook_id"])
	del mock.webhooks[webhook["id"]]
	return None


# Dashboard Apps: 4.15.1 has no policy on them, so any user of the account may change them.


DASHBOARD_APP_COLUMNS = ("id", "title", "content", "account_id", "user_id", "created_at", "updated_at")


def dashboard_app_json(app: dict) -> dict:
	return {k: app[k] for k in ("id", "title", "content", "created_at")}


def dashboard_app_fields(body: dict) -> dict:
	fields = required(body, "dashboard_app", DASHBOARD_APP_COLUMNS)
	content = fields.get("content")
	valid = (
		isinstance(content, list)
		and content
		and all(
			isinstance(item, dict)
			and item.get("type") == "frame"
			and re.match(r"^https?://\S+$", str(item.get("url") or ""))
			for item in content
		)
	)
	if not valid:
		raise invalid("Content : Invalid data", ["content"])
	return {"title": fields.get("title"), "content": [{"url": i["url"], "type": i["type"]} for i in content]}


def account_dashboard_app(mock, context: dict, app_id) -> dict:
	app = mock.dashboard_apps.get(int(app_id))
	if app is None or app["account_id"] != context["account_id"]:
		raise not_found()
	return app


def list_dashboard_apps(mock, context, params, query, body):
	return [
		dashboard_app_json(a)
		for a in mock.dashboard_apps.values()
		if a["account_id"] == context["account_id"]
	]


def create_dashboard_app(mock, context, params, query, body):
	fields = dashboard_app_fields(body)
	if fields["title"] is None:
		raise server_error()  # the column is NOT NULL and nothing validates it first
	app = {
		"id": mock.next_id("dashboard_app"),
		"account_id": context["account_id"],
		"user_id": context["user"]["id"],
		"created_at": iso(mock.clock()),
		**fields,
	}
	mock.dashboard_apps[app["id"]] = app
	return dashboard_app_json(app)


def update_dashboard_app(mock, context, params, query, body):
	app = account_dashboard_app(mock, context, params["id"])
	fields = dashboard_app_fields(body)
	if app["user_id"] not in mock.users:
		raise invalid("User must exist", ["user"])
	app.update({k: v for k, v in fields.items() if v is not None})
	return dashboard_app_json(app)


def delete_dashboard_app(mock, context, params, query, body):
	app = account_dashboard_app(mock, context, params["id"])
	del mock.dashboard_apps[app["id"]]
	return None


# Custom attribute definitions

ATTRIBUTE_MODELS = ("conversation_attribute", "contact_attribute", "company_attribute")
DISPLAY_TYPES = ("text", "number", "currency", "percent", "link", "date", "list", "checkbox")
STANDARD_KEYS = {
	"contact_attribute": {
		"name",
		"email",
		"phone_number",
		"identifier",
		"country_code",
		"city",
		"company_name",
		"created_at",
		"last_activity_at",
		"referer",
		"blocked",
	},
	"conversation_attribute": {
		"status",
		"priority",
		"assignee_id",
		"inbox_id",
		"team_id",
		"display_id",
		"campaign_id",
		"labels",
		"browser_language",
		"country_code",
		"referer",
		"created_at",
		"last_activity_at",
	},
	"company_attribute": {
		"name",
		"domain",
		"description",
		"contacts_count",
		"created_at",
		"updated_at",
		"last_activity_at",
	},
}
ATTRIBUTE_KEY = re.compile(r"\A[\w.\-]+\Z", re.UNICODE)


def enum(value, names: tuple):
	"""A Rails enum takes a name or its number; anything else is an ArgumentError (a 500)."""
	if isinstance(value, int) and 0 <= value < len(names):
		return names[value]
	if value in names:
		return value
	raise server_error()


DEFINITION_COLUMNS = (
	"attribute_display_name",
	"attribute_key",
	"attribute_display_type",
	"default_value",
	"attribute_model",
	"account_id",
	"attribute_description",
	"attribute_values",
	"regex_pattern",
	"regex_cue",
)
DEFINITION_KEYS = (  # the `_custom_attribute_definition` partial's, in its order
	"id",
	"attribute_display_name",
	"attribute_display_type",
	"attribute_description",
	"attribute_key",
	"regex_pattern",
	"regex_cue",
	"attribute_values",
	"attribute_model",
	"default_value",
	"created_at",
	"updated_at",
)


def definition_json(definition: dict) -> dict:
	return {key: definition[key] for key in DEFINITION_KEYS}


def definition_fields(body: dict) -> dict:
	"""`params.require(:custom_attribute_definition).permit(…)`."""
	fields = required(body, "custom_attribute_definition", DEFINITION_COLUMNS)
	permitted = (
		"attribute_display_name",
		"attribute_description",
		"attribute_display_type",
		"attribute_key",
		"attribute_model",
		"regex_pattern",
		"regex_cue",
		"attribute_values",
	)
	return {k: fields[k] for k in permitted if k in fields}


def stripped(value):
	"""normalize_attribute_fields: stripped when present; a blank text is kept as it is."""
	return value.strip() if isinstance(value, str) and value.strip() else value


def check_definition(mock, definition: dict, creating: bool) -> None:
	"""Every rule reported together, in the model's order (custom_attribute_definition.rb:33-43)."""
	failures = []
	key = definition.get("attribute_key")
	if not str(definition.get("attribute_display_name") or "").strip():
		failures.append(("attribute_display_name", "Attribute display name can't be blank"))
	if not str(key or "").strip():
		failures.append(("attribute_key", "Attribute key can't be blank"))
	if key is not None and any(
		d["attribute_key"] == key
		and d["attribute_model"] == definition["attribute_model"]
		and d["account_id"] == definition["account_id"]
		and d["id"] != definition.get("id")
		for d in mock.attribute_definitions.values()
	):
		failures.append(("attribute_key", "Attribute key has already been taken"))
	if not ATTRIBUTE_KEY.match(str(key or "")):
		failures.append(
			(
				"attribute_key",
				"Attribute key must only contain letters, numbers, underscores, hyphens, and dots",
			)
		)
	if creating and key in STANDARD_KEYS[definition["attribute_model"]]:
		failures.append(
			(
				"attribute_key",
				"Attribute key The provided key is not allowed as it might conflict with default attributes.",
			)
		)
	if failures:
		raise invalid([m for _a, m in failures], list(dict.fromkeys(a for a, _m in failures)))


def list_attribute_definitions(mock, context, params, query, body):
	wanted = query.get("attribute_model", [""])[0]
	mine = [d for d in mock.attribute_definitions.values() if d["account_id"] == context["account_id"]]
	if wanted:
		model = (
			ATTRIBUTE_MODELS[int(wanted)]
			if wanted.isdigit() and int(wanted) < len(ATTRIBUTE_MODELS)
			else wanted
		)
		mine = [d for d in mine if d["attribute_model"] == model]
	return [definition_json(d) for d in mine]


def create_attribute_definition(mock, context, params, query, body):
	require_admin(context)
	fields = definition_fields(body)
	now = iso(mock.clock())
	definition = {
		"id": None,
		"account_id": context["account_id"],
		"attribute_display_name": stripped(fields.get("attribute_display_name")),
		"attribute_display_type": enum(fields.get("attribute_display_type", "text"), DISPLAY_TYPES),
		"attribute_description": fields.get("attribute_description"),
		"attribute_key": stripped(fields.get("attribute_key")),
		"attribute_model": enum(fields.get("attribute_model", "conversation_attribute"), ATTRIBUTE_MODELS),
		"regex_pattern": fields.get("regex_pattern"),
		"regex_cue": fields.get("regex_cue"),
		"attribute_values": list(fields.get("attribute_values") or []),
		"default_value": None,
		"created_at": now,
		"updated_at": now,
	}
	check_definition(mock, definition, creating=True)
	definition["id"] = mock.next_id("attribute_definition")
	mock.attribute_definitions[definition["id"]] = definition
	return definition_json(definition)


def account_definition(mock, context: dict, definition_id) -> dict:
	definition = mock.attribute_definitions.get(int(definition_id))
	if definition is None or definition["account_id"] != context["account_id"]:
		raise not_found()
	return definition


def update_attribute_definition(mock, context, params, query, body):
	"""Looked up before the policy runs: an unknown id is 404 for anyone (controller lines 2-4)."""
	definition = account_definition(mock, context, params["id"])
	require_admin(context)
	fields = definition_fields(body)
	changed = {**definition, **fields}
	for key in ("attribute_display_name", "attribute_key"):
		changed[key] = stripped(changed[key])
	for key, names in (("attribute_display_type", DISPLAY_TYPES), ("attribute_model", ATTRIBUTE_MODELS)):
		changed[key] = enum(changed[key], names)
	check_definition(mock, changed, creating=False)
	definition.update(changed, updated_at=iso(mock.clock()))
	return definition_json(definition)


def delete_attribute_definition(mock, context, params, query, body):
	definition = account_definition(mock, context, params["id"])
	require_admin(context)
	del mock.attribute_definitions[definition["id"]]
	return None


A = "/api/v1/accounts/{account_id}"
ROUTES = [
	route("GET", f"{A}/webhooks", list_webhooks),
	route("POST", f"{A}/webhooks", create_webhook),
	route("PATCH", f"{A}/webhooks/{{webhook_id}}", update_webhook),
	route("DELETE", f"{A}/webhooks/{{webhook_id}}", delete_webhook),
	route("GET", f"{A}/dashboard_apps", list_dashboard_apps),
	route("POST", f"{A}/dashboard_apps", create_dashboard_app),
	route("PATCH", f"{A}/dashboard_apps/{{id}}", update_dashboard_app),
	route("DELETE", f"{A}/dashboard_apps/{{id}}", delete_dashboard_app, status=204),
	route("GET", f"{A}/custom_attribute_definitions", list_attribute_definitions),
	route("POST", f"{A}/custom_attribute_definitions", create_attribute_definition),
	route("PATCH", f"{A}/custom_attribute_definitions/{{id}}", update_attribute_definition),
	route("DELETE", f"{A}/custom_attribute_definitions/{{id}}", delete_attribute_definition, status=204),
]
