// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

frappe.ui.form.on("Customer", chat_bridge.conversation_section);
