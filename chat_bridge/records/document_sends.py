"""Chatwoot Document Send rows, as Chatwoot's reports about their messages change them."""

import frappe

SEND_DOCTYPE = "Chatwoot Document Send"


def mark_refused_by_channel(account_id: int, message_id: int, reason: str) -> None:
	"""A sent document's message that the customer's channel refused (WhatsApp, after Chatwoot took
	it) is a failed send, with the channel's reason, to be looked at and sent again."""
	frappe.db.sql(
		"""update `tabChatwoot Document Send` set status = 'Failed', error = %s
		where account_id = %s and chatwoot_message_id = %s and status = 'Sent'""",
		(reason, account_id, message_id),
	)
