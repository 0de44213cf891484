"""Give the chat messages' Communications and the conversations' ToDos synced before their account's
Company, as new ones get it (chat_bridge.accounts.RECORD_COMPANY_FIELD): a user whom a User
Permission keeps to another Company then no longer sees them. Only where ERPNext is."""

import frappe

from chat_bridge.accounts import ACCOUNT_DOCTYPE, RECORD_COMPANY_FIELD
from chat_bridge.erpnext import has_erpnext
from chat_bridge.install import add_custom_fields
from chat_bridge.records.conversations import TODO_PREFIX
from chat_bridge.sync.messages import record_prefix


def execute():
	if not has_erpnext():
		return
	add_custom_fields()  # the field is made after migrating, and this runs before
	for account_id, company in frappe.get_all(
		ACCOUNT_DOCTYPE, filters={"company": ("is", "set")}, fields=["account_id", "company"], as_list=True
	):
		frappe.db.set_value(
			"Communication",
			{"name": ("like", f"{record_prefix(account_id)}%"), RECORD_COMPANY_FIELD: ("is", "not set")},
			RECORD_COMPANY_FIELD,
			company,
			update_modified=False,
		)
	# The ToDo's description begins with the conversation's number (records.conversations).
	frappe.db.sql(
		"""update `tabToDo` todo join `tabChatwoot Conversation Mapping` mapping
			on todo.description like concat(%(prefix)s, mapping.chatwoot_conversation_id, ':%%')
			and ((todo.reference_type = mapping.reference_doctype and todo.reference_name = mapping.reference_name)
				or (todo.reference_type = 'Contact' and todo.reference_name = mapping.contact))
		set todo.chatwoot_company = mapping.company
		where ifnull(mapping.company, '') != '' and ifnull(todo.chatwoot_company, '') = ''""",
		{"prefix": TODO_PREFIX},
	)
