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
				method: "chat_bridge.api.agents.get_user_agents",
				args: { user: frm.doc.name },
				error_handlers: { FeatureDisabledError: () => {} },
			})
			.then((r) => chat_bridge.show_agents(frm, r.message.data));
	},
});

chat_bridge.AGENT_INDICATORS = {
	Provisioned: "green",
	Invited: "blue",
	"Partly provisioned": "orange",
	Deprovisioned: "gray",
};

// A user is an agent of each connected account they are provisioned in: one record, and one set
// of actions, per account. On a site with one account the actions name none.
chat_bridge.show_agents = (frm, { accounts, agents }) => {
	const group = __("Chatwoot");
	const several = accounts.length > 1;
	const label_of = (id) => (accounts.find((a) => a.value === id) || { label: String(id) }).label;
	const active = agents.filter((agent) => agent.status !== "Deprovisioned");
	const free = accounts.filter((a) => !active.some((agent) => agent.account_id === a.value));
	if (free.length) {
		frm.add_custom_button(
			__("Provision Agent"),
			() => chat_bridge.choose_account(free, (account) => chat_bridge.provision_dialog(frm, account)),
			group
		);
	}
	for (const agent of active) {
		const account = agent.account_id;
		const suffix = several ? ` · ${label_of(account)}` : "";
		if (agent.status !== "Provisioned") {
			frm.add_custom_button(
				__("Finish Provisioning") + suffix,
				() => chat_bridge.provision(frm, { account }),
				group
			);
		}
		frm.add_custom_button(
			__("Change Role or Inboxes") + suffix,
			() => chat_bridge.provision_dialog(frm, account, agent),
			group
		);
		frm.add_custom_button(
			__("Remove from Chatwoot") + suffix,
			() => chat_bridge.deprovision(frm, account),
			group
		);
	}
	if (agents.length) {
		frm.dashboard.set_headline(
			agents.map((agent) => chat_bridge.agent_headline(agent, several && label_of(agent.account_id))).join("")
		);
	}
};

chat_bridge.agent_headline = (agent, account_label) => {
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
	const where = account_label ? ` · ${esc(account_label)}` : "";
	const error = agent.last_error ? `<div class="text-danger small">${esc(agent.last_error)}</div>` : "";
	return `<div><span class="indicator-pill ${color}">${__("Chatwoot agent")}${who}${where}: ${esc(
		__(agent.status || "")
	)}</span> <span class="small text-muted">${steps}</span>${error}</div>`;
};

// Ask which account when there is a choice; go straight on when there is one.
chat_bridge.choose_account = (accounts, then) => {
	if (accounts.length === 1) {
		then(accounts[0].value);
		return;
	}
	frappe.prompt(
		{
			fieldname: "account",
			fieldtype: "Select",
			label: __("Chatwoot Account"),
			options: accounts.map((a) => ({ value: String(a.value), label: a.label })),
			default: String(accounts[0].value),
			reqd: 1,
		},
		(values) => then(Number(values.account)),
		__("Provision in which account?"),
		__("Next")
	);
};

chat_bridge.provision_dialog = (frm, account, agent) => {
	frappe
		.call({ method: "chat_bridge.api.agents.get_inboxes", args: { account } })
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
					chat_bridge.provision(frm, {
						account,
						role: values.role,
						inboxes: (values.inboxes || []).join(","),
					});
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

chat_bridge.deprovision = (frm, account) => {
	const dialog = new frappe.ui.Dialog({
		title: __("Remove {0} from Chatwoot?", [frm.doc.full_name || frm.doc.name]),
		fields: [
			{
				fieldname: "note",
				fieldtype: "HTML",
				options: `<p>${__(
					"They are taken out of the Chatwoot account; their stored token is deleted with their last account. Their conversations stay in Chatwoot."
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
					args: {
						user: frm.doc.name,
						account,
						delete_chatwoot_user: values.delete_chatwoot_user ? 1 : 0,
					},
					freeze: true,
				})
				.then(() => frm.reload_doc());
		},
	});
	dialog.show();
};
