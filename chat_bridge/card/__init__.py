"""The customer card: ERPNext's side of a customer, in a tab beside each Chatwoot conversation.

Chatwoot frames `/chatwoot-app` (a Dashboard App) and tells it which contact and conversation the
agent has open. Those ids are hints: `data` decides which ERPNext records belong to the contact
and reads them as the viewer, with Frappe's permissions; `access` says who the viewer is when the
frame gets no session cookie; `api` holds the methods the card calls.
"""
