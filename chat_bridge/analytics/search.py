"""Finding conversations by what was said in them.

The synced messages (Communications of medium Chat) are searched as the user, with Frappe's
permissions; while API access is on, Chatwoot's own message search adds what ERPNext has not
synced, seen with the user's own Chatwoot token. Each conversation is listed once, with where
it was said, its ERPNext record and its place in Chatwoot.
"""

import frappe

from chat_bridge.accounts import visible_accounts
from chat_bridge.chatwoot.events import parse_time
from chat_bridge.chatwoot.presenters import conversation_url, match_snippet, says
from chat_bridge.clients import user_client
from chat_bridge.features import Feature
from chat_bridge.records.conversations import MAPPING_DOCTYPE
from chat_bridge.records.times import to_site_time
from chat_bridge.settings import feature_enabled
from chat_bridge.sync.messages import sanitized_html

FOUND = 20


def like_pattern(text: str) -> str:
	"""`text` anywhere in a field.

	Frappe's list queries take a LIKE value's backslashes literally, so `%` and `_` in the text
	cannot be escaped there: they stay wildcards, and the caller keeps only the literal matches
	(`has_wildcards`).
	"""
	return f"%{text}%"


def has_wildcards(text: str) -> bool:
	return "%" in text or "_" in text


def search_conversations(text: str) -> list[dict]:
	"""Conversations of every account the reader may see; a conversation's id is its account's."""
	accounts = {account.account_id: account for account in visible_accounts()}
	found: dict[tuple[int, int], dict] = {}
	for hit in [*synced_matches(text, list(accounts)), *chatwoot_matches(text, accounts)]:
		found.setdefault((hit["account_id"], hit["conversation_id"]), hit)
	for hit in found.values():
		account = accounts[hit["account_id"]]
		hit["chatwoot_url"] = conversation_url(
			account.chatwoot_url, account.account_id, hit["conversation_id"]
		)
	return list(found.values())[:FOUND]


def synced_matches(text: str, account_ids: list[int]) -> list[dict]:
	if not frappe.has_permission("Communication", "read"):
		return []
	messages = frappe.get_list(
		"Communication",
		# The sync stores what was said as escaped HTML (O&#x27;Reilly): the text is sought as stored.
		filters={"communication_medium": "Chat", "content": ("like", like_pattern(sanitized_html(text)))},
		fields=[
			"name",
			"reference_doctype",
			"reference_name",
			"communication_date",
			"sender_full_name",
			"content",
		],
		order_by="communication_date desc",
		limit=FOUND * 3,
	)
	if has_wildcards(text):
		messages = [m for m in messages if says(m.content, text)]
	mappings = mappings_of(messages, account_ids)
	hits = []
	for message in messages:
		mapping = mappings.get((message.reference_doctype, message.reference_name))
		if mapping:
			hits.append(
				hit(
					mapping,
					match_snippet(message.content, text),
					message.communication_date,
					message.sender_full_name,
					"ERPNext",
				)
			)
	return hits


# What a hit needs of a conversation's mapping.
HIT_FIELDS = [
	"name",
	"account_id",
	"chatwoot_conversation_id",
	"contact",
	"reference_doctype",
	"reference_name",
]


def mappings_of(messages: list, account_ids: list[int]) -> dict[tuple[str, str], frappe._dict]:
	"""The conversation mappings of the accounts that the messages are filed under (directly, or
	through their Issue)."""
	direct = [m.reference_name for m in messages if m.reference_doctype == MAPPING_DOCTYPE]
	issues = [m.reference_name for m in messages if m.reference_doctype == "Issue"]
	fields = HIT_FIELDS
	accounts = ("in", account_ids or [0])
	found = {}
	for row in frappe.get_all(
		MAPPING_DOCTYPE, filters={"name": ("in", direct or [""]), "account_id": accounts}, fields=fields
	):
		found[(MAPPING_DOCTYPE, row.name)] = row
	for row in frappe.get_all(
		MAPPING_DOCTYPE,
		filters={
			"reference_doctype": "Issue",
			"reference_name": ("in", issues or [""]),
			"account_id": accounts,
		},
		fields=fields,
	):
		found[("Issue", row.reference_name)] = row
	return found


def chatwoot_matches(text: str, accounts: dict) -> list[dict]:
	"""Chatwoot's own search, in the account of the reader's token, when they may see it."""
	if not feature_enabled(Feature.API):
		return []
	client = user_client()
	if client.account_id not in accounts:
		return []
	messages = (client.search_messages(text).get("payload") or {}).get("messages") or []
	ids = {m.get("conversation_id") for m in messages if m.get("conversation_id")}
	mappings = {
		row.chatwoot_conversation_id: row
		for row in frappe.get_all(
			MAPPING_DOCTYPE,
			filters={"account_id": client.account_id, "chatwoot_conversation_id": ("in", list(ids) or [0])},
			fields=HIT_FIELDS,
		)
	}
	return [
		hit(
			mappings.get(m["conversation_id"])
			or frappe._dict(account_id=client.account_id, chatwoot_conversation_id=m["conversation_id"]),
			match_snippet(m.get("content"), text),
			to_site_time(parse_time(m.get("created_at"))),
			(m.get("sender") or {}).get("name"),
			"Chatwoot",
		)
		for m in messages
		if m.get("conversation_id")
	]


def hit(mapping, snippet: str, at, who: str | None, source: str) -> dict:
	return {
		"account_id": mapping.account_id,
		"conversation_id": mapping.chatwoot_conversation_id,
		"snippet": snippet,
		"at": at,
		"who": who,
		"record": record_of(mapping),
		"mapping": mapping.get("name"),
		"source": source,
	}


def record_of(mapping) -> dict | None:
	"""The ERPNext record a conversation is best opened at: its Issue (or whatever it is filed
	under), its Contact, or at least its mapping; None when ERPNext has not synced it."""
	if mapping.get("reference_doctype") and mapping.get("reference_name"):
		return {"doctype": mapping.reference_doctype, "name": mapping.reference_name}
	if mapping.get("contact"):
		return {"doctype": "Contact", "name": mapping.contact}
	if mapping.get("name"):
		return {"doctype": MAPPING_DOCTYPE, "name": mapping.name}
	return None
