"""Support analytics: what the reports, the dashboard and chat search show, from the synced
conversations and messages, and from Chatwoot's own reports while API access is on.

`figures` computes without Frappe; `performance`, `analysis`, `search` and `cards` read the site.
"""
