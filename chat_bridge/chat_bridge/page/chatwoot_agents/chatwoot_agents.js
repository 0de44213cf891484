// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

// The account's Chatwoot agents with their ERPNext users, roles, availability and inboxes; inbox
// membership is changed here, one agent and one inbox at a time. Provisioning that stopped half-way
// is listed first, with the action that finishes it. On a site with several Chatwoot accounts, the
// Account field says whose agents are shown.

frappe.pages["chatwoot-agents"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Chatwoot Agents"),
		single_column: true,
	});
	wrapper.chatwoot_agents = new ChatwootAgents(page);
};

frappe.pages["chatwoot-agents"].on_page_show = function (wrapper) {
	wrapper.chatwoot_agents && wrapper.chatwoot_agents.load();
};

class ChatwootAgents {
	constructor(page) {
		this.page = page;
		this.page.set_secondary_action(__("Refresh"), () => this.load(), "refresh");
		this.account_field = chat_bridge.account_field(this.page, () => this.load());
		this.$body = $('<div class="chatwoot-agents"></div>').appendTo(page.main);
	}

	load() {
		this.$body.html(`<p class="text-muted">${__("Loading agents from Chatwoot…")}</p>`);
		frappe
			.call({ method: "chat_bridge.api.agents.get_agents", args: { account: this.account() } })
			.then((r) => this.render(r.message.data))
			.catch(() => this.$body.html(`<p class="text-muted">${__("Chatwoot's agents could not be loaded.")}</p>`));
	}

	account() {
		return this.account_field.get_value() || (this.data && this.data.account) || null;
	}

	render(data) {
		this.data = data;
		chat_bridge.offer_accounts(this.account_field, data.accounts, data.account);
		this.$body.empty();
		this.render_unfinished(data.unfinished);
		const inbox_name = Object.fromEntries(data.inboxes.map((i) => [i.id, i.name]));
		const esc = frappe.utils.escape_html;
		const rows = data.agents
			.map((agent) => {
				const user = agent.user
					? `<a href="/app/user/${encodeURIComponent(agent.user)}">${esc(agent.user)}</a>`
					: `<span class="text-muted">${__("not linked")}</span>`;
				const inboxes = agent.inboxes
					.map(
						(id) => `<span class="indicator-pill blue" style="margin: 2px;">${esc(inbox_name[id] || `#${id}`)}
							<a href="#" class="remove-inbox" style="margin-left: 6px;" data-inbox="${id}" data-agent="${agent.id}" title="${__(
								"Remove from this inbox"
							)}">×</a></span>`
					)
					.join("");
				const others = data.inboxes.filter((i) => !agent.inboxes.includes(i.id));
				const add = others.length
					? `<select class="form-control input-xs add-inbox" data-agent="${agent.id}" style="display: inline-block; width: auto;">
						<option value="">${__("Add to inbox…")}</option>
						${others.map((i) => `<option value="${i.id}">${esc(i.name)}</option>`).join("")}
					</select>`
					: "";
				return `<tr>
					<td>${esc(agent.name || "")}<div class="small text-muted">${esc(agent.email || "")} · #${agent.id}</div></td>
					<td>${user}${agent.status ? `<div class="small text-muted">${esc(__(agent.status))}</div>` : ""}</td>
					<td>${esc(agent.role || "")}${agent.confirmed === false ? `<div class="small text-muted">${__("invited")}</div>` : ""}</td>
					<td>${esc(agent.availability || "")}</td>
					<td>${inboxes} ${add}</td>
				</tr>`;
			})
			.join("");
		this.$body.append(`<table class="table table-bordered chatwoot-agent-table">
			<thead><tr><th>${__("Chatwoot agent")}</th><th>${__("ERPNext user")}</th><th>${__("Role")}</th>
			<th>${__("Availability")}</th><th>${__("Inboxes")}</th></tr></thead>
			<tbody>${rows || `<tr><td colspan="5" class="text-muted">${__("No agents.")}</td></tr>`}</tbody>
		</table>`);
		this.$body.find(".remove-inbox").on("click", (e) => {
			e.preventDefault();
			const $link = $(e.currentTarget);
			this.change("remove_from_inbox", $link.data("inbox"), $link.data("agent"));
		});
		this.$body.find(".add-inbox").on("change", (e) => {
			const $select = $(e.currentTarget);
			if ($select.val()) this.change("add_to_inbox", $select.val(), $select.data("agent"));
		});
	}

	render_unfinished(unfinished) {
		if (!unfinished.length) return;
		const esc = frappe.utils.escape_html;
		const items = unfinished
			.map(
				(agent) => `<li><a href="/app/user/${encodeURIComponent(agent.user)}">${esc(agent.user)}</a>:
					${esc(__(agent.status))}${agent.last_error ? ` (${esc(agent.last_error)})` : ""}
					${agent.status === "Partly provisioned" ? `<button class="btn btn-xs btn-default finish" data-user="${esc(agent.user)}">${__("Finish Provisioning")}</button>` : ""}</li>`
			)
			.join("");
		this.$body.append(`<div class="alert alert-warning"><b>${__("Not finished")}</b><ul>${items}</ul></div>`);
		this.$body.find(".finish").on("click", (e) =>
			frappe
				.call({
					method: "chat_bridge.api.agents.provision",
					args: { user: $(e.currentTarget).data("user"), account: this.account() },
					freeze: true,
				})
				.then(() => this.load())
		);
	}

	change(method, inbox_id, agent_id) {
		frappe
			.call({
				method: `chat_bridge.api.agents.${method}`,
				args: { inbox_id, agent_id, account: this.account() },
				freeze: true,
			})
			.then(() => this.load());
	}
}
