"""Conversations and their messages: listing, reading, making, the status, priority, assignee,
team and labels, and the messages posted, edited, deleted and listed."""

import json
import re
import uuid

from tests.mock_chatwoot_api.errors import (
	ApiError,
	invalid,
	not_authorized,
	not_found,
	server_error,
	unprocessable,
)
from tests.mock_chatwoot_api.routing import JSON_NULL, integer_id, page_number, route
from tests.mock_chatwoot_api.state import MESSAGE_TYPES, PRIORITIES, STATUSES, iso

CONVERSATIONS_PER_PAGE = 25
MESSAGES_PER_PAGE = 20
MESSAGES_AFTER_LIMIT = 100
MESSAGES_BETWEEN_LIMIT = 1000
MESSAGE_LENGTH_LIMIT = 150_000
MESSAGES_PER_MINUTE = 200  # CONVERSATION_MESSAGE_PER_MINUTE_LIMIT's default
CONTENT_TYPES = (  # Message's content_type enum
	"text",
	"input_text",
	"input_textarea",
	"input_email",
	"input_select",
	"cards",
	"form",
	"article",
	"incoming_email",
	"input_csat",
	"integrations",
	"sticker",
	"voice_call",
)
# ConversationFinder::SORT_OPTIONS as (key, descending) pairs, the first deciding; every key puts
# NULLs last (app/finders/conversation_finder.rb:5-22; app/models/concerns/sort_handler.rb:5-23).
LAST_ACTIVITY_DESC = (("last_activity_at", True),)
PRIORITY_DESC = (("priority", True), ("last_activity_at", True))
WAITING_SINCE_ASC = (("waiting_since", False), ("created_at", False))
SORTS = {
	"last_activity_at_asc": (("last_activity_at", False),),
	"last_activity_at_desc": LAST_ACTIVITY_DESC,
	"latest": LAST_ACTIVITY_DESC,
	"created_at_asc": (("created_at", False),),
	"sort_on_created_at": (("created_at", False),),
	"created_at_desc": (("created_at", True),),
	"priority_asc": (("priority", False), ("last_activity_at", True)),
	"priority_desc": PRIORITY_DESC,
	"sort_on_priority": PRIORITY_DESC,
	"priority_desc_created_at_asc": (("priority", True), ("created_at", False)),
	"waiting_since_asc": WAITING_SINCE_ASC,
	"sort_on_waiting_since": WAITING_SINCE_ASC,
	"waiting_since_desc": (("waiting_since", True), ("created_at", False)),
	"unread": (("unread", True), ("last_activity_at", True)),
}


def assigned_inbox_ids(mock, context: dict) -> set[int]:
	"""User#assigned_inboxes: every inbox of the account for an administrator, an agent's own otherwise."""
	account_inboxes = {i["id"] for i in mock.inboxes.values() if i["account_id"] == context["account_id"]}
	if context["role"] == "administrator":
		return account_inboxes
	return account_inboxes & context["user"]["inbox_ids"]


def visible(mock, context: dict) -> list[dict]:
	"""What a user may list (ConversationFinder): an agent, only their inboxes' conversations."""
	inboxes = assigned_inbox_ids(mock, context)
	return [c for c in mock.all_conversations(context["account_id"]) if c["inbox_id"] in inboxes]


def may_see(mock, context: dict, conversation: dict) -> bool:
	"""ConversationPolicy#show?: an administrator, or an agent of its inbox or of its team."""
	if context["role"] == "administrator":
		return True
	team = mock.teams.get(conversation["team_id"] or 0)
	return conversation["inbox_id"] in context["user"]["inbox_ids"] or bool(
		team and context["user"]["id"] in team["member_ids"]
	)


def find_conversation(mock, context: dict, display_id) -> dict:
	conversation = mock.conversation(int(display_id), context["account_id"])
	if conversation is None:
		raise not_found()
	if not may_see(mock, context, conversation):
		raise not_authorized()
	return conversation


def unread_messages(mock, conversation: dict) -> int:
	"""Incoming messages since the agent last looked, uncapped (Conversation.unread_messages_count_arel)."""
	seen = conversation["agent_last_seen_at"]
	return sum(
		1
		for m in mock.messages_of(conversation)
		if m["message_type"] == 0 and (seen is None or m["created_at"] > seen)
	)


