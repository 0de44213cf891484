// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

// The Chatwoot section of Contact, Lead and Customer forms: the linked Chatwoot contact, its
// conversations, and a box to reply or leave a private note. Shown while API access is on, to
// System Managers and Chatwoot Agents. Loaded with each of those forms (hooks.py, doctype_js),
// before the line of that DocType's own script that adds the section to it.

frappe.provide("chat_bridge");

chat_bridge.HISTORY_LENGTH = 10; // the latest messages shown under a conversation; Chatwoot has all

chat_bridge.ConversationPanel = class ConversationPanel {
	constructor(frm) {
		this.frm = frm;
		this.docname = frm.doc.name;
		// A form can refresh more than once for one document (the first save does): one section.
		this.remove_sections();
		this.$section = frm.dashboard.add_section(
			`<div class="chatwoot-panel text-muted small">${__("Loading Chatwoot conversations…")}</div>`,
			__("Chatwoot"),
			"custom chatwoot-section"
		);
		this.$panel = this.$section.find(".chatwoot-panel");
		this.load();
	}

	shows(frm) {
		return this.docname === frm.doc.name && $.contains(document.documentElement, this.$section[0]);
	}

	load() {
		frappe
			.call({
				method: "chat_bridge.api.rest_api.get_record_conversations",
				args: { doctype: this.frm.doctype, name: this.frm.doc.name },
				// Switched off since this page was loaded: the section goes, without a popup.
				error_handlers: { FeatureDisabledError: () => this.remove() },
			})
			.then((r) => this.render(r.message.data))
			.catch(() => this.$panel.text(__("Chatwoot conversations could not be loaded.")));
	}

	remove() {
		frappe.boot.chat_bridge.api = false;
		this.remove_sections();
	}

	remove_sections() {
		this.frm.dashboard.parent.find(".chatwoot-section").remove();
	}

	render(data) {
		const esc = frappe.utils.escape_html;
		// A live refresh keeps what the reader had open: the histories they expanded, and a
		// reply they were writing.
		const expanded = new Set(
			this.$panel
				.find("tr.chatwoot-history:not(.hidden)")
				.map((_i, row) => String($(row).data("history")))
				.get()
		);
		const $reply = this.$panel.find(".chatwoot-reply").detach();
		const first = !this.rendered;
		this.rendered = true;
		this.$panel.removeClass("text-muted small").empty();
		if (!data.mappings.length) {
			this.render_unmapped();
			return;
		}
		const linked = data.mappings.map((m) => `#${esc(String(m.chatwoot_contact_id))}`).join(", ");
		this.$panel.append(`<p class="text-muted small">${__("Chatwoot contact")} ${linked}</p>`);
		if (!data.conversations.length) {
			this.$panel.append(`<p class="text-muted">${__("No conversations yet.")}</p>`);
			return;
		}
		const rows = data.conversations
			.map(
				(c) => `<tr data-conversation="${esc(String(c.id))}">
					<td class="text-nowrap">#${esc(String(c.id))}${chat_bridge.verified_pill(c)}</td>
					<td><span class="indicator-pill ${c.status === "open" ? "orange" : "gray"}">${esc(chat_bridge.status_label(c.status))}</span></td>
					<td>${esc(c.last_message || "")}</td>
					<td>${esc(c.assignee || __("Unassigned"))}</td>
					<td class="text-nowrap">
						<a href="#" class="history">${__("History")}</a>
						&nbsp;<a href="${esc(c.chatwoot_url || "#")}" class="chatwoot-open" data-conversation="${esc(
							String(c.id)
						)}" target="_blank" rel="noopener">${__("Open")}</a>
						&nbsp;<a href="#" class="reply">${__("Reply")}</a>
					</td>
				</tr>
				<tr class="chatwoot-history hidden" data-history="${esc(String(c.id))}"><td colspan="5"></td></tr>`
			)
			.join("");
		this.$panel.append(`<table class="table table-condensed small"><tbody>${rows}</tbody></table>`);
		this.$panel.append($reply.length ? $reply : $('<div class="chatwoot-reply"></div>'));
		this.$panel.find("a.reply").on("click", (e) => {
			e.preventDefault();
			this.show_reply_box($(e.target).closest("tr").data("conversation"));
		});
		this.$panel.find("a.history").on("click", (e) => {
			e.preventDefault();
			const $row = $(e.target).closest("tr");
			const conversation = data.conversations.find((c) => c.id === $row.data("conversation"));
			this.toggle_history(conversation);
		});
		for (const conversation of data.conversations) {
			const only = first && data.conversations.length === 1;
			if (only || expanded.has(String(conversation.id))) this.toggle_history(conversation);
		}
	}

	toggle_history(conversation) {
		const $row = this.$panel.find(`tr[data-history="${conversation.id}"]`);
		if (!$row.hasClass("hidden")) {
			$row.addClass("hidden");
			return;
		}
		$row.removeClass("hidden").find("td").html(`<span class="text-muted">${__("Loading…")}</span>`);
		frappe
			.call({
				method: "chat_bridge.api.rest_api.get_messages",
				args: { conversation_id: conversation.id },
			})
			.then((r) => $row.find("td").html(this.history_html(r.message.data, conversation)))
			.catch(() => $row.find("td").text(__("The messages could not be loaded from Chatwoot.")));
	}

	history_html(messages, conversation) {
		const esc = frappe.utils.escape_html;
		const shown = messages
			.filter((m) => m.message_type_name !== "activity")
			.slice(-chat_bridge.HISTORY_LENGTH);
		const items = shown
			.map((m) => {
				const who =
					m.message_type_name === "incoming"
						? (m.sender && m.sender.name) || __("Customer")
						: (m.sender && m.sender.name) || __("Agent");
				const when = m.created_at ? moment.unix(m.created_at).fromNow() : ""; // both ends in the browser's zone
				const note = m.private ? ` <span class="indicator-pill yellow">${__("Private note")}</span>` : "";
				return `<div class="chatwoot-message" style="margin-bottom: 6px;">
					<b>${esc(who)}</b>${note} <span class="text-muted small">${when}</span>
					<div>${esc(m.content || "")}</div>
				</div>`;
			})
			.join("");
		const all = conversation.chatwoot_url
			? `<a href="${esc(conversation.chatwoot_url)}" class="chatwoot-open" data-conversation="${esc(
					String(conversation.id)
			  )}" target="_blank" rel="noopener">${__(
					"All messages in Chatwoot"
			  )}</a>`
			: "";
		return `${items || `<p class="text-muted">${__("No messages yet.")}</p>`}<p class="small">${all}</p>`;
	}

	render_unmapped() {
		if (this.frm.doctype !== "Contact") {
			this.$panel.html(
				`<p class="text-muted">${__("None of this record's contacts is linked to a Chatwoot contact.")}</p>`
			);
			return;
		}
		this.$panel.html(`<p class="text-muted">${__("This contact is not linked to Chatwoot.")}</p>
			<button class="btn btn-default btn-xs create">${__("Create Chatwoot contact")}</button>
			<button class="btn btn-default btn-xs link">${__("Link existing Chatwoot contact")}</button>`);
		this.$panel.find(".create").on("click", () =>
			frappe
				.call({
					method: "chat_bridge.api.rest_api.create_chatwoot_contact",
					args: { contact: this.frm.doc.name },
					freeze: true,
				})
				.then(() => this.load())
		);
		this.$panel.find(".link").on("click", () =>
			frappe.prompt(
				{ fieldname: "chatwoot_contact_id", fieldtype: "Int", label: __("Chatwoot Contact ID"), reqd: 1 },
				(values) =>
					frappe
						.call({
							method: "chat_bridge.api.rest_api.link_contact",
							args: { contact: this.frm.doc.name, chatwoot_contact_id: values.chatwoot_contact_id },
						})
						.then(() => this.load()),
				__("Link Chatwoot contact")
			)
		);
	}

	show_reply_box(conversation_id) {
		const $box = this.$panel.find(".chatwoot-reply").html(`
			<p class="small">${__("Reply in conversation #{0}", [conversation_id])}</p>
			<textarea class="form-control" rows="3"></textarea>
			<label class="small"><input type="checkbox" class="private"> ${__("Private note (not sent to the customer)")}</label>
			<p><button class="btn btn-primary btn-xs send">${__("Send")}</button></p>`);
		$box.find(".send").on("click", () => {
			const content = $box.find("textarea").val();
			if (!content.trim()) return;
			frappe
				.call({
					method: "chat_bridge.api.rest_api.send_message",
					args: {
						conversation_id,
						content,
						private: $box.find(".private").is(":checked") ? 1 : 0,
					},
					freeze: true,
				})
				.then(() => {
					frappe.show_alert({ message: __("Sent to Chatwoot"), indicator: "green" });
					this.load();
				});
		});
	}
};

// The events of a form that shows the section.
chat_bridge.conversation_section = {
	refresh(frm) {
		if (!chat_bridge.api_enabled() || frm.is_new()) return;
		chat_bridge.listen_for_updates();
		if (frm.chatwoot_panel && frm.chatwoot_panel.shows(frm)) {
			frm.chatwoot_panel.load();
		} else {
			frm.chatwoot_panel = new chat_bridge.ConversationPanel(frm);
		}
	},
};

// The sync announces new messages to the rooms of the records they belong to; an open form of
// one of them reloads its panel. The listener is attached from a form, not when this script
// loads: the desk's realtime socket does not exist yet then, and frappe.realtime.on drops it.
chat_bridge.listen_for_updates = () => {
	if (chat_bridge.listening || !frappe.realtime.socket) return;
	frappe.realtime.on("chat_bridge_update", () => {
		const frm = window.cur_frm;
		if (frm && frm.chatwoot_panel && frm.chatwoot_panel.shows(frm)) {
			frm.chatwoot_panel.load();
		}
	});
	chat_bridge.listening = true;
};
