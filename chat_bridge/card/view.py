"""What the card says in words, decided without Frappe."""

from collections.abc import Iterable, Mapping
from datetime import date


def money(amount: float | None, currency: str | None) -> str:
	return f"{currency or ''} {float(amount or 0):,.2f}".strip()


def order_note(order: Mapping, items: Iterable[Mapping]) -> str:
	"""A private note for the agents about a Sales Order: what, how much, how far it has come."""
	items = list(items)
	lines = [
		f"Sales Order {order['name']} of {order.get('transaction_date')}: "
		f"{money(order.get('grand_total'), order.get('currency'))}, {order.get('status')}."
	]
	delivered = float(order.get("per_delivered") or 0)
	if order.get("delivery_date"):
		lines.append(f"Delivery by {order['delivery_date']}; {delivered:.0f}% delivered.")
	else:
		lines.append(f"{delivered:.0f}% delivered.")
	for item in items[:10]:
		lines.append(f"- {item.get('qty'):g} x {item.get('item_name') or item.get('item_code')}")
	if len(items) > 10:
		lines.append(f"- and {len(items) - 10} more items")
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
