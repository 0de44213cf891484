"""What the sync decides, as pure functions over payload views and plain values.

No Frappe here: `chat_bridge.records` loads and saves the documents these decisions are about.
"""
