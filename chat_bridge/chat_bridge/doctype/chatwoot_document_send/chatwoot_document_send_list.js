// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

frappe.listview_settings["Chatwoot Document Send"] = {
	get_indicator(doc) {
		const colors = { Queued: "blue", Sending: "orange", Sent: "green", Failed: "red" };
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
};
