"""Chatwoot Conversation Mappings, and what follows from a conversation's state: ToDos and Issues."""

from datetime import datetime, timezone

import frappe
from frappe.utils import cint, now_datetime

from chat_bridge.accounts import company_of, stamp_record_company
from chat_bridge.chatwoot.events import AgentView, ConversationView
from chat_bridge.erpnext import has_erpnext
from chat_bridge.records.agents import AgentListUnavailable, user_for_agent
from chat_bridge.records.contacts import Written, customer_of_contact, sync_contact
from chat_bridge.records.times import to_site_time
from chat_bridge.settings import get_settings
from chat_bridge.sync.contacts import normalize_email
from chat_bridge.sync.conversations import (
	is_stale,
	issue_status,
	mapping_values,
	resolution_values,
	timing_values,
	todo_plan,
	wants_issue,
)

MAPPING_DOCTYPE = "Chatwoot Conversation Mapping"
TODO_PREFIX = "Chatwoot conversation #"


def conversation_mapping(conversation: ConversationView):
	"""The mapping for `conversation`, locked for this transaction, and whether it was just created.

	Inserted first, before anything it leads to: a concurrent job for the same conversation waits
	on the unique index and is retried once this one has committed.
	"""
	account_id = conversation.account_id or get_settings().account_id
	name = frappe.db.get_value(
		MAPPING_DOCTYPE, {"account_id": account_id, "chatwoot_conversation_id": conversation.id}
	)
	if name:
		return frappe.get_doc(MAPPING_DOCTYPE, name, for_update=True), False
	mapping = frappe.get_doc(
		{"doctype": MAPPING_DOCTYPE, "account_id": account_id, "chatwoot_conversation_id": conversation.id}
	).insert(ignore_permissions=True)
	return mapping, True


def attach_contact(mapping, conversation: ConversationView) -> None:
	"""Link the conversation's contact, creating it when its own event has not arrived yet.

	A linked Contact that was deleted since (a forced delete skips Frappe's link check) is linked
	again; left as it was, every later event of the conversation would fail on the dead link.
	"""
	if mapping.contact and frappe.db.exists("Contact", mapping.contact):
		return
	mapping.contact = mapping.contact_mapping = None
	if not conversation.contact or conversation.contact.id is None:
		return
	contact = sync_contact(conversation.contact, update_existing=False)
	mapping.contact_mapping = contact.name
	mapping.contact = frappe.db.get_value("Chatwoot Contact Mapping", contact.name, "contact")


def sync_conversation(conversation: ConversationView) -> Written:
	"""Bring the mapping, the assignee's ToDo and the Issue in line with the conversation's state."""
	mapping, created = conversation_mapping(conversation)
	attach_contact(mapping, conversation)
	if is_stale(conversation.updated_at, mapping.chatwoot_updated_at):
		mapping.save(ignore_permissions=True)
		return Written(mapping.name, "created" if created else "unchanged")
	assignee, known = resolve_assignee(mapping, conversation)
	values = {
		**mapping_values(conversation, assignee),
		"assignee_pending": 0 if known else 1,
		**moments(conversation, known_status(mapping, created), mapping.reopened_count),
	}
	changed = created or any(
		(mapping.get(field) or None) != (value or None) for field, value in values.items()
	)
	mapping.update(values)
	follow_with_issue(mapping, conversation, created)
	mapping.last_synced = now_datetime()
	mapping.save(ignore_permissions=True)
	follow_with_todo(mapping, assignee)
	if changed:
		publish(mapping, "conversation")
	return Written(mapping.name, "created" if created else "updated" if changed else "unchanged")


def known_status(mapping, created: bool) -> str | None:
	"""The status the mapping knew before this event; None when it has not known the resolution
	(new, or resolved before resolutions were recorded), so that the moment is taken now."""
	if created or (mapping.status == "resolved" and not mapping.resolved_at):
		return None
	return mapping.status


def moments(conversation: ConversationView, previous_status: str | None, reopened_count: int | None) -> dict:
	"""The conversation's timing for the reports: when it began, was answered, resolved, reopened."""
	changed_at = (
		datetime.fromtimestamp(conversation.updated_at, tz=timezone.utc) if conversation.updated_at else None
	)
	values = {
		**timing_values(conversation),
		**resolution_values(previous_status, conversation.status, changed_at, cint(reopened_count)),
	}
	return {
		key: to_site_time(value) if isinstance(value, datetime) else value for key, value in values.items()
	}


def resolve_assignee(mapping, conversation: ConversationView) -> tuple[str | None, bool]:
	"""The assignee's ERPNext user, and whether that is known: not while Chatwoot's agent list is away."""
	try:
		return user_for_agent(conversation.assignee, mapping.account_id), True
	except AgentListUnavailable:
		if mapping.chatwoot_assignee_id == conversation.assignee.id and not mapping.assignee_pending:
			return mapping.assignee, True  # the same agent as before, already found
		return None, False


