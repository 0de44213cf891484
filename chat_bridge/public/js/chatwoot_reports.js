// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

// What the support reports share in the browser.

frappe.provide("chat_bridge.reports");

// Frappe shows an empty Duration as "0s", which reads as an instant answer: a conversation nobody
// answered (or resolved) yet shows nothing instead.
chat_bridge.reports.formatter = (value, row, column, data, default_formatter) =>
	column.fieldtype === "Duration" && (value === null || value === undefined || value === "")
		? ""
		: default_formatter(value, row, column, data);

// A chart over many days: Frappe's query report sets the chart's axis options itself, and
// without xIsSeries the day labels are cut to "..." rather than spaced out.
chat_bridge.reports.chart_days_as_a_series = (report) => {
	if (report.chat_bridge_series) return;
	report.chat_bridge_series = true;
	const chart_options = report.get_chart_options.bind(report);
	report.get_chart_options = (data) => {
		const options = chart_options(data);
		if (options && options.chat_bridge_series) options.axisOptions.xIsSeries = 1;
		return options;
	};
};
