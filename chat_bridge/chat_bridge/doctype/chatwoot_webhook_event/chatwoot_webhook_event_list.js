// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

frappe.listview_settings["Chatwoot Webhook Event"] = {
	get_indicator(doc) {
		const colors = { Queued: "blue", Processing: "orange", Processed: "green", Ignored: "gray", Failed: "red" };
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
};