def resolve_pending_assignees(account_id: int, limit: int = 500) -> int:
	"""Find the users of assignees that could not be looked up when their event came; how many were."""
	resolved = 0
	for name in frappe.get_all(
		MAPPING_DOCTYPE, filters={"account_id": account_id, "assignee_pending": 1}, pluck="name", limit=limit
	):
		mapping = frappe.get_doc(MAPPING_DOCTYPE, name, for_update=True)
		try:
			assignee = user_for_agent(AgentView(id=mapping.chatwoot_assignee_id, kind="user"), account_id)
		except AgentListUnavailable:
			frappe.db.rollback()
			break  # still away: the next run tries again
		mapping.assignee, mapping.assignee_pending = assignee, 0
		mapping.save(ignore_permissions=True)
		follow_with_todo(mapping, assignee)
		frappe.db.commit()
		resolved += 1
	return resolved


def record_of(mapping) -> tuple[str, str] | tuple[None, None]:
	"""The document the conversation belongs to: its Issue (or other reference), else its Contact."""
	if mapping.reference_doctype and mapping.reference_name:
		return mapping.reference_doctype, mapping.reference_name
	if mapping.contact:
		return "Contact", mapping.contact
	return None, None


def follow_with_todo(mapping, assignee: str | None) -> None:
	reference_type, reference_name = record_of(mapping)
	if not reference_type:
		return
	description = f"{TODO_PREFIX}{mapping.chatwoot_conversation_id}:"
	open_todos = frappe.get_all(
		"ToDo",
		filters={
			"reference_type": reference_type,
			"reference_name": reference_name,
			"status": "Open",
			"description": ("like", f"{description}%"),
		},
		fields=["name", "allocated_to"],
	)
	plan = todo_plan([t.allocated_to for t in open_todos], assignee, mapping.status)
	closing = "Closed" if mapping.status == "resolved" else "Cancelled"
	for todo in open_todos:
		if todo.allocated_to in plan.close_for:
			frappe.db.set_value("ToDo", todo.name, "status", closing)
	if plan.open_for:
		todo = frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": plan.open_for,
				"reference_type": reference_type,
				"reference_name": reference_name,
				"description": f"{description} {frappe.db.get_value('Contact', mapping.contact, 'full_name') or 'Chatwoot'}",
				"priority": "High" if mapping.priority in ("high", "urgent") else "Medium",
				"assigned_by": "Administrator",
			}
		)
		stamp_record_company(todo, mapping.get("company"))
		todo.insert(ignore_permissions=True)


def follow_with_issue(mapping, conversation: ConversationView, created: bool) -> None:
	"""Open an Issue when the settings ask for one; resolve and reopen it with the conversation."""
	if not has_erpnext():
		return  # ERPNext is not installed: the option is hidden and has no effect
	if mapping.reference_doctype == "Issue" and mapping.reference_name:
		current = frappe.db.get_value("Issue", mapping.reference_name, "status")
		wanted = issue_status(conversation.status, current)
		if current and wanted:
			issue = frappe.get_doc("Issue", mapping.reference_name)
			issue.status = wanted
			issue.save(ignore_permissions=True)
		return
	settings = get_settings()
	if mapping.reference_doctype or not mapping.contact:
		return
	new_enough = created or settings.issue_creation != "Every new conversation"
	if not new_enough or not wants_issue(settings.issue_creation, conversation.labels, settings.issue_label):
		return
	issue = frappe.get_doc(
		{
			"doctype": "Issue",
			"subject": f"{TODO_PREFIX}{conversation.id}"
			+ (
				f": {conversation.contact.name}" if conversation.contact and conversation.contact.name else ""
			),
			"raised_by": normalize_email(conversation.contact.email) if conversation.contact else None,
			"contact": mapping.contact,
			"customer": customer_of_contact(mapping.contact),
			"company": company_of(mapping.account_id),
			"status": "Resolved" if conversation.status == "resolved" else "Open",
		}
	).insert(ignore_permissions=True)
	mapping.reference_doctype, mapping.reference_name = "Issue", issue.name


def publish(mapping, kind: str, payload: dict | None = None) -> None:
	"""Tell open forms of the conversation's records, and its assignee, that something changed."""
	message = {"kind": kind, "conversation": mapping.chatwoot_conversation_id, **(payload or {})}
	targets = {("Contact", mapping.contact), (mapping.reference_doctype, mapping.reference_name)}
	for doctype, name in targets:
		if doctype and name:
			frappe.publish_realtime(
				"chat_bridge_update", message, doctype=doctype, docname=name, after_commit=True
			)
	if mapping.assignee:
		frappe.publish_realtime("chat_bridge_update", message, user=mapping.assignee, after_commit=True)
