"""Writing Chatwoot's records into ERPNext: the Frappe-bound side of the sync.

The decisions (which Contact, which fields, which direction wins) are made by the pure functions
of `chat_bridge.sync`; the functions here load and save documents. Webhook handlers, the backfill
and the reconciliation all write through them, so each kind of record is written one way only.
"""
