// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

// The User form's Chatwoot actions, for System Managers: provision the user as a Chatwoot agent,
// change their role or inboxes, or take them out of Chatwoot. Loaded with the User form (doctype_js).

frappe.provide("chat_bridge");

chat_bridge.can_provision = () =>
	Boolean(frappe.boot.chat_bridge && frappe.boot.chat_bridge.api && frappe.user.has_role("System Manager"));

frappe.ui.form.on("User", {
	refresh(frm) {
		if (!chat_bridge.can_provision() || frm.is_new()) return;
		frappe
			.call({
				method: "chat_bridge.api.agents.get_agent",
				args: { user: frm.doc.name },
				error_handlers: { FeatureDisabledError: () => {} },
			})
			.then((r) => chat_bridge.show_agent(frm, r.message.data));
	},
});

chat_bridge.AGENT_INDICATORS = {
	Provisioned: "green",
	Invited: "blue",
	"Partly provisioned": "orange",
	Deprovisioned: "gray",
};

chat_bridge.show_agent = (frm, agent) => {
	const group = __("Chatwoot");
	if (!agent || agent.status === "Deprovisioned") {
		frm.add_custom_button(__("Provision Agent"), () => chat_bridge.provision_dialog(frm), group);
	} else {
		if (agent.status !== "Provisioned") {
			frm.add_custom_button(
				__("Finish Provisioning"),
				() => chat_bridge.provision(frm, {}),
				group
			);
		}
		frm.add_custom_button(__("Change Role or Inboxes"), () => chat_bridge.provision_dialog(frm, agent), group);
		frm.add_custom_button(__("Remove from Chatwoot"), () => chat_bridge.deprovision(frm), group);
	}
	if (agent) frm.dashboard.set_headline(chat_bridge.agent_headline(agent));
};

chat_bridge.agent_headline = (agent) => {
	const esc = frappe.utils.escape_html;
	const color = chat_bridge.AGENT_INDICATORS[agent.status] || "gray";
	const steps = [
		["user_step", __("Chatwoot user")],
		["account_step", __("Account")],
		["inboxes_step", __("Inboxes")],
		["token_step", __("Token")],
	]
		.map(([field, label]) => `${label}: ${esc(agent[field] ? __(agent[field]) : __("Not yet"))}`)
		.join(" · ");
	const who = agent.chatwoot_user_id ? ` #${esc(String(agent.chatwoot_user_id))}` : "";
	const error = agent.last_error ? `<div class="text-danger small">${esc(agent.last_error)}</div>` : "";
	return `<div><span class="indicator-pill ${color}">${__("Chatwoot agent")}${who}: ${esc(
		__(agent.status || "")
	)}</span> <span class="small text-muted">${steps}</span>${error}</div>`;
};

chat_bridge.provision_dialog = (frm, agent) => {
	frappe
		.call({ method: "chat_bridge.api.agents.get_inboxes" })
		.then((r) => {
			const chosen = ((agent && agent.inbox_ids) || "").split(",").map((id) => id.trim());
			const dialog = new frappe.ui.Dialog({
				title: __("Chatwoot agent: {0}", [frm.doc.full_name || frm.doc.name]),
				fields: [
					{
						fieldname: "role",
						fieldtype: "Select",
						label: __("Role"),
						options: ["agent", "administrator"],
						default: (agent && agent.role) || "agent",
					},
					{
						fieldname: "inboxes",
						fieldtype: "MultiCheck",
						label: __("Inboxes"),
						options: r.message.data.map((inbox) => ({
							label: `${inbox.name} (#${inbox.id})`,
							value: String(inbox.id),
							checked: chosen.includes(String(inbox.id)),
						})),
					},
				],
				primary_action_label: __("Provision"),
				primary_action(values) {
					dialog.hide();
					chat_bridge.provision(frm, { role: values.role, inboxes: (values.inboxes || []).join(",") });
				},
			});
			dialog.show();
		});
};

chat_bridge.provision = (frm, args) =>
	frappe
		.call({
			method: "chat_bridge.api.agents.provision",
			args: { user: frm.doc.name, ...args },
			freeze: true,
			freeze_message: __("Provisioning in Chatwoot…"),
		})
		.then((r) => {
			const agent = r.message.data;
			frappe.show_alert({
				message: agent.last_error || __("Chatwoot agent: {0}", [__(agent.status)]),
				indicator: chat_bridge.AGENT_INDICATORS[agent.status] || "orange",
			});
			frm.reload_doc();
		});

chat_bridge.deprovision = (frm) => {
	const dialog = new frappe.ui.Dialog({
		title: __("Remove {0} from Chatwoot?", [frm.doc.full_name || frm.doc.name]),
		fields: [
			{
				fieldname: "note",
				fieldtype: "HTML",
				options: `<p>${__(
					"They are taken out of the Chatwoot account and their stored token is deleted. Their conversations stay in Chatwoot."
				)}</p>`,
			},
			{
				fieldname: "delete_chatwoot_user",
				fieldtype: "Check",
				label: __("Also delete the Chatwoot user"),
			},
		],
		primary_action_label: __("Remove"),
		primary_action(values) {
			dialog.hide();
			frappe
				.call({
					method: "chat_bridge.api.agents.deprovision",
					args: { user: frm.doc.name, delete_chatwoot_user: values.delete_chatwoot_user ? 1 : 0 },
					freeze: true,
				})
				.then(() => frm.reload_doc());
		},
	});
	dialog.show();
};
