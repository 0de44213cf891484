"""Say which Chatwoot agent sent each chat message synced before the Communication kept it.

Only an agent's e-mail was kept: a message whose sender is the e-mail of an ERPNext user with a
Chatwoot user id (their token, or their provisioned agent record) is theirs. The messages of agents
without an ERPNext user stay unattributed, as they were counted before.
"""

import frappe

from chat_bridge.install import add_custom_fields
from chat_bridge.sync.messages import SENDER_ID_FIELD


def execute():
	add_custom_fields()  # the field is made after migrating, and this runs before
	for table in ("`tabChatwoot User Token`", "`tabChatwoot Agent`"):
		frappe.db.sql(
			f"""update `tabCommunication` c
			join `tabUser` u on u.email = c.sender
			join {table} agent on agent.user = u.name and agent.chatwoot_user_id > 0
			set c.{SENDER_ID_FIELD} = agent.chatwoot_user_id
			where c.communication_medium = 'Chat' and c.sent_or_received = 'Sent'
				and c.name like %s and ifnull(c.{SENDER_ID_FIELD}, 0) = 0""",  # noqa: S608 -- fixed names
			"CW-%",  # a synced message (chat_bridge.sync.messages.record_name)
		)
