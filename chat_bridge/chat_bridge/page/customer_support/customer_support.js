// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

// The Customer Support workspace is hidden while Chat Bridge is switched off, and Frappe's router
// then looks for a page of its name: this one, which says why the workspace is not there instead
// of "not found". While the workspace shows, the router takes it first and this page is not seen.

frappe.pages["customer-support"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Customer Support"),
		single_column: true,
	});
	const admin = frappe.user.has_role("System Manager");
	$(`<div class="chat-bridge-switched-off text-muted" style="padding: var(--padding-lg)">
		<p>${__("Chat Bridge is switched off on this site, so its workspace and reports are hidden.")}</p>
		<p>${
			admin
				? __("Switch it on again in Chatwoot Integration Settings (Enable Integration).")
				: __("A System Manager can switch it on again.")
		}</p>
	</div>`).appendTo(page.main);
	if (admin) {
		page.set_primary_action(__("Open Settings"), () =>
			frappe.set_route("Form", "Chatwoot Integration Settings")
		);
	}
};
