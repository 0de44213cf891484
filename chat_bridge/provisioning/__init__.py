"""ERPNext users as Chatwoot agents: provisioned, kept in their inboxes, removed, signed in.

`plan` decides without Frappe (the steps, the password, the limit, the sign-in link); `agents`
carries the steps out against Chatwoot and keeps each one's outcome on the user's Chatwoot Agent.
"""
