// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

frappe.ui.form.on("Chatwoot Contact Mapping", {
	refresh(frm) {
		const claimed = frm.doc.claimed_customer;
		if (!claimed || frm.doc.reference_name || !frappe.user.has_role("System Manager")) return;
		frm.dashboard.set_headline(
			__("An agent named Customer {0} for this contact in Chatwoot.", [frappe.utils.escape_html(claimed).bold()])
		);
		frm.add_custom_button(__("Link to {0}", [claimed]), () =>
			frm.call("confirm_customer").then(() => frm.reload_doc())
		);
	},
});
