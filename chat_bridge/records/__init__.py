"""Writing Chatwoot's records into ERPNext: the Frappe-bound side of the sync.

The decisions (which Contact, which fields, which direction wins) are made by the pure functions
of `chat_bridge.sync`; the functions here load and save documents. Webhook handlers, the backfill
and the reconciliation all write through them. Contacts are the one record written two ways:
one at a time with the document machinery (`contacts`), and, for a backfill's new contacts, a batch
at a time in plain statements (`bulk_contacts`), which takes the same decisions and builds each
Contact with the same `contacts.new_contact` before writing its rows.
"""
