"""The Customer Support dashboard's figures that a number card cannot count by itself."""

from datetime import datetime, time, timedelta

import frappe
from frappe.utils import getdate, nowdate

from chat_bridge.accounts import visible_accounts
from chat_bridge.analytics.figures import FIRST_RESPONSE, UNASSIGNED, median, rate
from chat_bridge.permissions import require_analytics_reader


def today_start() -> datetime:
	return datetime.combine(getdate(nowdate()), time.min)


@frappe.whitelist()
def unassigned_conversations(filters=None) -> int:
	"""Open conversations no Chatwoot agent is assigned to (chat_bridge.analytics.figures.UNASSIGNED)."""
	require_analytics_reader()
	return frappe.db.sql(
		f"select count(*) from `tabChatwoot Conversation Mapping` where account_id in %s and {UNASSIGNED}",  # noqa: S608 -- a fixed expression
		[visible_account_ids()],
	)[0][0]


@frappe.whitelist()
def median_first_response_today(filters=None) -> dict | str:
	"""The median time to the first reply of the conversations first answered today."""
	require_analytics_reader()
	start = today_start()
	seconds = frappe.db.sql_list(
		f"""select {FIRST_RESPONSE} from `tabChatwoot Conversation Mapping`
		where account_id in %s and first_reply_at >= %s and first_reply_at < %s
			and chatwoot_created_at is not null""",  # noqa: S608 -- a fixed expression
		(visible_account_ids(), start, start + timedelta(days=1)),
	)
	return figure(median(seconds), "Duration")


@frappe.whitelist()
def resolution_rate_this_week(filters=None) -> dict | str:
	"""Of the conversations begun since Monday, the share resolved."""
	require_analytics_reader()
	start = today_start() - timedelta(days=today_start().weekday())
	[(begun, resolved)] = frappe.db.sql(
		"""select count(*), sum(status = 'resolved') from `tabChatwoot Conversation Mapping`
		where account_id in %s and chatwoot_created_at >= %s""",
		(visible_account_ids(), start),
	)
	return figure(rate(resolved, begun), "Percent")


def visible_account_ids() -> tuple[int, ...]:
	"""The workspace counts every account whose Company the reader may see."""
	return tuple(account.account_id for account in visible_accounts()) or (0,)


def figure(value: float | None, fieldtype: str) -> dict | str:
	"""A card's number; or, when there is nothing to measure yet, words: a card shows a plain
	string as it is, where an empty Duration would read "0s", an instant answer."""
	if value is None:
		return frappe._("None yet")
	return {"value": value, "fieldtype": fieldtype}
