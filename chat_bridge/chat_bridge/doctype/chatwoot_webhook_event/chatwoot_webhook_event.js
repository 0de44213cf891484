// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

frappe.ui.form.on("Chatwoot Webhook Event", {
	refresh(frm) {
		if (["Failed", "Ignored", "Processed"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry"), () => {
				frappe.call({
					method: "chat_bridge.webhook.replay.retry_event",
					args: { name: frm.doc.name },
					freeze: true,
					callback: () => {
						frappe.show_alert({ message: __("Queued again"), indicator: "blue" });
						frm.reload_doc();
					},
				});
			});
		}
	},
});