def sort_value(mock, conversation: dict, key: str):
	if key == "priority":  # an integer enum, so it orders low < medium < high < urgent
		return PRIORITIES.index(conversation["priority"]) if conversation["priority"] else None
	if key == "unread":
		return unread_messages(mock, conversation)
	return conversation[key]


def sort_conversations(mock, conversations: list[dict], sort_by: str | None) -> list[dict]:
	"""No tie-break: conversations that tie keep the table's order."""
	ordered = list(conversations)
	for key, descending in reversed(SORTS.get(sort_by or "", LAST_ACTIVITY_DESC)):
		present = [c for c in ordered if sort_value(mock, c, key) is not None]
		missing = [c for c in ordered if sort_value(mock, c, key) is None]
		present.sort(key=lambda c, k=key: sort_value(mock, c, k), reverse=descending)
		ordered = present + missing
	return ordered


def mentions(mock, conversation: dict, q: str) -> bool:
	"""`q` is looked for in incoming and outgoing messages only (conversation_finder.rb:152-159)."""
	return any(
		m["message_type"] in (0, 1) and q.lower() in (m["content"] or "").lower()
		for m in mock.messages_of(conversation)
	)


def list_conversations(mock, context, params, query, body):
	user = context["user"]
	found = visible(mock, context)
	q = query.get("q", [None])[0]
	status = query.get("status", ["open"])[0] or "open"
	if status != "all" and not q:
		found = [c for c in found if c["status"] == status]
	if query.get("inbox_id"):
		found = [c for c in found if str(c["inbox_id"]) == query["inbox_id"][0]]
	if query.get("team_id"):
		team = mock.teams.get(integer_id(query["team_id"][0]) or 0)
		if team is None or team["account_id"] != context["account_id"]:
			raise not_found()
		found = [c for c in found if c["team_id"] == team["id"]]
	labels = query.get("labels[]") or query.get("labels")
	if labels:
		found = [c for c in found if set(labels) & set(c["label_list"])]
	if q:
		found = [c for c in found if mentions(mock, c, q)]
	unassigned = sum(1 for c in found if not c["assignee_id"])
	meta = {
		"mine_count": sum(1 for c in found if c["assignee_id"] == user["id"]),
		"assigned_count": len(found) - unassigned,
		"unassigned_count": unassigned,
		"all_count": len(found),
	}
	assignee_type = query.get("assignee_type", ["all"])[0]
	selectors = {
		"me": lambda c: c["assignee_id"] == user["id"],
		"assigned": lambda c: bool(c["assignee_id"]),
		"unassigned": lambda c: not c["assignee_id"],
	}
	if assignee_type in selectors:
		found = [c for c in found if selectors[assignee_type](c)]
	found = sort_conversations(mock, found, query.get("sort_by", [None])[0])
	page = page_number(query)
	shown = found[(page - 1) * CONVERSATIONS_PER_PAGE : page * CONVERSATIONS_PER_PAGE]
	return {"data": {"meta": meta, "payload": [mock.presenters.conversation_rest(c, user) for c in shown]}}


def get_conversation(mock, context, params, query, body):
	return mock.presenters.conversation_rest(
		find_conversation(mock, context, params["conversation_id"]), context["user"]
	)


def inbox_visible(mock, context: dict, inbox: dict) -> None:
	"""InboxPolicy#show?: 401 for an inbox the caller has not."""
	if inbox["id"] not in assigned_inbox_ids(mock, context):
		raise not_authorized()


