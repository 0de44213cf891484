"""The website widget and the dashboard's side: a widget session, the visitor's identity
(set_user), the SDK a page loads, and a page standing in for the conversation view that frames a
Dashboard App."""

import json
import re
from pathlib import Path

from tests.mock_chatwoot_api.errors import ApiError, invalid, not_found
from tests.mock_chatwoot_api.routing import Raw, route

SDK_LOADER = Path(__file__).resolve().parent / "sdk.js"


def widget_inbox(mock, query: dict, unknown: ApiError | None = None) -> dict:
	"""The inbox of the website token: `unknown` (else 404) when there is none, 401 when its
	account is suspended (website_token_helper.rb:6-11; widgets_controller.rb:27-32,61-63)."""
	website_token = query.get("website_token", [""])[0]
	inbox = next(
		(i for i in mock.inboxes.values() if website_token and i.get("website_token") == website_token), None
	)
	if inbox is None:
		raise unknown or not_found()
	if mock.accounts[inbox["account_id"]]["status"] != "active":
		raise ApiError(401, {"error": "Account is suspended"})
	return inbox


def widget_session(mock, headers: dict, query: dict) -> dict:
	"""WebsiteTokenHelper: the inbox of the website token, and the contact of the session token
	(X-Auth-Token) in that inbox; without one, 404."""
	inbox = widget_inbox(mock, query)
	contact_inbox = mock.contact_inboxes.get(mock.widget_sessions.get(headers.get("x-auth-token") or "", 0))
	if contact_inbox is None or contact_inbox["inbox_id"] != inbox["id"]:
		raise not_found()
	return {
		"inbox": inbox,
		"contact_inbox": contact_inbox,
		"contact": mock.contacts[contact_inbox["contact_id"]],
	}


def load_widget(mock, context, params, query, body):
	"""GET /widget: the iframe's page. Without a session (the cw_conversation token) of this inbox
	it makes a new contact for the browser: a token of another inbox (the SDK keeps one cookie per
	site, sdk/IFrameHelper.js:41) finds no contact here and starts anew (widgets_controller.rb
	set_contact, build_contact). Chatwoot answers a page that carries the token; the mock answers
	the token as JSON, for its stand-in SDK."""
	inbox = widget_inbox(mock, query, unknown=ApiError(404, {"error": "web widget does not exist"}))
	token = query.get("cw_conversation", [""])[0]
	contact_inbox = mock.contact_inboxes.get(mock.widget_sessions.get(token, 0))
	if contact_inbox is None or contact_inbox["inbox_id"] != inbox["id"]:
		token, contact_inbox = mock.start_widget_session(inbox)
	return {"auth_token": token, "contact_id": contact_inbox["contact_id"]}


def set_user(mock, context, params, query, body):
	"""The visitor says who they are. The hash is checked when one is sent or the inbox makes it
	mandatory (but not when custom attributes come with no identifier); then ContactIdentifyAction
	finds the contact with that identifier, e-mail or phone, merging the session's contact into it."""
	inbox, contact_inbox = context["inbox"], context["contact_inbox"]
	contact = context["contact"]
	identifier = body.get("identifier")
	check = bool(body.get("identifier_hash")) or inbox["hmac_mandatory"]
	if body.get("custom_attributes") and not identifier:
		check = False
	if check and not (
		identifier is not None and mock.identity_hash_valid(inbox, identifier, body.get("identifier_hash"))
	):
		raise ApiError(401, {"error": "HMAC failed: Invalid Identifier Hash Provided"})
	widget_auth_token = None
	if contact["identifier"] and contact["identifier"] != (
		str(identifier) if identifier is not None else None
	):
		widget_auth_token, contact_inbox = mock.start_widget_session(inbox)
		contact = mock.contacts[contact_inbox["contact_id"]]
	if check:
		contact_inbox["hmac_verified"] = True
	contact = identify(mock, contact, contact_inbox, body)
	answer = {
		"id": contact["id"],
		"has_email": bool(contact["email"]),
		"has_name": bool(contact["name"]),
		"has_phone_number": bool(contact["phone_number"]),
	}
	if widget_auth_token:
		answer["widget_auth_token"] = widget_auth_token
	return answer


def identify(mock, contact: dict, contact_inbox: dict, fields: dict) -> dict:
	"""ContactIdentifyAction, for what the mock keeps: merge into the account's contact with the
	identifier, else the e-mail, else the phone (the merged contact goes, with no event); then the
	attributes, invalid ones left out."""
	account_id = contact["account_id"]
	identifier = str(fields["identifier"]) if fields.get("identifier") is not None else None
	others = [c for c in mock.contacts.values() if c["account_id"] == account_id and c["id"] != contact["id"]]
	existing = (
		next((c for c in others if identifier and c["identifier"] == identifier), None)
		or next(
			(
				c
				for c in others
				if fields.get("email")
				and c["email"] == fields["email"].lower()
				and c["identifier"] in (None, identifier)
			),
			None,
		)
		or next(
			(
				c
				for c in others
				if fields.get("phone_number")
				and c["phone_number"] == fields["phone_number"]
				and c["identifier"] in (None, identifier)
			),
			None,
		)
	)
	if existing:
		merge(mock, existing, contact)
		contact = existing
	values = {key: fields[key] for key in ("name", "email", "phone_number") if fields.get(key)}
	if identifier:
		values["identifier"] = identifier
	for key in ("custom_attributes", "additional_attributes"):
		if isinstance(fields.get(key), dict):
			values[key] = fields[key]
	try:
		mock.update_contact(contact, values)
	except ApiError:
		# discard_invalid_attrs: what does not validate is left out
		for key in ("email", "phone_number", "identifier"):
			values.pop(key, None)
		mock.update_contact(contact, values)
	return contact


