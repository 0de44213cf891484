"""ERPNext's side of a customer on their Chatwoot contact: custom attributes agents see and filter on.

`attributes` says which attributes there are and what values a customer's figures give, without
Frappe; `push` reads the figures and sends them, off the request path, coalesced per customer.
"""
