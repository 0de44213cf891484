"""What a Chatwoot message becomes in ERPNext.

A customer-visible message becomes one Communication (medium "Chat"); an agent's private note
becomes an internal Comment, never a Communication, since a Communication is the customer-facing
record. Each gets a name derived from Chatwoot's account and message id, so the database itself
refuses a second copy when two deliveries of one message are processed at the same moment.
"""

from html import escape
from urllib.parse import urlsplit

from chat_bridge.chatwoot.events import Attachment, MessageView
from chat_bridge.i18n import _
from chat_bridge.sync.contacts import normalize_email

SUBJECT_LIMIT = 140
# A Communication's custom field: the Chatwoot agent who sent a chat message (its sender is an
# e-mail, which Chatwoot does not give for an agent).
SENDER_ID_FIELD = "chatwoot_sender_id"


def record_name(account_id: int | None, message_id: int | None) -> str:
	"""The Communication's (or Comment's) name for a Chatwoot message: unique per account and message."""
	return f"{record_prefix(account_id)}{message_id}"


def record_prefix(account_id: int | None) -> str:
	"""What the names of an account's messages begin with."""
	return f"CW-{account_id}-"


def message_key(account_id: int | None, message_id: int | None) -> str:
	"""The Communication's message_id: where a Chatwoot message can be looked up from."""
	return f"chatwoot:{account_id}:{message_id}"


def sanitized_html(text: str | None) -> str:
	"""Chatwoot's plain text as safe HTML: everything escaped, line breaks kept."""
	lines = (text or "").replace("\r\n", "\n").split("\n")
	return "<br>".join(escape(line) for line in lines)


def safe_link(url: str | None) -> str | None:
	"""`url` if it is an http(s) address; anything else (javascript:, data:) is not linked."""
	if not url:
		return None
	parts = urlsplit(url.strip())
	return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def attachment_html(attachments: tuple[Attachment, ...]) -> str:
	"""Links to the attachments, which stay in Chatwoot: nothing from a payload is downloaded."""
	items = []
	for attachment in attachments:
		label = escape(attachment.file_type or "file") + (
			f" (.{escape(attachment.extension)})" if attachment.extension else ""
		)
		url = safe_link(attachment.url)
		items.append(
			f'<li><a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{label}</a></li>'
			if url
			else f"<li>{label}</li>"
		)
	return f"<p>{_('Attachments:')}</p><ul>{''.join(items)}</ul>" if items else ""


def message_html(message: MessageView) -> str:
	body = sanitized_html(message.content)
	if message.is_deleted:
		body = f"<em>{_('This message was deleted in Chatwoot.')}</em>"
	return body + attachment_html(message.attachments)


def subject(message: MessageView) -> str:
	return f"Chatwoot conversation #{message.conversation.id}"[:SUBJECT_LIMIT]


# A message's status in Chatwoot (app/models/message.rb, enum status) as a Communication's
# delivery status; Frappe has no "delivered", and a delivered message is sent.
DELIVERY_STATUSES = {"sent": "Sent", "delivered": "Sent", "read": "Read", "failed": "Error"}


def delivery_status(message: MessageView) -> str | None:
	"""What the customer's channel said of a message the agents sent; None for the customer's own.

	Chatwoot's REST messages carry the status; its webhooks do not (Message#webhook_data), and
	show only a failure, as `content_attributes.external_error`: the reconciliation brings the rest."""
	if message.message_type == "incoming":
		return None
	if message.content_attributes.get("external_error"):
		return "Error"
	return DELIVERY_STATUSES.get(message.status or "")


def newer_delivery_status(kept: str | None, reported: str | None) -> str | None:
	"""The status to keep when the channel reports `reported`: deliveries arrive in any order, and
	a message read is not made merely sent again by a late report."""
	if kept == "Read" and reported == "Sent":
		return kept
	return reported or kept


def communication_values(message: MessageView, agent_email: str | None = None) -> dict:
	"""The Communication fields for a customer-visible message (not links, dates or names)."""
	incoming = message.message_type == "incoming"
	sender = message.sender
	if incoming:
		email = normalize_email(sender.email if sender else None) or normalize_email(
			message.conversation.contact.email if message.conversation.contact else None
		)
		full_name = (sender.name if sender else None) or (
			message.conversation.contact.name if message.conversation.contact else None
		)
	else:
		email = normalize_email(agent_email or (sender.email if sender else None))
		full_name = sender.name if sender else None
	return {
		"communication_type": "Communication",
		"communication_medium": "Chat",
		"sent_or_received": "Received" if incoming else "Sent",
		"subject": subject(message),
		"content": message_html(message),
		"sender": email,
		"sender_full_name": full_name or email or (_("Customer") if incoming else _("Agent")),
		SENDER_ID_FIELD: sender.id if sender and sender.kind == "user" and not incoming else None,
		"message_id": message_key(message.account_id, message.id),
		"delivery_status": delivery_status(message),
		"read_by_recipient": int(message.status == "read" and not incoming),
	}


def note_values(message: MessageView, author_email: str | None = None) -> dict:
	"""The Comment fields for a private note."""
	sender = message.sender
	return {
		"comment_type": "Comment",
		"content": f"<p><strong>{_('Chatwoot note')}</strong> "
		f"({_('conversation #{0}').format(message.conversation.id)})</p>" + message_html(message),
		"comment_email": normalize_email(author_email or (sender.email if sender else None)),
		"comment_by": (sender.name if sender else None) or "Chatwoot",
	}
