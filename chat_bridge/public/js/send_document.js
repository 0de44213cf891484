// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

// *Send via Chatwoot* on a submitted document that names a customer or a contact: its PDF and a
// message to the contact's conversation in a Chatwoot inbox (chat_bridge.documents). The dialog
// makes one request key, so a second click, or the same request sent again, is the same send.

frappe.provide("chat_bridge");

chat_bridge.names_a_party = (meta) =>
	meta.fields.some(
		(df) =>
			(df.fieldtype === "Link" && ["Contact", "Customer"].includes(df.options)) ||
			(df.fieldtype === "Dynamic Link" && ["party_name", "party"].includes(df.fieldname))
	);

chat_bridge.send_document = (frm) => {
	frappe
		.call({
			method: "chat_bridge.documents.api.send_options",
			args: { doctype: frm.doctype, name: frm.docname },
			freeze: true,
		})
		.then((r) => {
			const options = r.message.data;
			const request_key = frappe.utils.get_random(32);
			const dialog = new frappe.ui.Dialog({
				title: __("Send {0} via Chatwoot", [__(frm.doctype)]),
				fields: [
					{ fieldname: "contact", fieldtype: "Link", options: "Contact", label: __("To"), reqd: 1, default: options.contact },
					{
						fieldname: "inbox_id",
						fieldtype: "Select",
						label: __("Inbox"),
						reqd: 1,
						options: options.inboxes,
						default: options.inbox_id,
					},
					{ fieldname: "message", fieldtype: "Small Text", label: __("Message"), reqd: 1, default: options.message },
					{
						fieldname: "print_format",
						fieldtype: "Link",
						options: "Print Format",
						label: __("Print Format"),
						default: options.print_format,
						get_query: () => ({ filters: { doc_type: frm.doctype, disabled: 0 } }),
					},
				],
				primary_action_label: __("Send"),
				primary_action(values) {
					dialog.get_primary_btn().prop("disabled", true);
					frappe
						.call({
							method: "chat_bridge.documents.api.send_document",
							type: "POST",
							args: { doctype: frm.doctype, name: frm.docname, request_key, ...values },
						})
						.then((answer) => {
							const { status, error } = answer.message.data.status;
							dialog.hide();
							frappe.show_alert({
								message:
									status === "Failed"
										? __("Not sent: {0}", [error])
										: status === "Sent"
										? __("Sent via Chatwoot")
										: __("Queued to send via Chatwoot"),
								indicator: status === "Failed" ? "red" : "green",
							});
							frm.reload_doc();
						})
						.always(() => dialog.get_primary_btn().prop("disabled", false));
				},
			});
			dialog.show();
		});
};

$(document).on("form-refresh", (_event, frm) => {
	const boot = frappe.boot.chat_bridge || {};
	if (!boot.documents || !boot.can_use || frm.doc.docstatus !== 1 || !chat_bridge.names_a_party(frm.meta)) return;
	if (!frappe.model.can_print(frm.doctype, frm)) return;
	frm.add_custom_button(__("Send via Chatwoot"), () => chat_bridge.send_document(frm), __("Chatwoot"));
});
