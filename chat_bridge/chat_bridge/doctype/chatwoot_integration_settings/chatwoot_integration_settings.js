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
		frm.get_field("webhook_help").$wrapper.html(
			`<p class="text-muted small">${label}</p>
			<pre class="small">${frappe.utils.escape_html(url)}</pre>`
		);
	},
});
