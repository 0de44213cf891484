// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

frappe.ui.form.on("Chatwoot Integration Settings", {
	refresh(frm) {
		const url = `${frappe.urllib.get_base_url()}/api/method/chat_bridge.webhook.handle`;
		frm.get_field("webhook_help").$wrapper.html(
			`<p class="text-muted small">${__("Webhook URL to enter in Chatwoot (Settings → Integrations → Webhooks):")}</p>
			<pre class="small">${frappe.utils.escape_html(url)}</pre>`
		);
	},
});
