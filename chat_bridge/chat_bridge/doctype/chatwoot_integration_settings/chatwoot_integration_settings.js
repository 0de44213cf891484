// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

frappe.ui.form.on("Chatwoot Integration Settings", {
	refresh(frm) {
		// The registered address wins: Chatwoot may reach the site by another name than its own.
		const url =
			frm.doc.webhook_url || `${frappe.urllib.get_base_url()}/api/method/chat_bridge.webhook.handle`;
		const label = frm.doc.webhook_url
			? __("Webhook URL registered in Chatwoot (Settings → Integrations → Webhooks):")
			: __("Webhook URL to enter in Chatwoot (Settings → Integrations → Webhooks):");
		// Wrapped: in a half-width column a long address would be cut off.
		const address = (text) =>
			`<pre class="small" style="white-space: pre-wrap; word-break: break-all">${frappe.utils.escape_html(
				text
			)}</pre>`;
		frm.get_field("webhook_help").$wrapper.html(`<p class="text-muted small">${label}</p>${address(url)}`);
		const site = frappe.utils.escape_html(frappe.boot.sitename || "SITE");
		frm.set_df_property(
			"chatwoot_webhook_id",
			"description",
			__("Set by `bench --site {0} chatwoot register-webhook`.", [site])
		);
		const card = frm.doc.dashboard_app_url || `${frappe.urllib.get_base_url()}/chatwoot-app`;
		frm.get_field("chatwoot_app_help").$wrapper.html(
			`<p class="text-muted small">${__(
				"Chatwoot shows the customer card beside each conversation from this address; `bench --site {0} chatwoot register-dashboard-app` adds it to Chatwoot:",
				[site]
			)}</p>${address(card)}`
		);
	},
});