def create_conversation(mock, context, params, query, body):
	"""By inbox and contact (a contact inbox made for them, a new one each time without a
	source_id), else by a source_id already known; the inbox's lock to a single conversation
	gives back the last one. `message` is posted in the same transaction, into whichever
	conversation that is: if it fails, no conversation is made (conversations_controller.rb:39-44)."""
	account_id = context["account_id"]
	inbox = contact = None
	if body.get("inbox_id"):
		inbox = mock.inboxes.get(integer_id(body["inbox_id"]) or 0)
		if inbox is None or inbox["account_id"] != account_id:
			raise not_found()
		inbox_visible(mock, context, inbox)
	if body.get("contact_id"):
		contact = mock.contacts.get(integer_id(body["contact_id"]) or 0)
		if contact is None or contact["account_id"] != account_id:
			raise not_found()
	contact_inbox = conversation_contact_inbox(mock, context, inbox, contact, body.get("source_id"))
	inbox = mock.inboxes[contact_inbox["inbox_id"]]
	message = body.get("message") or None
	earlier = [c for c in mock.all_conversations(account_id) if c["contact_inbox_id"] == contact_inbox["id"]]
	if inbox["lock_to_single_conversation"] and earlier:
		conversation = earlier[-1]
		if message:
			post_in_transaction(mock, context, conversation, message)
		return mock.presenters.conversation_rest(conversation, context["user"])
	if body.get("status") and body["status"] not in STATUSES:
		raise server_error()
	first_message = None
	if message:  # checked before anything is stored, as the rollback would undo it
		values = checked_in_transaction(mock, inbox, [], message)
		first_message = with_sender(mock, values, contact_inbox["contact_id"], account_id, context["user"])
	fields = {
		key: body[key]
		for key in ("status", "assignee_id", "team_id", "custom_attributes", "additional_attributes")
		if body.get(key) is not None
	}
	conversation = mock.create_conversation(
		{
			**fields,
			"inbox_id": inbox["id"],
			"contact_id": contact_inbox["contact_id"],
			"contact_inbox_id": contact_inbox["id"],
		},
		actor=context["user"],
		first_message=first_message,
	)
	return mock.presenters.conversation_rest(conversation, context["user"])


def conversation_contact_inbox(mock, context, inbox: dict | None, contact: dict | None, source_id) -> dict:
	"""The before_action's contact inbox: built for the inbox and contact, else found by source_id
	alone; it stays even when the conversation is rolled back."""
	if inbox and contact:
		taken = next(
			(
				ci
				for ci in mock.contact_inboxes.values()
				if source_id and ci["inbox_id"] == inbox["id"] and ci["source_id"] == source_id
			),
			None,
		)
		if taken and taken["contact_id"] != contact["id"]:
			raise unprocessable("source_id should be unique")
		return taken or mock.store_contact_inbox(contact, inbox, source_id)
	contact_inbox = next(
		(ci for ci in mock.contact_inboxes.values() if source_id and ci["source_id"] == source_id), None
	)
	if contact_inbox is None:
		raise not_found()
	inbox_visible(mock, context, mock.inboxes[contact_inbox["inbox_id"]])
	return contact_inbox


def post_in_transaction(mock, context, conversation: dict, fields: dict) -> dict:
	recent = recent_messages(mock, conversation)
	values = checked_in_transaction(mock, mock.inbox_of(conversation), recent, fields)
	return post_message(mock, context, conversation, values)


def post_message(mock, context, conversation: dict, values: dict) -> dict:
	"""A checked message saved as the caller (Current.user)."""
	user = context["user"]
	sent = with_sender(mock, values, conversation["contact_id"], conversation["account_id"], user)
	return mock.create_message(conversation, sent, actor=user)


def checked_in_transaction(mock, inbox: dict, recent: list, fields: dict) -> dict:
	"""Inside ConversationsController#create nothing rescues the builder: a RecordInvalid is the
	handler's 422, anything else a 500."""
	try:
		return message_values(mock, inbox, recent, fields)
	except MessageRefused as refusal:
		if refusal.attributes is None:
			raise server_error() from None
		raise invalid(refusal.messages, refusal.attributes) from None


def toggle_status(mock, context, params, query, body):
	conversation = find_conversation(mock, context, params["conversation_id"])
	user = context["user"]
	status = body.get("status")
	if status:
		if status not in STATUSES:
			raise server_error()
		values = {"status": status}
		if body.get("snoozed_until") is not None:
			values["snoozed_until"] = unix_time(body["snoozed_until"])
	else:  # Conversation#toggle_status
		values = {"status": "resolved" if conversation["status"] == "open" else "open"}
	mock.change_conversation(conversation, actor=user, **values)
	if conversation["status"] == "open" and context["role"] == "agent":
		mock.change_conversation(conversation, actor=user, assignee_id=user["id"], assignee_agent_bot_id=None)
	return {
		"meta": {},
		"payload": {
			"success": True,
			"conversation_id": conversation["id"],
			"current_status": conversation["status"],
			"snoozed_until": mock.presenters.conversation_rest(conversation)["snoozed_until"],
		},
	}


