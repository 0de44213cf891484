// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

frappe.query_reports["Chatwoot Agent Performance"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_days(frappe.datetime.get_today(), -6),
			reqd: 1,
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		chat_bridge.reports.account_filter(),
	],
	formatter: chat_bridge.reports.formatter,
	onload(report) {
		chat_bridge.reports.count_charts(report);
		chat_bridge.reports.load_accounts(report);
	},
};
