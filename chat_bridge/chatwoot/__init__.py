"""Everything that speaks Chatwoot, with no Frappe in it."""