def unix_time(value) -> int:
	"""`DateTime.strptime(value.to_s, '%s')`: whole seconds, or an error nothing rescues."""
	text = str(value)
	if not re.fullmatch(r"[+-]?\d+", text):
		raise server_error()
	return int(text)


def toggle_priority(mock, context, params, query, body):
	conversation = find_conversation(mock, context, params["conversation_id"])
	priority = body.get("priority") or None
	if priority is not None and priority not in PRIORITIES:
		raise server_error()
	mock.change_conversation(conversation, actor=context["user"], priority=priority)
	return None


def assign(mock, context, params, query, body):
	"""Conversations::AssignmentService: an id that is not a user of the account unassigns."""
	conversation = find_conversation(mock, context, params["conversation_id"])
	user = context["user"]
	if "assignee_id" in body or body.get("assignee_type") == "AgentBot":
		if body.get("assignee_type") == "AgentBot":
			bot = mock.agent_bots.get(integer_id(body.get("assignee_id")) or 0)
			if bot is None or bot.get("account_id") not in (None, context["account_id"]):
				return JSON_NULL
			mock.change_conversation(
				conversation, actor=user, assignee_id=None, assignee_agent_bot_id=bot["id"]
			)
			return mock.presenters.bot_slim(bot)
		assignee = mock.users.get(integer_id(body.get("assignee_id")) or 0)
		if assignee and context["account_id"] not in assignee["accounts"]:
			assignee = None
		mock.change_conversation(
			conversation,
			actor=user,
			assignee_id=assignee["id"] if assignee else None,
			assignee_agent_bot_id=None,
		)
		return mock.presenters.agent(assignee, context["account_id"]) if assignee else JSON_NULL
	if "team_id" in body:
		team = mock.teams.get(integer_id(body.get("team_id")) or 0)
		if team and team["account_id"] != context["account_id"]:
			team = None
		mock.change_conversation(conversation, actor=user, team_id=team["id"] if team else None)
		return mock.presenters.team_record(team) if team else JSON_NULL
	return JSON_NULL


def get_labels(mock, context, params, query, body):
	return {"payload": list(find_conversation(mock, context, params["conversation_id"])["label_list"])}


def set_labels(mock, context, params, query, body):
	"""The whole set is replaced; no `labels` at all, or anything but a list, clears it. The same
	set in another order changes nothing (acts-as-taggable-on 12.0.0, taggable/core.rb:51-58)."""
	conversation = find_conversation(mock, context, params["conversation_id"])
	labels = body.get("labels")
	wanted = tag_list(labels if isinstance(labels, list) else [])
	if sorted(wanted) != sorted(conversation["label_list"]):
		mock.change_conversation(conversation, actor=context["user"], label_list=wanted)
	return {"payload": list(conversation["label_list"])}


def tag_list(labels: list) -> list[str]:
	"""acts-as-taggable-on's DefaultParser on a list: joined with ", ", quoted names taken out
	first, the rest split at commas; then names stripped, blanks dropped, and duplicates dropped
	whatever their case (default_parser.rb:11-35; tag_list.rb:81-90)."""
	text = ", ".join(str(label) for label in labels if isinstance(label, str | int | float))
	names: list[str] = []

	def take(match: re.Match) -> str:
		names.append(match.group(2))
		return ""

	for quote in ('"', "'"):
		text = re.sub(rf"(\A|,)\s*{quote}(.*?){quote}\s*(?=,\s*|\Z)", take, text)
	names += text.split(",")
	kept: dict[str, str] = {}
	for name in (n.strip() for n in names):
		if name:
			kept.setdefault(name.lower(), name)
	return list(kept.values())


# Messages


