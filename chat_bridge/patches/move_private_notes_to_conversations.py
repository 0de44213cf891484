"""Move the agents' private notes synced before onto their conversations' records.

They were Comments on the Contact or Issue, which anyone who reads those reads. The conversation
is known from the note: an Issue has one conversation, and a note on a Contact names its
conversation ("(conversation #58)", in whatever language it was written). A note whose
conversation cannot be told stays where it is.
"""

import re

import frappe

from chat_bridge.permissions import NOTES_DOCTYPE

CONVERSATION_NUMBER = re.compile(r"#(\d+)\)</p>")


def execute():
	for note in frappe.get_all(
		"Comment",
		filters={
			"name": ("like", "CW-%"),
			"comment_type": "Comment",
			"reference_doctype": ("in", ("Contact", "Issue")),
		},
		fields=["name", "reference_doctype", "reference_name", "content"],
	):
		mapping = conversation_of(note)
		if mapping:
			frappe.db.set_value(
				"Comment",
				note.name,
				{"reference_doctype": NOTES_DOCTYPE, "reference_name": mapping},
				update_modified=False,
			)


def conversation_of(note) -> str | None:
	if note.reference_doctype == "Issue":
		return frappe.db.get_value(
			NOTES_DOCTYPE, {"reference_doctype": "Issue", "reference_name": note.reference_name}
		)
	number = CONVERSATION_NUMBER.search(note.content or "")
	account = note.name.split("-")[1]
	if not (number and account.isdigit()):
		return None
	return frappe.db.get_value(
		NOTES_DOCTYPE,
		{
			"account_id": int(account),
			"chatwoot_conversation_id": int(number.group(1)),
			"contact": note.reference_name,
		},
	)
