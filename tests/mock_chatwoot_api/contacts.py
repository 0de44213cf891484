"""Contacts: listed, searched, filtered, made, read, changed, and their conversations."""

import uuid

from tests.mock_chatwoot_api.errors import not_found, server_error, unprocessable
from tests.mock_chatwoot_api.routing import integer_id, page_number, route

CONTACTS_PER_PAGE = 15
# sort= keys (Sift, in ContactsController) and how each orders; NULLs last both ways for the
# scope keys, Postgres's default (last ascending, first descending) for the two string keys.
SORT_KEYS = {
	"name": lambda c: (c["name"] or "").lower(),
	"email": lambda c: (c["email"] or "").lower() or None,
	"phone_number": lambda c: (c["phone_number"] or "").lower() or None,
	"last_activity_at": lambda c: c["last_activity_at"],
	"created_at": lambda c: c["created_at"],
	"company_name": lambda c: c["additional_attributes"].get("company_name"),
	"city": lambda c: c["additional_attributes"].get("city"),
	"country": lambda c: c["additional_attributes"].get("country"),
}
NULLS_LAST_BOTH_WAYS = {"last_activity_at", "created_at", "company_name", "city", "country"}


def with_contact_inboxes(query: dict, body: dict) -> bool:
	"""`include_contact_inboxes`: true when it is not present, and otherwise only when it is the text
	"true" (contacts_controller.rb:195-201); the body's value wins over the query's, as in `params`."""
	sent = body.get("include_contact_inboxes", query.get("include_contact_inboxes", [None])[0])
	if sent is None or sent is False or (isinstance(sent, str) and not sent.strip()):
		return True
	return sent == "true"


def current_page(query: dict):
	"""`params[:page] || 1`: the text sent, or the number 1."""
	return query["page"][0] if "page" in query else 1


def slice_of(items: list, page: int, size: int) -> list:
	return items[(page - 1) * size : page * size]


def sorted_contacts(contacts: list[dict], sort: str | None) -> list[dict]:
	"""`sort` as Chatwoot applies it: a comma list, `-` for descending, unknown keys ignored, no
	tie-break (rows that tie keep the order the table gives them)."""
	ordered = list(contacts)
	for part in reversed([p.strip() for p in (sort or "").split(",") if p.strip()]):
		key = part.lstrip("-")
		if key not in SORT_KEYS:
			continue
		descending = part.startswith("-")
		value = SORT_KEYS[key]
		present = [c for c in ordered if value(c) is not None]
		missing = [c for c in ordered if value(c) is None]
		present.sort(key=value, reverse=descending)
		nulls_first = descending and key not in NULLS_LAST_BOTH_WAYS
		ordered = missing + present if nulls_first else present + missing
	return ordered


def account_contact(mock, context: dict, contact_id) -> dict:
	contact = mock.contacts.get(int(contact_id))
	if contact is None or contact["account_id"] != context["account_id"]:
		raise not_found()
	return contact


def list_contacts(mock, context, params, query, body):
	listed = sorted_contacts(mock.listed_contacts(context["account_id"]), query.get("sort", [None])[0])
	with_inboxes = with_contact_inboxes(query, body)
	return {
		"meta": {"count": len(listed), "current_page": current_page(query)},
		"payload": [
			mock.presenters.contact_rest(c, with_contact_inboxes=with_inboxes)
			for c in slice_of(listed, page_number(query), CONTACTS_PER_PAGE)
		],
	}


def search_contacts(mock, context, params, query, body):
	"""Every contact of the account (not only the listed ones): name, email and phone as
	case-insensitive substrings, the identifier case-sensitively; one more than a page is read to
	tell whether there is more."""
	q = (query.get("q", [""])[0] or "").strip()
	page = page_number(query)
	if not q:
		return {"meta": {"count": None, "current_page": current_page(query), "has_more": None}, "payload": []}
	needle = q.lower()
	found = [
		c
		for c in mock.contacts.values()
		if c["account_id"] == context["account_id"]
		and (
			needle in (c["name"] or "").lower()
			or needle in (c["email"] or "").lower()
			or needle in (c["phone_number"] or "").lower()
			or q in (c["identifier"] or "")
		)
	]
	found = sorted_contacts(found, query.get("sort", [None])[0])
	window = found[(page - 1) * CONTACTS_PER_PAGE : (page - 1) * CONTACTS_PER_PAGE + CONTACTS_PER_PAGE + 1]
	shown = window[:CONTACTS_PER_PAGE]
	return {
		"meta": {
			"count": len(shown),
			"current_page": current_page(query),
			"has_more": len(window) > CONTACTS_PER_PAGE,
		},
		"payload": [mock.presenters.contact_rest(c, with_contact_inboxes(query, body)) for c in shown],
	}


FILTER_KEYS = {
	"email",
	"name",
	"phone_number",
	"identifier",
	"country_code",
	"city",
	"company_name",
	"created_at",
	"last_activity_at",
	"blocked",
}