def list_messages(mock, context, params, query, body):
	"""MessageFinder: the latest 20; 20 before a message; up to 100 after one; between two, the
	first included."""
	conversation = find_conversation(mock, context, params["conversation_id"])
	mine = sorted(mock.messages_of(conversation), key=lambda m: m["created_at"])
	before, after = query.get("before", [None])[0], query.get("after", [None])[0]
	if after and before:
		page = [m for m in mine if int(after) <= m["id"] < int(before)][:MESSAGES_BETWEEN_LIMIT]
	elif before:
		page = [m for m in mine if m["id"] < int(before)][-MESSAGES_PER_PAGE:]
	elif after:
		page = [m for m in mine if m["id"] > int(after)][:MESSAGES_AFTER_LIMIT]
	else:
		page = mine[-MESSAGES_PER_PAGE:]
	contact = mock.contacts[conversation["contact_id"]]
	meta = {
		"labels": list(conversation["label_list"]),
		"additional_attributes": conversation["additional_attributes"],
		"contact": mock.presenters.contact_push(contact),
	}
	assignee = mock.users.get(conversation["assignee_id"] or 0)
	if assignee:
		meta["assignee"] = mock.presenters.user_push(assignee)
	meta.update(
		agent_last_seen_at=iso(conversation["agent_last_seen_at"]),
		assignee_last_seen_at=iso(conversation["assignee_last_seen_at"]),
	)
	return {"meta": meta, "payload": [mock.presenters.message_rest(m) for m in page]}


class MessageRefused(Exception):
	"""What Messages::MessageBuilder raises: a RecordInvalid (with attributes) or any other error."""

	def __init__(self, messages: list[str], attributes: list[str] | None = None):
		super().__init__(", ".join(messages))
		self.messages, self.attributes = messages, attributes

	def text(self) -> str:
		"""The exception's message, as MessagesController#create renders it."""
		return f"Validation failed: {self}" if self.attributes is not None else str(self)


def recent_messages(mock, conversation: dict) -> list[dict]:
	return [m for m in mock.messages_of(conversation) if m["created_at"] >= mock.clock() - 60]


def message_values(mock, inbox: dict, recent: list, fields: dict) -> dict:
	"""Messages::MessageBuilder's message, checked as building and saving it checks it
	(app/builders/messages/message_builder.rb:108-157; app/models/message.rb:48-80,288-298)."""
	message_type = fields.get("message_type") or "outgoing"
	if message_type == "incoming" and inbox["channel_type"] != "Channel::Api":
		raise MessageRefused(["Incoming messages are only allowed in Api inboxes"])
	if message_type not in MESSAGE_TYPES:
		raise MessageRefused([f"'{message_type}' is not a valid message_type"])
	content_type = fields.get("content_type") or "text"
	if content_type not in CONTENT_TYPES:
		raise MessageRefused([f"'{content_type}' is not a valid content_type"])
	attributes = fields.get("content_attributes") or {}
	if isinstance(attributes, str):
		attributes = parsed_json(attributes)
	additional = {}
	if fields.get("template_params"):
		additional["template_params"] = fields["template_params"]
	failures = []
	if len(recent) >= MESSAGES_PER_MINUTE:
		failures.append(("base", "Too many messages"))
	template = additional.get("template_params")
	if template is not None and not isinstance(template, dict):
		failures.append(("template_params", "Template params must be of type hash"))
	elif template is not None and "name" not in template:
		failures.append(("name", "Name is required"))
	content = fields.get("content")
	if isinstance(content, str) and len(content) > MESSAGE_LENGTH_LIMIT:
		failures.append(("content", f"Content is too long (maximum is {MESSAGE_LENGTH_LIMIT} characters)"))
	if failures:
		raise MessageRefused([m for _a, m in failures], list(dict.fromkeys(a for a, _m in failures)))
	return {
		"content": content,
		"message_type": message_type,
		"private": str(fields.get("private", False)).lower() in ("true", "1"),
		"content_type": content_type,
		"content_attributes": attributes if isinstance(attributes, dict) else {},
		"additional_attributes": additional,
		"source_id": fields.get("source_id"),
		"attachments": attachments_of(
			mock, fields.get("attachments[]") or fields.get("attachments") or [], inbox["account_id"]
		),
		"sender_type": fields.get("sender_type"),
		"sender_id": fields.get("sender_id"),
	}


def parsed_json(text: str) -> dict:
	"""`safe_parse_json`: a JSON text that is not valid is an empty hash."""
	try:
		return json.loads(text)
	except ValueError:
		return {}


