// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

// What the desk's Chat Bridge scripts share, loaded on every desk page: what the boot says is on,
// the "Open in Chatwoot" links, and the support reports' helpers. Form scripts are loaded by Frappe
// with their DocType's form (doctype_js in hooks.py) and use what is here.

frappe.provide("chat_bridge.reports");

// A customer who signed in to the website widget has proven who they are (identity validation).
chat_bridge.verified_pill = (conversation) =>
	conversation.identity_verified
		? ` <span class="indicator-pill green" title="${__(
				"Signed in on the website: Chatwoot verified who this customer is"
		  )}">${__("Verified")}</span>`
		: "";

// A conversation's status as Chatwoot names it, in the reader's language (lower case, as a word
// apart from the verb "Open").
chat_bridge.status_label = (status) =>
	({
		open: __("open"),
		pending: __("pending"),
		snoozed: __("snoozed"),
		resolved: __("resolved"),
		all: __("all"),
	})[status] || status || "";

chat_bridge.api_enabled = () =>
	Boolean(frappe.boot.chat_bridge && frappe.boot.chat_bridge.api && frappe.boot.chat_bridge.can_use);

// Open Chatwoot at `url` in a new tab, signed in as the current user when they are an agent the
// Platform API provisioned. The one-time link is fetched on each click and never kept; the tab is
// opened on the click itself, or the browser would block it.
chat_bridge.open_in_chatwoot = (url, conversation_id) => {
	const boot = frappe.boot.chat_bridge || {};
	if (!boot.can_sign_in || !boot.api) {
		window.open(url, "_blank", "noopener");
		return;
	}
	const tab = window.open("", "_blank");
	if (!tab) return;
	tab.opener = null;
	frappe
		.call({
			method: "chat_bridge.api.agents.get_sign_in_link",
			type: "POST",
			// The account is the one in the link (…/app/accounts/ID/…), for a site with several.
			args: { conversation_id: conversation_id || null, account: chat_bridge.account_in(url) },
		})
		.then((r) => (tab.location = (r.message.data && r.message.data.url) || url))
		.catch(() => (tab.location = url));
};

chat_bridge.account_in = (url) => {
	const match = /\/accounts\/(\d+)(\/|$)/.exec(url || "");
	return match ? match[1] : null;
};

$(document).on("click", "a.chatwoot-open", function (event) {
	event.preventDefault();
	chat_bridge.open_in_chatwoot(this.href, $(this).data("conversation"));
});

// Frappe shows an empty Duration as "0s", which reads as an instant answer: a conversation nobody
// answered (or resolved) yet shows nothing instead.
chat_bridge.reports.formatter = (value, row, column, data, default_formatter) =>
	column.fieldtype === "Duration" && (value === null || value === undefined || value === "")
		? ""
		: default_formatter(value, row, column, data);

// The reports' charts count conversations. Frappe's query report sets a chart's axis options itself,
// so they are set here, after it: frappe-charts divides an axis up to 2 into quarters (which
// Frappe's axis labels round to 0, 0, 0.5, 1, 1), and an axis to at least 4 is divided in ones. A
// chart over days is a series (else its labels are cut to "..."), its days written as the table
// writes dates.
chat_bridge.reports.count_charts = (report) => {
	if (report.chat_bridge_count_charts) return;
	report.chat_bridge_count_charts = true;
	const chart_options = report.get_chart_options.bind(report);
	report.get_chart_options = (data) => {
		const options = chart_options(data);
		if (!options) return options;
		options.axisOptions.yAxisRange = { min: 0, max: 4 };
		if (options.chat_bridge_series) {
			options.axisOptions.xIsSeries = 1;
			options.data.labels = options.data.labels.map((day) => frappe.datetime.str_to_user(day));
		}
		return options;
	};
};

// The reports' Account filter: the Chatwoot accounts the reader's Company permissions reach. It
// is shown only on a site with more than one; each account's figures are its own.
chat_bridge.reports.account_filter = () => ({
	fieldname: "account",
	label: __("Account"),
	fieldtype: "Select",
	options: [],
});

chat_bridge.reports.load_accounts = (report) =>
	frappe.call("chat_bridge.analytics.analysis.account_options").then((r) => {
		const filter = report.get_filter("account");
		const accounts = r.message || [];
		filter.df.options = accounts;
		filter.set_options(accounts);
		filter.toggle(accounts.length > 1);
		if (accounts.length && !filter.get_value()) return filter.set_value(accounts[0].value);
	});

// A chat message whose sender has no e-mail (a customer reached on WhatsApp, an agent without an
// ERPNext user) has no sender on its Communication, and Frappe's timeline then draws the avatar
// of whoever is reading. Drawn from the sender's name instead. Frappe does not export its form
// timeline: it is reached through the first form's, whose timeline is then drawn again.
$(document).on("form-refresh", (_event, frm) => {
	const timeline = frm.timeline;
	if (chat_bridge.timeline_avatars || !timeline || !timeline.get_communication_timeline_content) return;
	chat_bridge.timeline_avatars = true;
	const prototype = Object.getPrototypeOf(timeline);
	const content_of = prototype.get_communication_timeline_content;
	prototype.get_communication_timeline_content = function (doc, allow_reply) {
		const $content = content_of.call(this, doc, allow_reply);
		if (doc.communication_medium === "Chat" && !doc.sender) {
			const name = doc.sender_full_name || __("Chatwoot");
			$content.find(".avatar").replaceWith(frappe.avatar(null, "avatar-medium", name, ""));
		}
		return $content;
	};
	timeline.refresh();
});

// A page's Account field, for a site with several Chatwoot accounts: hidden until there is a choice.
chat_bridge.account_field = (page, on_change) => {
	const field = page.add_field({
		fieldname: "account",
		fieldtype: "Select",
		label: __("Account"),
		change: () => field.get_value() && on_change(),
	});
	$(field.wrapper).hide();
	return field;
};

// Offer `accounts` ({value, label}) in the field, showing `current`, when there are two or more.
chat_bridge.offer_accounts = (field, accounts, current) => {
	if (!accounts || accounts.length < 2) return;
	field.df.options = accounts.map((a) => ({ value: String(a.value), label: a.label }));
	field.refresh();
	field.set_input(String(current));
	$(field.wrapper).show();
};