def filter_contacts(mock, context, params, query, body):
	"""Contacts::FilterService over the listed contacts; `equal_to` compares the first value."""
	conditions = body.get("payload")
	if conditions is None:
		raise server_error()  # a NoMethodError nothing rescues
	for condition in conditions:
		key = condition.get("attribute_key")
		if key not in FILTER_KEYS:
			raise unprocessable(
				f"Invalid attribute key - [{key}]. The key should be one of [{','.join(sorted(FILTER_KEYS))}] "
				"or a custom attribute defined in the account."
			)
		if condition.get("filter_operator") not in (
			"equal_to",
			"not_equal_to",
			"contains",
			"does_not_contain",
		):
			raise unprocessable(
				f"Invalid operator. The allowed operators for {key} are [equal_to,not_equal_to,contains,does_not_contain]."
			)
		if not condition.get("values"):
			raise unprocessable(f"Invalid value. The values provided for {key} are invalid")

	def value_of(contact: dict, key: str) -> str:
		if key in ("company_name", "city", "country_code"):
			return str(contact["additional_attributes"].get(key) or "").lower()
		return str(contact.get(key) or "").lower()

	def matches(contact: dict, condition: dict) -> bool:
		value = value_of(contact, condition["attribute_key"])
		first = str(condition["values"][0]).lower()
		operator = condition["filter_operator"]
		if operator == "equal_to":
			return value == first
		if operator == "not_equal_to":
			return value != first
		if operator == "contains":
			return first in value
		return first not in value

	found = [c for c in mock.listed_contacts(context["account_id"]) if all(matches(c, x) for x in conditions)]
	return {
		"meta": {"count": len(found), "current_page": current_page(query)},
		"payload": [
			mock.presenters.contact_rest(c, with_contact_inboxes(query, body))
			for c in slice_of(found, page_number(query), CONTACTS_PER_PAGE)
		],
	}


PERMITTED = (
	"name",
	"identifier",
	"email",
	"phone_number",
	"avatar_url",
	"blocked",
	"additional_attributes",
	"custom_attributes",
)


def create_contact(mock, context, params, query, body):
	"""Nothing is required. With `inbox_id`, its contact inbox is made in the same transaction: an
	unknown inbox undoes the contact too."""
	fields = {key: body[key] for key in PERMITTED if key in body}
	mock.check_contact(fields, context["account_id"])  # the save comes before the inbox's lookup
	inbox = None
	if body.get("inbox_id"):
		inbox = mock.inboxes.get(integer_id(body["inbox_id"]) or 0)
		if inbox is None or inbox["account_id"] != context["account_id"]:
			raise not_found()
	contact = mock.create_contact(fields, context["account_id"])
	contact_inbox = {"inbox": None, "source_id": None}
	if inbox:
		source_id = body.get("source_id") or str(uuid.uuid4())
		made = mock.store_contact_inbox(contact, inbox, source_id)
		contact_inbox = {"inbox": mock.presenters.inbox_row(inbox), "source_id": made["source_id"]}
	return {
		"payload": {
			"contact": mock.presenters.contact_rest(contact, with_contact_inboxes=True),
			"contact_inbox": contact_inbox,
		}
	}


def get_contact(mock, context, params, query, body):
	contact = account_contact(mock, context, params["id"])
	return {"payload": mock.presenters.contact_rest(contact, with_contact_inboxes(query, body))}


def update_contact(mock, context, params, query, body):
	contact = account_contact(mock, context, params["id"])
	fields = {key: body[key] for key in PERMITTED if key in body}
	mock.update_contact(contact, fields)
	return {"payload": mock.presenters.contact_rest(contact, with_contact_inboxes(query, body))}


def contact_conversations(mock, context, params, query, body):
	"""The contact's 20 most recently active conversations that the caller may see."""
	from tests.mock_chatwoot_api.conversations import visible

	contact = account_contact(mock, context, params["id"])
	mine = [c for c in visible(mock, context) if c["contact_id"] == contact["id"]]
	mine.sort(key=lambda c: c["last_activity_at"], reverse=True)
	return {"payload": [mock.presenters.conversation_rest(c, context["user"]) for c in mine[:20]]}


A = "/api/v1/accounts/{account_id}"
ROUTES = [
	route("GET", f"{A}/contacts", list_contacts),
	route("GET", f"{A}/contacts/search", search_contacts),
	route("POST", f"{A}/contacts/filter", filter_contacts),
	route("POST", f"{A}/contacts", create_contact),
	route("GET", f"{A}/contacts/{{id}}", get_contact),
	route("PUT", f"{A}/contacts/{{id}}", update_contact),
	route("PATCH", f"{A}/contacts/{{id}}", update_contact),
	route("GET", f"{A}/contacts/{{id}}/conversations", contact_conversations),
]
