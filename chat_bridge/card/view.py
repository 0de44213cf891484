"""What the card says in words, decided without Frappe."""

from collections.abc import Iterable, Mapping
from datetime import date

from chat_bridge.i18n import _


def money(amount: float | None, currency: str | None) -> str:
	return f"{currency or ''} {float(amount or 0):,.2f}".strip()


def order_note(order: Mapping, items: Iterable[Mapping]) -> str:
	"""A private note for the agents about a Sales Order: what, how much, how far it has come."""
	items = list(items)
	lines = [
		_("Sales Order {0} of {1}: {2}, {3}.").format(
			order["name"],
			order.get("transaction_date"),
			money(order.get("grand_total"), order.get("currency")),
			_(order.get("status") or ""),
		)
	]
	delivered = float(order.get("per_delivered") or 0)
	if order.get("delivery_date"):
		lines.append(_("Delivery by {0}; {1:.0f}% delivered.").format(order["delivery_date"], delivered))
	else:
		lines.append(_("{0:.0f}% delivered.").format(delivered))
	for item in items[:10]:
		lines.append(f"- {item.get('qty'):g} x {item.get('item_name') or item.get('item_code')}")
	if len(items) > 10:
		lines.append(_("- and {0} more items").format(len(items) - 10))
	return "\n".join(lines)


def invoice_state(status: str | None, outstanding: float | None, due_date: date | None, today: date) -> str:
	"""Paid, or what is still due and whether it is late."""
	if status in ("Paid", "Return", "Credit Note Issued", "Cancelled"):
		return status
	if not outstanding:
		return "Paid"
	if due_date and due_date < today:
		return "Overdue"
	return "Unpaid" if status in (None, "", "Submitted") else status
