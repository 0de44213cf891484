"""The Chatwoot Application API for one account.

Methods return Chatwoot's JSON as it comes, envelopes included, so what the client returns is what
Chatwoot's documentation shows. The `iter_*` methods page through a listing and yield its items, one
page in memory at a time, hiding the envelopes (`payload`, `data.payload`).

Conversation ids are always the per-account display id: the number shown in Chatwoot and used in
webhook payloads.
"""

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from chat_bridge.chatwoot.retry import RetryPolicy
from chat_bridge.chatwoot.transport import DEFAULT_TIMEOUT, Transport
from chat_bridge.chatwoot.urls import parse_account_id
from chat_bridge.chatwoot.values import Upload, check_choice, drop_none, record_id, unix_time

CONVERSATION_STATUSES = ("open", "resolved", "pending", "snoozed")
PRIORITIES = ("low", "medium", "high", "urgent")
# The message types the API lets a caller post (incoming only into API inboxes).
SENDABLE_MESSAGE_TYPES = ("outgoing", "incoming")
# Messages Chatwoot gives at most for one `after` cursor (MessageFinder: newer ones, oldest first),
# and for the latest page or one `before` cursor.
MESSAGES_AFTER_LIMIT = 100
MESSAGES_PER_PAGE = 20
ATTRIBUTE_MODELS = ("contact_attribute", "conversation_attribute")
ATTRIBUTE_DISPLAY_TYPES = ("text", "number", "currency", "percent", "link", "date", "list", "checkbox")
# The events an account webhook may subscribe to (Webhook::ALLOWED_WEBHOOK_EVENTS in Chatwoot).
WEBHOOK_EVENTS = (
	"conversation_created",
	"conversation_updated",
	"conversation_status_changed",
	"message_created",
	"message_updated",
	"contact_created",
	"contact_updated",
	"webwidget_triggered",
	"inbox_created",
	"inbox_updated",
	"conversation_typing_on",
	"conversation_typing_off",
)


