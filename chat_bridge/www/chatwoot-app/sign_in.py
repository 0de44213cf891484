"""/chatwoot-app/sign-in: where an agent allows the customer card to show ERPNext data as them.

Opened as a window by the card when its frame gets no session cookie (Chatwoot and ERPNext on
different sites). Here, first-party, the agent is signed in to ERPNext (or is sent to sign in
first), and one click hands a card token to the card that opened the window.
"""

from urllib.parse import quote

import frappe

from chat_bridge.card.routes import CARD_SIGN_IN_PAGE

no_cache = 1


def get_context(context):
	if frappe.session.user == "Guest":
		frappe.local.flags.redirect_location = "/login?redirect-to=" + quote(CARD_SIGN_IN_PAGE)
		raise frappe.Redirect
	context.no_header = context.no_breadcrumbs = True
	context.lang = frappe.local.lang
	context.full_name = frappe.utils.get_fullname(frappe.session.user)
	context.user = frappe.session.user
