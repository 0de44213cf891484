// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

// Chatwoot's agent dashboard sends X-Frame-Options: SAMEORIGIN, so it can be framed only when
// Chatwoot is served from this site's own origin. Elsewhere the page does not try: it offers
// Chatwoot in a new tab and, with API access on, a list of conversations of its own. On a site
// with several Chatwoot accounts, the Account field says whose.

frappe.pages["chatwoot-dashboard"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Chatwoot Dashboard"),
		single_column: true,
	});
	wrapper.chatwoot_dashboard = new ChatwootDashboard(page);
};

frappe.pages["chatwoot-dashboard"].on_page_show = function (wrapper) {
	wrapper.chatwoot_dashboard && wrapper.chatwoot_dashboard.load();
};

const FRAME_TIMEOUT_MS = 8000;
const CONVERSATIONS_PAGE_SIZE = 25; // Chatwoot's page of conversations: fewer means the last page
const STATUSES = ["open", "pending", "snoozed", "resolved", "all"];

class ChatwootDashboard {
	constructor(page) {
		this.page = page;
		this.account_field = chat_bridge.account_field(this.page, () => this.load());
		this.$body = $('<div class="chatwoot-dashboard"></div>').appendTo(page.main);
	}

	load() {
		frappe
			.call(
				"chat_bridge.chat_bridge.page.chatwoot_dashboard.chatwoot_dashboard.get_dashboard_context",
				{ account: this.account_field.get_value() || null }
			)
			.then((r) => this.render(r.message));
	}

	render(context) {
		this.context = context;
		chat_bridge.offer_accounts(this.account_field, context.accounts, context.account_id);
		this.page.clear_primary_action();
		this.$body.empty();
		if (!context.enabled) {
			this.show_disabled(context);
			return;
		}
		this.page.set_primary_action(__("Open Chatwoot"), () => this.open_chatwoot(), "external-link");
		this.make_search();
		this.$notice = $('<div class="chatwoot-notice"></div>').appendTo(this.$body);
		this.$frame_area = $('<div class="chatwoot-frame"></div>').appendTo(this.$body);
		this.$fallback = $('<div class="chatwoot-fallback"></div>').appendTo(this.$body).hide();
		if (this.same_origin(context.dashboard_url)) {
			this.try_frame(context.dashboard_url);
		} else {
			this.show_fallback(
				__(
					"Chatwoot at {0} does not allow its dashboard inside another site's page. Open it in a new tab.",
					[frappe.utils.escape_html(context.chatwoot_url)]
				)
			);
		}
	}

	show_disabled(context) {
		const settings = context.can_configure
			? `<p><a class="btn btn-default btn-sm" href="/app/chatwoot-integration-settings">${__(
					"Open Chatwoot Integration Settings"
			  )}</a></p>`
			: `<p class="text-muted">${__("Ask a System Manager to switch it on.")}</p>`;
		this.$body.html(
			`<div class="chatwoot-disabled text-center" style="padding: 60px 15px;">
				<p class="text-muted">${frappe.utils.escape_html(context.message)}</p>${settings}
			</div>`
		);
	}

	make_search() {
		const $search = $(`<div class="chatwoot-search" style="margin: 8px 0 16px;">
			<input type="search" class="form-control" placeholder="${__(
				"Search conversations by what was said…"
			)}" style="max-width: 480px;">
			<div class="chatwoot-search-results"></div>
		</div>`).appendTo(this.$body);
		const $results = $search.find(".chatwoot-search-results");
		$search.find("input").on("keydown", (e) => {
			if (e.key !== "Enter") return;
			const q = e.target.value.trim();
			if (q.length < 2) return;
			$results.html(`<p class="text-muted small">${__("Searching…")}</p>`);
			frappe
				.call({ method: "chat_bridge.api.rest_api.search_conversations", args: { q } })
				.then((r) => $results.html(this.search_results(r.message.data)))
				.catch(() => $results.html(`<p class="text-muted small">${__("The search failed.")}</p>`));
		});
	}

	search_results(hits) {
		const esc = frappe.utils.escape_html;
		if (!hits.length) return `<p class="text-muted small">${__("No conversation mentions it.")}</p>`;
		const rows = hits
			.map((hit) => {
				const record = hit.record
					? `<a href="/app/${frappe.router.slug(hit.record.doctype)}/${encodeURIComponent(hit.record.name)}">${esc(
							__(hit.record.doctype)
					  )} ${esc(hit.record.name)}</a>`
					: `<span class="text-muted">${__("not in ERPNext yet")}</span>`;
				const when = hit.at ? frappe.datetime.comment_when(hit.at) : "";
				return `<tr>
					<td>#${esc(String(hit.conversation_id))}</td>
					<td>${esc(hit.snippet || "")}<div class="small text-muted">${esc(hit.who || "")} ${when}</div></td>
					<td>${record}</td>
					<td><a href="${esc(hit.chatwoot_url)}" class="chatwoot-open" data-conversation="${esc(
						String(hit.conversation_id)
					)}" target="_blank" rel="noopener">${__("Open in Chatwoot")}</a></td>
				</tr>`;
			})
			.join("");
		return `<table class="table table-bordered small chatwoot-search-table"><tbody>${rows}</tbody></table>`;
	}