def merge(mock, base: dict, mergee: dict) -> None:
	"""ContactMergeAction: the mergee's conversations and contact inboxes move to the base, and the
	mergee is deleted (no webhook says so)."""
	for conversation in mock.all_conversations(mergee["account_id"]):
		if conversation["contact_id"] == mergee["id"]:
			conversation["contact_id"] = base["id"]
	for contact_inbox in mock.contact_inboxes.values():
		if contact_inbox["contact_id"] == mergee["id"]:
			contact_inbox["contact_id"] = base["id"]
	mock.contacts.pop(mergee["id"], None)
	mock._listing.pop(mergee["account_id"], None)


def sdk_loader(mock, context, params, query, body):
	return Raw(SDK_LOADER.read_text(), "application/javascript; charset=utf-8")


def dashboard_app_host(mock, context, params, query, body):
	"""A page standing in for Chatwoot's conversation view with a Dashboard App tab (Frame.vue): it
	frames `src` and posts the appContext, a JSON string to any origin, when the frame loads and
	whenever any window posts `chatwoot-dashboard-app:fetch-info`. `contact=0` is a dashboard that
	has not loaded the conversation's contact: its getter gives `{}`. The account's other
	conversations are listed beside it; opening one mounts the frame afresh, as ConversationBox.vue
	keys the frame by the conversation (`window.__openConversation(id)` does the same)."""
	src = query.get("src", [""])[0]
	if not re.match(r"^https?://", src):
		raise invalid("src must be an http(s) URL", ["src"])
	account_id = int(query.get("account_id", [str(mock.default_account_id)])[0])
	conversation = mock.conversation(int(query.get("conversation_id", ["0"])[0] or 0), account_id)
	if conversation is None:
		raise not_found()
	agent = mock.users[int(query.get("agent_id", ["1"])[0])]
	contact_loaded = query.get("contact", ["1"])[0] != "0"
	contexts = {
		other["id"]: app_context(mock, other, agent, contact_loaded)
		for other in sorted(mock.all_conversations(account_id), key=lambda c: c["id"])
	}
	contexts_json = json.dumps({key: json.dumps(value) for key, value in contexts.items()})
	page = DASHBOARD_APP_HOST.replace("{src_json}", json.dumps(src).replace("</", "<\\/"))
	page = page.replace("{contexts}", contexts_json.replace("</", "<\\/"))
	page = page.replace("{conversation}", str(conversation["id"]))
	return Raw(page, "text/html; charset=utf-8")


def app_context(mock, conversation: dict, agent: dict, contact_loaded: bool) -> dict:
	contact = (
		mock.presenters.contact_rest(mock.contacts[conversation["contact_id"]]) if contact_loaded else {}
	)
	return {
		"event": "appContext",
		"data": {
			"conversation": mock.presenters.conversation_rest(conversation, agent),
			"contact": contact,
			"currentAgent": {"id": agent["id"], "name": agent["name"], "email": agent["email"]},
		},
	}


DASHBOARD_APP_HOST = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Mock Chatwoot: conversation #{conversation}</title></head>
<body style="margin:0;font:14px sans-serif;display:flex;height:100vh">
<div style="flex:1;padding:16px;background:#f4f6f8">
<p><b>Mock Chatwoot</b> · <span id="open">conversation #{conversation}</span></p>
<p style="color:#6c7680">Messages · <u>ERPNext</u> (the Dashboard App tab, framed on the right)</p>
<ul id="conversations" style="padding-left:18px"></ul></div>
<div id="app" style="display:flex"></div>
<script>
const contexts = {contexts};
window.__fetchInfoRequests = 0;
window.__mounts = 0;
let frame = null;
let message = null;
const send = () => frame.contentWindow.postMessage(message, "*");
window.__openConversation = (id) => {
	message = contexts[id];
	document.getElementById("open").textContent = `conversation #${id}`;
	if (frame) frame.remove();
	frame = document.createElement("iframe");
	frame.id = "dashboard-app--frame-0-0";
	frame.style.cssText = "width:440px;border:0;border-left:1px solid #dde3e8;background:#fff";
	frame.addEventListener("load", send);
	frame.src = {src_json};
	document.getElementById("app").appendChild(frame);
	window.__mounts += 1;
};
for (const id of Object.keys(contexts)) {
	const item = document.createElement("li");
	item.innerHTML = `<a href="#" data-id="${id}">Conversation #${id}</a>`;
	item.firstChild.onclick = (event) => (event.preventDefault(), window.__openConversation(id));
	document.getElementById("conversations").appendChild(item);
}
window.addEventListener("message", (event) => {
	if (event.data === "chatwoot-dashboard-app:fetch-info") {
		window.__fetchInfoRequests += 1;
		send();
	}
});
window.__openConversation("{conversation}");
</script></body></html>
"""

ROUTES = [
	route("GET", "/widget", load_widget, "public"),
	route("PATCH", "/api/v1/widget/contact/set_user", set_user, "widget"),
	route("GET", "/packs/js/sdk.js", sdk_loader, "public"),
	route("GET", "/dashboard-app", dashboard_app_host, "public"),
]
