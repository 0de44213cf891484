"""One customer's story in Chatwoot, with ids of its own, for the sync tests.

The example deliveries (tests/fixtures/webhooks) tell of contact 1042 "Jane Doe", conversation 58
and messages 901 to 903 in account 3. A Story retargets them to fresh ids, email and phone, in the
tests' own account, so each test writes records no other test (and nothing of the site's own)
touches, and removes them all afterwards.
"""

import copy
import json
import random
from pathlib import Path

import frappe
from frappe.utils import now_datetime

from chat_bridge.chatwoot.events import event_object_id
from chat_bridge.erpnext import has_erpnext
from chat_bridge.tests.utils import ACCOUNT_ID, on_test_account
from chat_bridge.webhook.log import EVENT_DOCTYPE, insert_event
from chat_bridge.webhook.processing import process_event

EXAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "webhooks"


def example(name: str) -> dict:
	return json.loads((EXAMPLES / f"{name}.json").read_text())


class Story:
	def __init__(self, name: str = "Jane Doe"):
		self.base = random.randint(100_000, 899_999)  # noqa: S311 -- test ids, not secrets
		self.contact_id = self.base
		self.conversation_id = self.base
		self.name = name
		self.email = f"customer{self.base}@example.test"
		self.phone = f"+1415{self.base:07d}"
		self.replacements = {
			("id", 1042): self.contact_id,
			("contact_id", 1042): self.contact_id,
			("sender_id", 1042): self.contact_id,
			("id", 58): self.conversation_id,
			("conversation_id", 58): self.conversation_id,
			("email", "jane.doe@example.com"): self.email,
			("phone_number", "+14155550123"): self.phone,
			("name", "Jane Doe"): name,
			("identifier", "CUST-00017"): f"CUST-{self.base}",
			("erpnext_customer", "CUST-00017"): f"CUST-{self.base}",
		}
		for number, original in enumerate((901, 902, 903)):
			self.replacements[("id", original)] = self.message_id(number)

	def message_id(self, number: int) -> int:
		return self.base * 10 + number

	def payload(self, example_name: str, **top_level) -> dict:
		payload = on_test_account(self._retarget(copy.deepcopy(example(example_name))))
		payload.update(top_level)
		return payload

	def _retarget(self, value):
		if isinstance(value, dict):
			return {key: self._retarget_item(key, item) for key, item in value.items()}
		if isinstance(value, list):
			return [self._retarget(item) for item in value]
		return value

	def _retarget_item(self, key, item):
		if isinstance(item, dict | list):
			return self._retarget(item)
		return self.replacements.get((key, item), item)

	def deliver(self, payload: dict, event: str | None = None) -> str:
		"""Record `payload` as a received delivery and process it, as the webhook path does."""
		event = event or payload["event"]
		object_id = event_object_id(event, payload)
		name = insert_event(
			{
				"delivery_id": f"story-{self.base}-{frappe.generate_hash(length=8)}",
				"event": event,
				"account_id": ACCOUNT_ID,
				"object_id": str(object_id) if object_id is not None else None,
				"received_at": now_datetime(),
				"payload": json.dumps(payload),
				"status": "Queued",
			}
		)
		frappe.db.commit()
		return process_event(name)

	def event_error(self) -> str | None:
		rows = frappe.get_all(
			EVENT_DOCTYPE,
			filters={"delivery_id": ("like", f"story-{self.base}-%"), "status": "Failed"},
			pluck="error",
		)
		return rows[0] if rows else None

	# What the story left in ERPNext

	def contacts(self) -> list[str]:
		return frappe.get_all(
			"Contact Email", filters={"email_id": self.email}, pluck="parent", distinct=True
		)

	def communications(self) -> list[str]:
		return frappe.get_all(
			"Communication", filters={"name": ("like", f"CW-{ACCOUNT_ID}-{self.base}%")}, pluck="name"
		)

	def comments(self) -> list[str]:
		return frappe.get_all(
			"Comment", filters={"name": ("like", f"CW-{ACCOUNT_ID}-{self.base}%")}, pluck="name"
		)

	def contact_mapping(self):
		name = frappe.db.get_value(
			"Chatwoot Contact Mapping", {"account_id": ACCOUNT_ID, "chatwoot_contact_id": self.contact_id}
		)
		return frappe.get_doc("Chatwoot Contact Mapping", name) if name else None

	def conversation_mapping(self):
		name = frappe.db.get_value(
			"Chatwoot Conversation Mapping",
			{"account_id": ACCOUNT_ID, "chatwoot_conversation_id": self.conversation_id},
		)
		return frappe.get_doc("Chatwoot Conversation Mapping", name) if name else None

	def todos(self, status: str | None = None) -> list[dict]:
		filters = {"description": ("like", f"Chatwoot conversation #{self.conversation_id}:%")}
		if status:
			filters["status"] = status
		return frappe.get_all(
			"ToDo",
			filters=filters,
			fields=["name", "allocated_to", "status", "reference_type", "reference_name"],
		)

	def clean_up(self) -> None:
		frappe.db.rollback()
		contacts = self.contacts()
		for name in self.communications():
			frappe.delete_doc("Communication", name, ignore_permissions=True, force=True)
		frappe.db.delete("Comment", {"name": ("like", f"CW-{ACCOUNT_ID}-{self.base}%")})
		frappe.db.delete(
			"ToDo", {"description": ("like", f"Chatwoot conversation #{self.conversation_id}:%")}
		)
		if has_erpnext():
			for issue in frappe.get_all(
				"Issue",
				filters={"subject": ("like", f"Chatwoot conversation #{self.conversation_id}%")},
				pluck="name",
			):
				frappe.delete_doc("Issue", issue, ignore_permissions=True, force=True)
		frappe.db.delete("Chatwoot Conversation Mapping", {"chatwoot_conversation_id": self.conversation_id})
		frappe.db.delete("Chatwoot Contact Mapping", {"chatwoot_contact_id": self.contact_id})
		for contact in contacts:
			frappe.delete_doc("Contact", contact, ignore_permissions=True, force=True)
		frappe.db.delete(EVENT_DOCTYPE, {"delivery_id": ("like", f"story-{self.base}-%")})
		frappe.db.commit()