	same_origin(url) {
		try {
			return new URL(url).origin === window.location.origin;
		} catch (e) {
			return false;
		}
	}

	try_frame(url) {
		const $frame = $(
			'<iframe style="width: 100%; height: calc(100vh - 160px); border: 0;" referrerpolicy="same-origin"></iframe>'
		);
		let settled = false;
		const fail = () => {
			if (settled) return;
			settled = true;
			$frame.remove();
			this.show_fallback(__("The Chatwoot dashboard did not load here. Open it in a new tab."));
		};
		const timer = setTimeout(fail, FRAME_TIMEOUT_MS);
		$frame.on("load", () => {
			try {
				// A blocked or failed frame leaves an inaccessible or blank document behind.
				const href = $frame[0].contentWindow.location.href;
				if (!href || href === "about:blank") return fail();
				settled = true;
				clearTimeout(timer);
			} catch (e) {
				clearTimeout(timer);
				fail();
			}
		});
		$frame.attr("src", url).appendTo(this.$frame_area);
	}

	open_chatwoot() {
		chat_bridge.open_in_chatwoot(this.context.dashboard_url);
	}

	show_fallback(reason) {
		// The page's primary action opens Chatwoot; the notice says why that is the way in.
		this.$notice.html(`<div class="alert alert-info">${reason}</div>`);
		this.$fallback.show().empty();
		if (this.context.api_enabled) {
			this.make_conversation_list();
		} else {
			this.$fallback.append(
				`<p class="text-muted">${__(
					"With Enable API Access on, recent conversations are listed here."
				)}</p>`
			);
		}
	}

	make_conversation_list() {
		this.status = "open";
		this.pages_loaded = 0;
		const options = STATUSES.map(
			(s) => `<option value="${s}">${frappe.utils.escape_html(chat_bridge.status_label(s))}</option>`
		).join("");
		this.$fallback.append(`
			<div class="flex" style="gap: 8px; align-items: center; margin: 12px 0;">
				<label class="text-muted small" for="chatwoot-status">${__("Status")}</label>
				<select id="chatwoot-status" class="form-control input-xs" style="width: 160px;">${options}</select>
			</div>
			<table class="table table-bordered chatwoot-conversations">
				<thead><tr>
					<th>#</th><th>${__("Contact")}</th><th>${__("Last message")}</th>
					<th>${__("Assignee")}</th><th>${__("Status")}</th><th></th>
				</tr></thead>
				<tbody></tbody>
			</table>
			<p><button class="btn btn-default btn-xs more">${__("Load more")}</button></p>`);
		this.$fallback.find("#chatwoot-status").on("change", (e) => {
			this.status = e.target.value;
			this.pages_loaded = 0;
			this.$fallback.find("tbody").empty();
			this.load_conversations();
		});
		this.$fallback.find(".more").on("click", () => this.load_conversations());
		this.load_conversations();
	}

	load_conversations() {
		const page = this.pages_loaded + 1;
		const $tbody = this.$fallback.find("tbody");
		frappe
			.call({
				method: "chat_bridge.api.rest_api.get_conversations",
				args: { status: this.status, page, account: this.context.account_id },
				error: () => {
					this.$fallback.find(".more").hide();
					$tbody.append(
						`<tr><td colspan="6" class="text-muted text-center">${__(
							"Conversations could not be loaded from Chatwoot."
						)}</td></tr>`
					);
				},
			})
			.then((r) => {
				const rows = (r.message && r.message.data) || [];
				this.pages_loaded = page;
				if (!rows.length && page === 1) {
					$tbody.html(
						`<tr><td colspan="6" class="text-muted text-center">${__("No conversations")}</td></tr>`
					);
				}
				rows.forEach((row) => $tbody.append(this.conversation_row(row)));
				this.$fallback.find(".more").toggle(rows.length >= CONVERSATIONS_PAGE_SIZE);
			});
	}

	conversation_row(row) {
		const esc = frappe.utils.escape_html;
		const contact = row.erpnext_contact
			? `<a href="/app/contact/${encodeURIComponent(row.erpnext_contact)}">${esc(
					row.contact_name || row.erpnext_contact
			  )}</a>`
			: esc(row.contact_name || row.contact_email || "");
		const open = row.chatwoot_url
			? `<a href="${esc(row.chatwoot_url)}" class="chatwoot-open" data-conversation="${esc(
					String(row.id)
			  )}" target="_blank" rel="noopener">${__("Open in Chatwoot")}</a>`
			: "";
		return `<tr>
			<td>${esc(String(row.id))}</td>
			<td>${contact}${chat_bridge.verified_pill(row)}</td>
			<td>${esc(row.last_message || "")}</td>
			<td>${esc(row.assignee || __("Unassigned"))}</td>
			<td>${esc(chat_bridge.status_label(row.status))}</td>
			<td>${open}</td>
		</tr>`;
	}
}
