// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

frappe.query_reports["Chatwoot Conversation Analysis"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_days(frappe.datetime.get_today(), -29),
			reqd: 1,
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		{
			fieldname: "view",
			label: __("Count By"),
			fieldtype: "Select",
			options: [
				"Day",
				"Status",
				"Inbox",
				"Team",
				"Label",
				"Priority",
				"Assignee",
				"Hour of Day",
				"First Response Time",
				"Resolution Time",
			],
			default: "Day",
		},
		chat_bridge.reports.account_filter(),
		// Its choices, the inboxes by name, come when the report loads, and with each account.
		{ fieldname: "inbox", label: __("Inbox"), fieldtype: "Select", options: [] },
		{ fieldname: "team", label: __("Team"), fieldtype: "Data" },
		{ fieldname: "label", label: __("Label"), fieldtype: "Data" },
	],
	formatter: chat_bridge.reports.formatter,
	onload(report) {
		chat_bridge.reports.count_charts(report);
		chat_bridge.reports.load_accounts(report).then(() => load_inboxes(report));
		report.get_filter("account").df.onchange = () => {
			load_inboxes(report);
			report.refresh();
		};
	},
};

function load_inboxes(report) {
	frappe
		.call("chat_bridge.analytics.analysis.inbox_options", {
			account: report.get_filter_value("account") || null,
		})
		.then((r) => {
			const filter = report.get_filter("inbox");
			filter.df.options = [{ value: "", label: "" }, ...(r.message || [])];
			filter.set_options(filter.df.options);
		});
}