class ChatwootAPI:
	"""`ChatwootAPI("https://chat.example.com", token, account_id=3).list_conversations()`"""

	def __init__(
		self,
		base_url: str,
		api_access_token: str,
		account_id: int | str,
		*,
		timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
		retry: RetryPolicy | None = None,
		transport: Transport | None = None,
	):
		self.account_id = parse_account_id(account_id)
		self.transport = transport or Transport(base_url, api_access_token, timeout=timeout, retry=retry)
		self.base_url = self.transport.base_url

	def __repr__(self) -> str:
		return f"ChatwootAPI({self.base_url!r}, account_id={self.account_id})"

	def close(self) -> None:
		self.transport.close()

	def __enter__(self) -> "ChatwootAPI":
		return self

	def __exit__(self, *exc) -> None:
		self.close()

	def _account(self, path: str = "") -> str:
		return f"/api/v1/accounts/{self.account_id}{path}"

	def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
		return self.transport.request("GET", path, params=drop_none(params))

	def _post(self, path: str, body: Any = None, *, idempotent: bool = False, params=None) -> Any:
		return self.transport.request("POST", path, json_body=body, idempotent=idempotent, params=params)

	# Account and profile

	def get_account(self) -> dict:
		return self._get(self._account())

	def get_profile(self) -> dict:
		"""The user the token belongs to, with their role in each account."""
		return self._get("/api/v1/profile")

	# Contacts

	def list_contacts(self, page: int = 1, sort: str | None = None) -> dict:
		"""One page (15) of contacts: `{meta: {count, current_page}, payload: [...]}`.

		Chatwoot lists only contacts with an email, phone number or identifier; `search_contacts`
		and `filter_contacts` find the others.
		"""
		return self._get(self._account("/contacts"), {"page": page, "sort": sort})

	def iter_contacts(self, sort: str | None = None) -> Iterator[dict]:
		return _iter_pages(lambda page: self.list_contacts(page=page, sort=sort).get("payload"))

	def contact_pages(self) -> Iterator[tuple[list[dict], int | None]]:
		"""Every page of contacts, with how many Chatwoot says there are in all.

		Oldest first: unsorted, Chatwoot lists contacts in table order, where a contact that changes
		(as every customer message changes it) moves and pushes another past the page being read
		(app/controllers/api/v1/accounts/contacts_controller.rb:133-142). Creation order only grows
		at its end."""

		def fetch(page: int):
			answer = self.list_contacts(page=page, sort="created_at")
			return answer.get("payload"), (answer.get("meta") or {}).get("count")

		return _pages(fetch)

	def search_contacts(self, q: str, page: int = 1) -> dict:
		return self._get(self._account("/contacts/search"), {"q": q, "page": page})

	def filter_contacts(self, conditions: Iterable[Mapping[str, Any]], page: int = 1) -> dict:
		"""Contacts matching Chatwoot filter `conditions`, e.g.
		`[{"attribute_key": "email", "filter_operator": "equal_to", "values": ["a@b.c"], "query_operator": None}]`.
		"""
		# A search sent as POST: as safe to repeat as a GET.
		return self._post(
			self._account("/contacts/filter"),
			{"payload": list(conditions)},
			idempotent=True,
			params={"page": page},
		)

	def get_contact(self, contact_id: int) -> dict:
		return self._get(self._account(f"/contacts/{record_id(contact_id)}"))

	def create_contact(self, **fields) -> dict:
		"""`{payload: {contact: {...}, contact_inbox: {...}}}`; 422 when the email or phone is taken."""
		return self._post(self._account("/contacts"), fields)

	def update_contact(self, contact_id: int, **fields) -> dict:
		"""Chatwoot merges `custom_attributes` and `additional_attributes` into what it has."""
		return self.transport.request(
			"PUT", self._account(f"/contacts/{record_id(contact_id)}"), json_body=fields
		)

	def get_contact_conversations(self, contact_id: int) -> dict:
		"""The contact's 20 most recent conversations (Chatwoot does not page this)."""
		return self._get(self._account(f"/contacts/{record_id(contact_id)}/conversations"))

	# Conversations

	def list_conversations(
		self,
		status: str = "open",
		assignee_type: str = "all",
		page: int = 1,
		inbox_id: int | None = None,
		team_id: int | None = None,
		labels: Iterable[str] | None = None,
	) -> dict:
		"""One page (25) of conversations: `{data: {meta: {...counts}, payload: [...]}}`.

		`status` is one of open, resolved, pending, snoozed or all; `assignee_type` one of me,
		unassigned, assigned or all. The counts in `meta` are totals, not this page's size.
		"""
		check_choice("status", status, (*CONVERSATION_STATUSES, "all"))
		check_choice("assignee_type", assignee_type, ("me", "unassigned", "assigned", "all"))
		params = {
			"status": status,
			"assignee_type": assignee_type,
			"page": page,
			"inbox_id": inbox_id,
			"team_id": team_id,
			"labels[]": list(labels) if labels else None,
		}
		return self._get(self._account("/conversations"), params)

	def iter_conversations(self, **filters) -> Iterator[dict]:
		"""Every conversation matching `filters` (those of list_conversations), page by page."""
		return _iter_pages(
			lambda page: (self.list_conversations(page=page, **filters).get("data") or {}).get("payload")
		)

	def conversation_pages(self, **filters) -> Iterator[tuple[list[dict], int | None]]:
		"""Every page of conversations matching `filters`, with how many there are in all."""

		def fetch(page: int):
			data = self.list_conversations(page=page, **filters).get("data") or {}
			return data.get("payload"), (data.get("meta") or {}).get("all_count")

		return _pages(fetch)

	def get_conversation(self, display_id: int) -> dict:
		return self._get(self._account(f"/conversations/{record_id(display_id)}"))

	def create_conversation(
		self,
		*,
		source_id: str | None = None,
		inbox_id: int | None = None,
		contact_id: int | None = None,
		**fields,
	) -> dict:
		"""Open a conversation by `source_id`, or by `inbox_id` and `contact_id`."""
		if not source_id and not (inbox_id and contact_id):
			raise ValueError("create_conversation needs a source_id, or an inbox_id and a contact_id.")
		body = drop_none({"source_id": source_id, "inbox_id": inbox_id, "contact_id": contact_id, **fields})
		return self._post(self._account("/conversations"), body)

	def toggle_status(
		self, display_id: int, status: str, snoozed_until: datetime | int | None = None
	) -> dict:
		check_choice("status", status, CONVERSATION_STATUSES)
		body = drop_none({"status": status, "snoozed_until": unix_time(snoozed_until)})
		return self._post(
			self._account(f"/conversations/{record_id(display_id)}/toggle_status"), body, idempotent=True
		)

	def toggle_priority(self, display_id: int, priority: str | None) -> None:
		"""Set the priority (low, medium, high, urgent, or None for none); Chatwoot answers with no body."""
		if priority is not None:
			check_choice("priority", priority, PRIORITIES)
		return self._post(
			self._account(f"/conversations/{record_id(display_id)}/toggle_priority"),
			{"priority": priority},
			idempotent=True,
		)

	def assign_conversation(
		self,
		display_id: int,
		assignee_id: int | None = None,
		team_id: int | None = None,
		*,
		agent_bot_id: int | None = None,
	) -> Any:
		"""Assign an agent (or an agent bot), a team, or both; with none, unassign the agent.
		Returns Chatwoot's last answer.

		Chatwoot unassigns, and answers 200 with null, for an agent who is not a member of the
		account (app/services/conversations/assignment_service.rb:16-21,32-34)."""
		path = self._account(f"/conversations/{record_id(display_id)}/assignments")
		result = None
		if team_id is not None:
			result = self._post(path, {"team_id": record_id(team_id)}, idempotent=True)
		if agent_bot_id is not None:
			body = {"assignee_id": record_id(agent_bot_id), "assignee_type": "AgentBot"}
			result = self._post(path, body, idempotent=True)
		elif assignee_id is not None or team_id is None:
			agent = record_id(assignee_id) if assignee_id is not None else None
			result = self._post(path, {"assignee_id": agent}, idempotent=True)
		return result

	def get_labels(self, display_id: int) -> dict:
		return self._get(self._account(f"/conversations/{record_id(display_id)}/labels"))

	def set_labels(self, display_id: int, labels: Iterable[str]) -> dict:
		"""Replace the conversation's labels with `labels`."""
		return self._post(
			self._account(f"/conversations/{record_id(display_id)}/labels"),
			{"labels": list(labels)},
			idempotent=True,
		)

	def add_labels(self, display_id: int, labels: Iterable[str]) -> dict:
		"""Add `labels` to those the conversation has.

		Chatwoot's endpoint replaces the whole set, so the current set is read and merged first.
		A label changed by someone else between the read and the write is lost; Chatwoot offers no
		way to avoid that.
		"""
		current = self.get_labels(display_id).get("payload") or []
		merged = list(dict.fromkeys([*current, *labels]))
		if merged == current:
			return {"payload": current}
		return self.set_labels(display_id, merged)

	# Messages

	def list_messages(self, display_id: int, before: int | None = None, after: int | None = None) -> dict:
		"""`{meta, payload: [...]}`, oldest first: the latest 20 with no cursor; 20 older than message
		`before`; up to 100 newer than message `after`."""
		return self._get(
			self._account(f"/conversations/{record_id(display_id)}/messages"),
			{"before": before, "after": after},
		)

	def iter_messages(self, display_id: int, after: int = 0) -> Iterator[dict]:
		"""Every message of the conversation (newer than message `after`, if given), oldest first.

		Paged forwards with `after`, which Chatwoot answers oldest first, so messages stream in
		order without the whole conversation being held in memory.
		"""
		while True:
			page = self.list_messages(display_id, after=after).get("payload") or []
			# Only what lies past the cursor: a server that ignored `after` would otherwise hand
			# back the same page forever.
			fresh = [message for message in page if int(message["id"]) > after]
			if not fresh:
				return
			yield from fresh
			if len(page) < MESSAGES_AFTER_LIMIT:
				return  # a short page is the last: asking again would only bring an empty one
			after = max(int(message["id"]) for message in fresh)

	def iter_messages_since(self, display_id: int, since: datetime) -> Iterator[dict]:
		"""The conversation's messages created since `since`, whatever arrived (or not) in between:
		the latest page, then older ones (`before`), until a page reaches back past `since`."""
		since_epoch = unix_time(since)
		before: int | None = None
		while True:
			page = self.list_messages(display_id, before=before).get("payload") or []
			if before is not None:
				page = [m for m in page if int(m["id"]) < before]  # a server ignoring the cursor ends here
			recent = [m for m in page if int(m.get("created_at") or since_epoch) >= since_epoch]
			yield from recent
			if not page or len(recent) < len(page) or len(page) < MESSAGES_PER_PAGE:
				return
			before = min(int(m["id"]) for m in page)

	def send_message(
		self,
		display_id: int,
		content: str,
		private: bool = False,
		message_type: str = "outgoing",
		content_attributes: Mapping[str, Any] | None = None,
		attachments: Sequence[Upload] = (),
		template_params: Mapping[str, Any] | None = None,
	) -> dict:
		"""Post a reply (or, with `private`, an internal note), with files as Chatwoot attachments
		(multipart `attachments[]`). Never retried once it may have reached Chatwoot: a retry could
		give the customer the same message twice."""
		check_choice("message_type", message_type, SENDABLE_MESSAGE_TYPES)
		if not content or not str(content).strip():
			raise ValueError("A message needs some content.")
		if attachments and template_params:
			raise ValueError("A WhatsApp template message carries no attachments.")
		path = self._account(f"/conversations/{record_id(display_id)}/messages")
		body = drop_none(
			{
				"content": content,
				"message_type": message_type,
				"private": bool(private),
				"content_attributes": dict(content_attributes) if content_attributes else None,
				# A WhatsApp template by name, language and parameters: what the channel takes
				# outside its reply window (Whatsapp::SendOnWhatsappService#perform_reply).
				"template_params": dict(template_params) if template_params else None,
			}
		)
		if not attachments:
			return self._post(path, body)
		# A form's fields are strings: Rails casts "true", and takes content_attributes as JSON text.
		form = {
			**body,
			"private": "true" if private else "false",
			**({"content_attributes": json.dumps(body["content_attributes"])} if content_attributes else {}),
		}
		files = [("attachments[]", (a.filename, a.content, a.content_type)) for a in attachments]
		return self.transport.request("POST", path, form=form, files=files, idempotent=False)

	# Account configuration

	def list_inboxes(self) -> dict:
		return self._get(self._account("/inboxes"))

	def list_inbox_members(self, inbox_id: int) -> dict:
		"""`{payload: [agent, …]}`: the agents of an inbox."""
		return self._get(self._account(f"/inbox_members/{record_id(inbox_id)}"))

	def add_inbox_members(self, inbox_id: int, user_ids: Iterable[int]) -> dict:
		"""Add agents to an inbox, keeping its other members (POST adds; PATCH would replace them all)."""
		body = {"inbox_id": record_id(inbox_id), "user_ids": [record_id(u) for u in user_ids]}
		return self._post(self._account("/inbox_members"), body)

	def remove_inbox_members(self, inbox_id: int, user_ids: Iterable[int]) -> Any:
		body = {"inbox_id": record_id(inbox_id), "user_ids": [record_id(u) for u in user_ids]}
		return self.transport.request("DELETE", self._account("/inbox_members"), json_body=body)

	def list_account_labels(self) -> dict:
		return self._get(self._account("/labels"))

	def list_teams(self) -> list:
		return self._get(self._account("/teams"))

	def list_agents(self) -> list:
		return self._get(self._account("/agents"))

	def create_agent(self, name: str, email: str, role: str = "agent", **fields) -> dict:
		check_choice("role", role, ("agent", "administrator"))
		return self._post(self._account("/agents"), {"name": name, "email": email, "role": role, **fields})

	def update_agent(self, agent_id: int, **fields) -> dict:
		return self.transport.request(
			"PATCH", self._account(f"/agents/{record_id(agent_id)}"), json_body=fields
		)

	def delete_agent(self, agent_id: int) -> Any:
		return self.transport.request("DELETE", self._account(f"/agents/{record_id(agent_id)}"))

	# Webhooks (administrators only)

	def list_webhooks(self) -> dict:
		"""`{payload: {webhooks: [{id, url, name, subscriptions, secret, …}]}}`"""
		return self._get(self._account("/webhooks"))

	def create_webhook(self, url: str, subscriptions: Iterable[str], name: str | None = None) -> dict:
		"""`{payload: {webhook: {…, secret}}}`: the secret Chatwoot signs deliveries with (4.11.2+)."""
		body = {
			"webhook": drop_none({"url": url, "subscriptions": _subscriptions(subscriptions), "name": name})
		}
		return self._post(self._account("/webhooks"), body)

	def update_webhook(
		self,
		webhook_id: int,
		*,
		url: str | None = None,
		subscriptions: Iterable[str] | None = None,
		name: str | None = None,
	) -> dict:
		webhook = drop_none(
			{
				"url": url,
				"subscriptions": _subscriptions(subscriptions) if subscriptions is not None else None,
				"name": name,
			}
		)
		return self.transport.request(
			"PATCH", self._account(f"/webhooks/{record_id(webhook_id)}"), json_body={"webhook": webhook}
		)

	def delete_webhook(self, webhook_id: int) -> Any:
		return self.transport.request("DELETE", self._account(f"/webhooks/{record_id(webhook_id)}"))

	# Dashboard apps: pages Chatwoot frames beside a conversation (create/update/delete need an administrator)

	def list_dashboard_apps(self) -> list:
		"""A bare array of `{id, title, content: [{type: "frame", url}], created_at}`."""
		return self._get(self._account("/dashboard_apps"))

	def create_dashboard_app(self, title: str, url: str) -> dict:
		return self._post(self._account("/dashboard_apps"), _dashboard_app(title, url))

	def update_dashboard_app(self, app_id: int, title: str, url: str) -> dict:
		return self.transport.request(
			"PATCH",
			self._account(f"/dashboard_apps/{record_id(app_id)}"),
			json_body=_dashboard_app(title, url),
		)

	def delete_dashboard_app(self, app_id: int) -> Any:
		return self.transport.request("DELETE", self._account(f"/dashboard_apps/{record_id(app_id)}"))

	# Custom attribute definitions (create/update need an administrator)

	def list_custom_attribute_definitions(self, model: str = "contact_attribute") -> list:
		"""A bare array of the account's definitions for contacts or conversations."""
		check_choice("attribute_model", model, ATTRIBUTE_MODELS)
		return self._get(self._account("/custom_attribute_definitions"), {"attribute_model": model})

	def create_custom_attribute_definition(
		self,
		key: str,
		display_name: str,
		display_type: str,
		model: str = "contact_attribute",
		description: str | None = None,
	) -> dict:
		body = _attribute_definition(key, display_name, display_type, model, description)
		return self._post(self._account("/custom_attribute_definitions"), body)

	def update_custom_attribute_definition(
		self, definition_id: int, display_name: str, display_type: str, description: str | None = None
	) -> dict:
		"""Chatwoot keeps a definition's key and model; its name, type and description can change."""
		check_choice("attribute_display_type", display_type, ATTRIBUTE_DISPLAY_TYPES)
		body = {
			"custom_attribute_definition": drop_none(
				{
					"attribute_display_name": display_name,
					"attribute_display_type": display_type,
					"attribute_description": description,
				}
			)
		}
		return self.transport.request(
			"PATCH",
			self._account(f"/custom_attribute_definitions/{record_id(definition_id)}"),
			json_body=body,
		)

	# Reports

	def get_report_summary(
		self, since: datetime | int, until: datetime | int, type: str = "account", id: int | None = None
	) -> dict:
		"""Counts and average times (in seconds) over [since, until], and the same for the period before."""
		check_choice("type", type, ("account", "agent", "inbox", "label", "team"))
		params = {"type": type, "id": id, "since": unix_time(since), "until": unix_time(until)}
		return self._get(f"/api/v2/accounts/{self.account_id}/reports/summary", params)

	def get_agent_summaries(self, since: datetime | int, until: datetime | int) -> list[dict]:
		"""One row per agent of the account over [since, until): `{id, conversations_count,
		resolved_conversations_count, avg_resolution_time, avg_first_response_time, avg_reply_time}`.
		One request for every agent, which the reports rate limit does not count
		(config/initializers/rack_attack.rb:218-235); it has no message counts."""
		params = {"since": unix_time(since), "until": unix_time(until)}
		return self._get(f"/api/v2/accounts/{self.account_id}/summary_reports/agent", params) or []

	def get_csat_metrics(
		self, since: datetime | int, until: datetime | int, user_ids: Iterable[int] | None = None
	) -> dict:
		"""`{total_count, ratings_count: {rating: count}, total_sent_messages_count}` over the period,
		for the conversations of `user_ids` when given."""
		params = {
			"since": unix_time(since),
			"until": unix_time(until),
			"user_ids[]": [record_id(u) for u in user_ids] if user_ids else None,
		}
		return self._get(self._account("/csat_survey_responses/metrics"), params)

	# Search

	def search_messages(self, q: str, page: int = 1) -> dict:
		"""`{payload: {messages: [{id, content, conversation_id, created_at, sender, …}], meta}}`:
		messages whose text matches `q`, in conversations the token may see."""
		return self._get(self._account("/search/messages"), {"q": q, "page": page})