def with_sender(mock, values: dict, contact_id: int, account_id: int, user: dict) -> dict:
	"""An outgoing message is the caller's, or a bot's named by sender_type AgentBot; any other type
	is the conversation's contact's (message_builder.rb:116-118,136-140)."""
	sender_type, sender_id = values.pop("sender_type"), integer_id(values.pop("sender_id"))
	if values["message_type"] != "outgoing":
		return {**values, "sender_type": "Contact", "sender_id": contact_id}
	bot = mock.agent_bots.get(sender_id or 0) if sender_type == "AgentBot" else None
	if bot and bot.get("account_id") in (None, account_id):
		return {**values, "sender_type": "AgentBot", "sender_id": bot["id"]}
	return {**values, "sender_type": "User", "sender_id": user["id"]}


def attachments_of(mock, files, account_id: int) -> list[dict]:
	"""Attachments sent as multipart `attachments[]`, as `push_event_data` shows them."""
	made = []
	for upload in files if isinstance(files, list) else [files]:
		if not isinstance(upload, dict) or "data" not in upload:
			continue
		kind = upload.get("content_type", "application/octet-stream")
		file_type = next((t for t in ("image", "audio", "video") if kind.startswith(t + "/")), "file")
		number = mock.next_id("message") + 500_000
		made.append(
			{
				"id": number,
				"message_id": None,
				"file_type": file_type,
				"account_id": account_id,
				"extension": (upload.get("filename") or "").rsplit(".", 1)[-1]
				if "." in (upload.get("filename") or "")
				else None,
				"data_url": f"{mock.url}/rails/active_storage/blobs/{uuid.uuid4().hex}/{upload.get('filename')}",
				"thumb_url": "",
				"file_size": len(upload["data"]),
				"width": None,
				"height": None,
				"filename": upload.get("filename"),
				"content_type": kind,
			}
		)
	return made


def create_message(mock, context, params, query, body):
	"""MessagesController#create rescues whatever the builder raises as a 422 `{"error": …}`."""
	conversation = find_conversation(mock, context, params["conversation_id"])
	try:
		values = message_values(mock, mock.inbox_of(conversation), recent_messages(mock, conversation), body)
	except MessageRefused as refusal:
		raise unprocessable(refusal.text()) from None
	message = post_message(mock, context, conversation, values)
	return mock.presenters.message_rest(message, echo_id=body.get("echo_id"))


def update_message(mock, context, params, query, body):
	"""A message's delivery status, for API inboxes only: that is checked before the message is
	looked up (messages_controller.rb:2,16-19); an invalid status changes nothing."""
	conversation = find_conversation(mock, context, params["conversation_id"])
	if mock.inbox_of(conversation)["channel_type"] != "Channel::Api":
		raise ApiError(403, {"error": "Message status update is only allowed for API inboxes"})
	message = conversation_message(mock, conversation, params["message_id"])
	mock.update_message_status(message, body.get("status"), body.get("external_error"))
	return mock.presenters.message_rest(message)


def conversation_message(mock, conversation: dict, message_id) -> dict:
	message = next((m for m in mock.messages_of(conversation) if m["id"] == int(message_id)), None)
	if message is None:
		raise not_found()
	return message


def delete_message(mock, context, params, query, body):
	conversation = find_conversation(mock, context, params["conversation_id"])
	message = conversation_message(mock, conversation, params["message_id"])
	mock.delete_message(message)
	return mock.presenters.message_rest(message)


A = "/api/v1/accounts/{account_id}"
C = f"{A}/conversations/{{conversation_id}}"
ROUTES = [
	route("GET", f"{A}/conversations", list_conversations),
	route("POST", f"{A}/conversations", create_conversation),
	route("GET", C, get_conversation),
	route("POST", f"{C}/toggle_status", toggle_status),
	route("POST", f"{C}/toggle_priority", toggle_priority),
	route("POST", f"{C}/assignments", assign),
	route("GET", f"{C}/labels", get_labels),
	route("POST", f"{C}/labels", set_labels),
	route("GET", f"{C}/messages", list_messages),
	route("POST", f"{C}/messages", create_message),
	route("PATCH", f"{C}/messages/{{message_id}}", update_message),
	route("DELETE", f"{C}/messages/{{message_id}}", delete_message),
]
