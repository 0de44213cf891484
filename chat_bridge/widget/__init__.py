"""Chatwoot's website widget on the site's pages, with the signed-in user's identity proven.

`placement` and `identity` decide without Frappe; `site` renders the widget into pages and answers
the signed-in user's identity.
"""