def _pages(fetch: Callable[[int], tuple[list | None, int | None]]) -> Iterator[tuple[list[dict], int | None]]:
	"""Pages 1, 2, … and the total each states, until an empty page."""
	page = 1
	while True:
		items, total = fetch(page)
		if not items:
			return
		yield items, total
		page += 1


def _iter_pages(fetch: Callable[[int], list | None]) -> Iterator[dict]:
	"""Items of pages 1, 2, … until an empty page: Chatwoot's counts are totals, not page sizes."""
	page = 1
	while True:
		items = fetch(page) or []
		if not items:
			return
		yield from items
		page += 1


def _dashboard_app(title: str, url: str) -> dict:
	if not title or not url:
		raise ValueError("A dashboard app needs a title and a URL.")
	return {"dashboard_app": {"title": title, "content": [{"type": "frame", "url": url}]}}


def _attribute_definition(
	key: str, display_name: str, display_type: str, model: str, description: str | None
) -> dict:
	check_choice("attribute_display_type", display_type, ATTRIBUTE_DISPLAY_TYPES)
	check_choice("attribute_model", model, ATTRIBUTE_MODELS)
	return {
		"custom_attribute_definition": drop_none(
			{
				"attribute_key": key,
				"attribute_display_name": display_name,
				"attribute_display_type": display_type,
				"attribute_model": model,
				"attribute_description": description,
			}
		)
	}


def _subscriptions(events: Iterable[str]) -> list[str]:
	events = list(dict.fromkeys(events))
	if not events:
		raise ValueError("A webhook needs at least one event.")
	for event in events:
		check_choice("webhook event", event, WEBHOOK_EVENTS)
	return events
