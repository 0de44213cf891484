"""What the desk's scripts learn at sign-in (which parts of Chat Bridge are on, and the website
widget when the settings put it in the desk too), and what the desk's timelines show of it."""

import frappe
from frappe import _
from frappe.utils import escape_html

from chat_bridge.features import Feature, is_enabled
from chat_bridge.permissions import NOTES_DOCTYPE, is_chatwoot_user, is_support_team
from chat_bridge.provisioning.agents import sign_in_agent_id
from chat_bridge.settings import get_flags
from chat_bridge.website import desk_widget


def boot_session(bootinfo) -> None:
	flags = get_flags()
	bootinfo.chat_bridge = {
		"dashboard": is_enabled(flags, Feature.DASHBOARD),
		"api": is_enabled(flags, Feature.API),
		"sync": is_enabled(flags, Feature.SYNC),
		"documents": is_enabled(flags, Feature.DOCUMENTS),
		"can_use": is_chatwoot_user(),
		# Whether "Open in Chatwoot" can sign this user in (an agent provisioned in some account).
		"can_sign_in": bool(sign_in_agent_id(frappe.session.user)),
		"widget": desk_widget(),
	}


def private_notes_on_timeline(doctype: str, docname: str) -> list[dict]:
	"""The agents' private notes on the timeline of the Contact or Issue their conversations are
	about: for the support team only. The notes themselves are on the conversations' records."""
	if not is_support_team():
		return []
	about = (
		{"contact": docname}
		if doctype == "Contact"
		else {"reference_doctype": doctype, "reference_name": docname}
	)
	conversations = frappe.get_all(NOTES_DOCTYPE, filters=about, pluck="name")
	if not conversations:
		return []
	notes = frappe.get_all(
		"Comment",
		filters={
			"reference_doctype": NOTES_DOCTYPE,
			"reference_name": ("in", conversations),
			"comment_type": "Comment",
			"name": ("like", "CW-%"),
		},
		fields=["content", "comment_by", "creation"],
	)
	return [
		{
			"icon": "lock",
			"is_card": True,
			"creation": note.creation,
			# The content is the sync's own: Chatwoot's text, escaped (chat_bridge.sync.messages).
			"content": f"""<div class="small text-muted">{escape_html(note.comment_by or "")} ·
				<span class="indicator-pill yellow">{_("Private note")}</span></div>{note.content}""",
		}
		for note in notes
	]
