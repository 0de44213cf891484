// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

frappe.ui.form.on("Chatwoot Document Send", {
	refresh(frm) {
		if (frm.doc.status === "Failed") {
			frm.add_custom_button(__("Send Again"), () =>
				frappe.call({
					method: "chat_bridge.documents.api.send_again",
					args: { name: frm.doc.name },
					freeze: true,
					callback: () => {
						frappe.show_alert({ message: __("Queued again"), indicator: "blue" });
						frm.reload_doc();
					},
				})
			);
		}
	},
});
