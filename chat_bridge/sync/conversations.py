"""What a conversation event means for its mapping, its ToDo and its Issue."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from chat_bridge.chatwoot.events import ConversationView

ISSUE_NEVER = "Never"
ISSUE_EVERY_CONVERSATION = "Every new conversation"
ISSUE_WITH_LABEL = "Conversations with a label"


def is_stale(incoming_updated_at: float | None, stored_updated_at: float | None) -> bool:
	"""Whether a delivery reports an older state than the one already applied.

	Chatwoot does not keep order, so an update can arrive after a newer one; `updated_at` (an epoch
	float) says which is newer. Without it on either side, the delivery is applied.
	"""
	if not incoming_updated_at or not stored_updated_at:
		return False
	return incoming_updated_at < stored_updated_at


def timing_values(conversation: ConversationView) -> dict:
	"""When the conversation began, was first answered and has waited since (aware UTC datetimes)."""
	return {
		"chatwoot_created_at": conversation.created_at,
		"first_reply_at": conversation.first_reply_at,
		"waiting_since": conversation.waiting_since,
	}


def resolution_values(
	previous_status: str | None, status: str | None, changed_at: datetime | None, reopened_count: int
) -> dict:
	"""What a status change means for when the conversation was resolved and how often reopened.

	Resolving records the moment (`changed_at`, Chatwoot's updated_at); reopening a resolved
	conversation counts, and clears the resolution until it is resolved again.
	"""
	if status == "resolved" and previous_status != "resolved":
		return {"resolved_at": changed_at}
	if previous_status == "resolved" and status not in (None, "resolved"):
		return {"resolved_at": None, "reopened_count": reopened_count + 1}
	return {}


def mapping_values(conversation: ConversationView, assignee_user: str | None) -> dict:
	"""The fields of a Chatwoot Conversation Mapping that reflect the conversation's state."""
	values = {
		"inbox_id": conversation.inbox_id,
		"status": conversation.status
		if conversation.status in ("open", "resolved", "pending", "snoozed")
		else "open",
		"priority": conversation.priority
		if conversation.priority in ("low", "medium", "high", "urgent")
		else "",
		"labels": ", ".join(conversation.labels),
		"assignee": assignee_user,
		# Chatwoot's assignee_id: an agent. A bot handling the conversation leaves it unassigned.
		"chatwoot_assignee_id": conversation.assignee.id
		if conversation.assignee and conversation.assignee.kind == "user"
		else None,
		"team": conversation.team_name,
		"chatwoot_team_id": conversation.team_id,
		"identity_verified": int(conversation.hmac_verified),
	}
	if conversation.updated_at:
		values["chatwoot_updated_at"] = conversation.updated_at
	return values


@dataclass(frozen=True)
class TodoPlan:
	"""Which users' open ToDos on the conversation's record to close, and for whom to open one."""

	close_for: tuple[str, ...] = ()
	open_for: str | None = None


def todo_plan(open_todo_users: Iterable[str], assignee_user: str | None, status: str | None) -> TodoPlan:
	"""Assignment → a ToDo for the assignee; reassignment moves it; resolving closes it."""
	holders = tuple(dict.fromkeys(open_todo_users))
	if status == "resolved" or not assignee_user:
		return TodoPlan(close_for=holders)
	return TodoPlan(
		close_for=tuple(u for u in holders if u != assignee_user),
		open_for=None if assignee_user in holders else assignee_user,
	)


def wants_issue(mode: str | None, labels: Iterable[str], issue_label: str | None) -> bool:
	"""Whether the Issue setting asks for an Issue for a conversation with `labels`."""
	if mode == ISSUE_EVERY_CONVERSATION:
		return True
	if mode == ISSUE_WITH_LABEL and issue_label:
		wanted = issue_label.strip().lower()
		return any(label.strip().lower() == wanted for label in labels)
	return False


def issue_status(conversation_status: str | None, current: str | None) -> str | None:
	"""The Issue status a conversation status asks for, or None to leave the Issue alone."""
	if conversation_status == "resolved":
		return None if current in ("Resolved", "Closed") else "Resolved"
	if conversation_status in ("open", "pending") and current in ("Resolved", "Closed"):
		return "Open"
	return None
