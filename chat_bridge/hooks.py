app_name = "chat_bridge"
app_title = "Chat Bridge"
app_publisher = "The chat_bridge contributors"
app_description = "Connects ERPNext to Chatwoot: contacts, conversations and messages as ERPNext records"
app_email = "chat-bridge@users.noreply.github.com"
app_license = "MIT"

# ERPNext is optional: Lead, Customer and Issue are used when they exist, detected at run time.
required_apps = []

# On every desk page: what the desk's scripts share, and the website widget (shown in the desk only
# when the settings ask for it).
app_include_js = [
	"/assets/chat_bridge/js/chat_bridge.js",
	"/assets/chat_bridge/js/chatwoot_widget.js",
	"/assets/chat_bridge/js/send_document.js",
]
# The Chatwoot section of the forms of the records a customer can be, and the User form's agent actions.
_CONVERSATION_SECTION = "public/js/forms/conversation_section.js"
doctype_js = {
	"Contact": [_CONVERSATION_SECTION, "public/js/forms/contact.js"],
	"Lead": [_CONVERSATION_SECTION, "public/js/forms/lead.js"],
	"Customer": [_CONVERSATION_SECTION, "public/js/forms/customer.js"],
	"User": "public/js/forms/user.js",
}
boot_session = "chat_bridge.desk.boot_session"
# The website widget, on the pages the settings choose.
update_website_context = "chat_bridge.website.update_website_context"

# The original rollout guide's address for the dashboard.
website_redirects = [{"source": "/chatwoot-dashboard", "target": "/app/chatwoot-dashboard"}]

after_install = "chat_bridge.install.after_install"
after_migrate = "chat_bridge.install.after_migrate"
after_app_install = "chat_bridge.install.after_app_install"
before_uninstall = "chat_bridge.install.before_uninstall"
after_uninstall = "chat_bridge.install.after_uninstall"

has_permission = {
	"Chatwoot User Token": "chat_bridge.permissions.user_token_has_permission",
	"Comment": "chat_bridge.permissions.comment_has_permission",
}
additional_timeline_content = {
	doctype: ["chat_bridge.desk.private_notes_on_timeline"] for doctype in ("Contact", "Issue")
}
permission_query_conditions = {
	"Chatwoot User Token": "chat_bridge.permissions.user_token_query_conditions",
	"Comment": "chat_bridge.permissions.comment_query_conditions",
}

_CONTEXT_CHANGE = "chat_bridge.context.push.on_document_change"
_SUBMITTED_CHANGES = {
	event: _CONTEXT_CHANGE for event in ("on_submit", "on_cancel", "on_update_after_submit")
}
doc_events = {
	"Contact": {"on_update": "chat_bridge.records.outbound.on_contact_update"},
	# A disabled user is taken out of Chatwoot.
	"User": {"on_update": "chat_bridge.provisioning.agents.on_user_update"},
	# What a customer's context on their Chatwoot contacts is made of (ERPNext only).
	"Customer": {"on_update": _CONTEXT_CHANGE},
	"Issue": {"on_update": _CONTEXT_CHANGE},
	"Sales Invoice": _SUBMITTED_CHANGES,
	"Sales Order": _SUBMITTED_CHANGES,
	"Payment Entry": _SUBMITTED_CHANGES,
	# Chatwoot Notifications; one cache read for a DocType none is about.
	"*": {
		event: "chat_bridge.documents.notify.on_document_event"
		for event in ("after_insert", "on_submit", "on_cancel", "on_change")
	},
}
# The customer card's frame, when it gets no session cookie, names its viewer with a card token.
auth_hooks = ["chat_bridge.card.access.authenticate_card_request"]
after_request = ["chat_bridge.frame_headers.after_request"]

scheduler_events = {
	"cron": {
		"* * * * *": [
			"chat_bridge.context.push.push_due_contexts",
			# Cheap when there is nothing to do; a job lost with its worker is started again soon.
			"chat_bridge.webhook.retries.retry_due_events",
		],
		"*/5 * * * *": ["chat_bridge.pull.reconcile.reconcile"],
	},
	"daily": [
		"chat_bridge.webhook.retries.purge_old_events",
		"chat_bridge.documents.notify.send_date_notifications",
	],
}
