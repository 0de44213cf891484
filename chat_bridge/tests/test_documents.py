"""Sending an ERPNext document through Chatwoot, in a real site with ERPNext against the mock: the
PDF reaches Chatwoot as an attachment, the message is on the document's and the Contact's
timelines, one request or job sends once, a closed reply window is a visible failure, and only
those who may print the document send it."""

import frappe
from frappe.utils import add_days, nowdate

from chat_bridge.card import api as card_api
from chat_bridge.chatwoot.events import MessageView
from chat_bridge.documents import api as documents_api
from chat_bridge.documents.notify import NOTIFICATION_DOCTYPE, on_document_event, send_date_notifications
from chat_bridge.documents.send import SEND_DOCTYPE, deliver
from chat_bridge.erpnext import has_erpnext
from chat_bridge.exceptions import FeatureDisabledError
from chat_bridge.records.messages import sync_message
from chat_bridge.sync.messages import record_name
from chat_bridge.tests.test_card import CardTestCase
from chat_bridge.tests.utils import ACCOUNT_ID, ALL_FLAGS_ON, ensure_user

JANE = 1042  # the mock's contact, with her open conversation 58
KEY = "request-key-0001"


class DocumentsTestCase(CardTestCase):
	def setUp(self):
		super().setUp()
		if not has_erpnext():
			self.skipTest("sending documents is tried on Sales Invoices: ERPNext is not installed")
		self.configure(
			**ALL_FLAGS_ON,
			enable_chatwoot_app=1,
			enable_documents=1,
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
		)
		customer = self.customer()
		self.link_contact_to_customer(customer)
		self.invoice = self.submitted(
			"Sales Invoice",
			customer,
			contact_person=self.contact.name,
			grand_total=120,
			outstanding_amount=120,
		)
		self.inbox = self.mock.conversation(58, ACCOUNT_ID)["inbox_id"]
		self.addCleanup(self.remove_sends)

	def remove_sends(self):
		frappe.db.rollback()
		for name in frappe.get_all(SEND_DOCTYPE, {"reference_name": self.invoice}, pluck="name"):
			communication = frappe.db.get_value(SEND_DOCTYPE, name, "communication")
			if communication:
				frappe.delete_doc("Communication", communication, ignore_permissions=True, force=True)
			frappe.delete_doc(SEND_DOCTYPE, name, ignore_permissions=True, force=True)
		frappe.db.commit()

	def send(self, key=KEY, inbox=None, user="Administrator") -> dict:
		frappe.set_user(user)
		try:
			return documents_api.send_document(
				"Sales Invoice",
				self.invoice,
				self.contact.name,
				inbox or self.inbox,
				"Here is your invoice.",
				key,
			)["data"]
		finally:
			frappe.set_user("Administrator")

	def messages_with_the_pdf(self) -> list[dict]:
		return [
			m
			for m in self.mock.messages.values()
			if any(a.get("data_url", "").endswith(f"/{self.invoice}.pdf") for a in m.get("attachments") or [])
		]


class TestSendingADocument(DocumentsTestCase):
	def test_the_dialog_starts_from_the_documents_contact_and_latest_inbox(self):
		options = documents_api.send_options("Sales Invoice", self.invoice)["data"]
		self.assertEqual(options["contact"], self.contact.name)
		self.assertIn(str(self.inbox), [i["value"] for i in options["inboxes"]])
		self.assertIn(self.invoice, options["message"])

	def test_the_pdf_reaches_chatwoot_and_the_message_both_timelines(self):
		answer = self.send()
		self.assertEqual(answer["status"]["status"], "Sent", answer)
		row = frappe.get_doc(SEND_DOCTYPE, answer["name"])
		(message,) = self.messages_with_the_pdf()
		self.assertEqual((message["content"], row.conversation_id), ("Here is your invoice.", 58))
		self.assertEqual(row.chatwoot_message_id, message["id"])
		communication = frappe.get_doc("Communication", row.communication)
		self.assertEqual(communication.name, record_name(ACCOUNT_ID, message["id"]))  # as the sync names it
		self.assertEqual(
			(communication.reference_doctype, communication.reference_name), ("Sales Invoice", self.invoice)
		)
		self.assertEqual(
			(communication.communication_medium, communication.sent_or_received), ("Chat", "Sent")
		)
		self.assertIn(
			("Contact", self.contact.name),
			{(link.link_doctype, link.link_name) for link in communication.timeline_links},
		)
		(pdf,) = frappe.get_all(
			"File",
			{"attached_to_doctype": "Communication", "attached_to_name": communication.name},
			pluck="file_name",
		)
		self.assertEqual(pdf, f"{self.invoice}.pdf")

	def test_a_double_click_and_a_retried_job_send_once(self):
		first, second = self.send(), self.send()
		self.assertEqual(first["name"], second["name"])
		deliver(first["name"])  # the job again, as a retry would run it
		self.assertEqual(len(self.messages_with_the_pdf()), 1)
		self.assertEqual(frappe.db.count(SEND_DOCTYPE, {"reference_name": self.invoice}), 1)

	def test_a_closed_reply_window_is_not_sent_and_kept_with_its_reason(self):
		with self.mock._lock:
			whatsapp = self.mock.add_inbox(
				{"name": "Acme WhatsApp", "channel_type": "Channel::Whatsapp", "account_id": ACCOUNT_ID}
			)
			self.mock.create_conversation({"inbox_id": whatsapp["id"], "contact_id": JANE})
		answer = self.send(inbox=whatsapp["id"])
		self.assertEqual(answer["status"]["status"], "Failed")
		self.assertIn("reply window", answer["status"]["error"])
		self.assertEqual(self.messages_with_the_pdf(), [])
		again = documents_api.send_again(answer["name"])["data"]
		self.assertEqual(again["status"], "Failed")  # still closed: tried once more, still nothing sent
		self.assertEqual(self.messages_with_the_pdf(), [])

	def test_a_channel_that_refuses_the_message_afterwards_fails_the_send_with_its_reason(self):
		row = frappe.get_doc(SEND_DOCTYPE, self.send()["name"])
		with self.mock._lock:
			message = self.mock.messages[row.chatwoot_message_id]
			message["content_attributes"] = {"external_error": "131047: Re-engagement message"}
			payload = self.mock.presenters.message_webhook(message)
		sync_message(MessageView.from_payload({**payload, "event": "message_updated"}))
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value("Communication", row.communication, "delivery_status"), "Error")
		row.reload()
		self.assertEqual((row.status, row.error), ("Failed", "131047: Re-engagement message"))

	def test_a_contact_without_a_phone_is_not_reached_on_whatsapp(self):
		with self.mock._lock:
			whatsapp = self.mock.add_inbox(
				{"name": "Acme WhatsApp", "channel_type": "Channel::Whatsapp", "account_id": ACCOUNT_ID}
			)
		answer = self.send(inbox=whatsapp["id"])
		self.assertEqual(answer["status"]["status"], "Failed")
		self.assertIn("no phone number for WhatsApp", answer["status"]["error"])

	def test_no_contact_is_a_clear_error(self):
		with self.assertRaisesRegex(frappe.ValidationError, "Choose the Contact"):
			documents_api.send_document("Sales Invoice", self.invoice, "", self.inbox, "Hi", KEY)


class TestWhoSendsDocuments(DocumentsTestCase):
	def test_only_chatwoot_users_who_may_print_the_document_send_it(self):
		agent = ensure_user("documents.agent@example.test", ("Chatwoot Agent",))  # may not read invoices
		seller = ensure_user("documents.seller@example.test", ("Accounts User",))  # not a Chatwoot user
		for user in (agent, seller):
			with self.assertRaises(frappe.PermissionError, msg=user):
				self.send(user=user)
		self.assertEqual(self.messages_with_the_pdf(), [])

	def test_switched_off_nothing_is_sent_not_even_what_was_queued(self):
		queued = frappe.get_doc(
			{
				"doctype": SEND_DOCTYPE,
				"reference_doctype": "Sales Invoice",
				"reference_name": self.invoice,
				"contact": self.contact.name,
				"account_id": ACCOUNT_ID,
				"inbox_id": self.inbox,
				"message": "Here is your invoice.",
				"sent_by": "Administrator",
				"request_key": "queued-before-rollback",
			}
		).insert(ignore_permissions=True)
		self.configure(**ALL_FLAGS_ON, chatwoot_url=self.mock.url, api_access_token="admin-token")
		with self.assertRaises(FeatureDisabledError):
			self.send()
		deliver(queued.name)
		self.assertEqual(frappe.db.get_value(SEND_DOCTYPE, queued.name, "status"), "Failed")
		self.assertIn("switched off", frappe.db.get_value(SEND_DOCTYPE, queued.name, "error"))
		self.assertEqual(self.messages_with_the_pdf(), [])


class TestNotifications(DocumentsTestCase):
	def notification(self, name: str, **values):
		doc = frappe.get_doc(
			{
				"doctype": NOTIFICATION_DOCTYPE,
				"document_type": "Sales Invoice",
				"event": "Submit",
				"inbox_id": self.inbox,
				"message": "Hello, invoice {{ doc.name }} is ready.",
				"attach_print": 1,
				**values,
			}
		).insert(ignore_permissions=True, set_name=name)
		self.addCleanup(self.remove_notification, doc.name)
		frappe.db.commit()
		return doc

	def remove_notification(self, name: str):
		self.remove_sends()  # they name it
		frappe.delete_doc(NOTIFICATION_DOCTYPE, name, ignore_permissions=True, force=True)
		frappe.db.commit()

	def whatsapp_inbox(self) -> int:
		with self.mock._lock:
			inbox = self.mock.add_inbox(
				{"name": "Acme WhatsApp", "channel_type": "Channel::Whatsapp", "account_id": ACCOUNT_ID}
			)
			self.mock.create_conversation({"inbox_id": inbox["id"], "contact_id": JANE})
		return inbox["id"]

	def test_the_hooks_reach_every_documents_events(self):
		hooks = frappe.get_hooks("doc_events")["*"]
		for event in ("after_insert", "on_submit", "on_cancel", "on_change"):
			self.assertIn("chat_bridge.documents.notify.on_document_event", hooks[event])

	def test_on_submit_the_customer_gets_the_message_and_pdf_once(self):
		self.notification("Invoice submitted")
		invoice = frappe.get_doc("Sales Invoice", self.invoice)
		on_document_event(invoice, "on_submit")
		on_document_event(invoice, "on_submit")  # the same firing again
		(message,) = self.messages_with_the_pdf()
		self.assertEqual(message["content"], f"Hello, invoice {self.invoice} is ready.")
		(send,) = frappe.get_all(SEND_DOCTYPE, {"reference_name": self.invoice}, ["status", "notification"])
		self.assertEqual((send.status, send.notification), ("Sent", "Invoice submitted"))

	def test_days_after_the_due_date_an_unpaid_invoice_is_reminded_once(self):
		frappe.db.set_value("Sales Invoice", self.invoice, "due_date", add_days(nowdate(), -3))
		paid = self.submitted(
			"Sales Invoice",
			frappe.db.get_value("Sales Invoice", self.invoice, "customer"),
			contact_person=self.contact.name,
			due_date=add_days(nowdate(), -3),
			outstanding_amount=0,
		)
		self.addCleanup(self.remove_sends_of, paid)
		self.notification(
			"Payment reminder",
			event="Days After",
			date_field="due_date",
			days=3,
			condition="doc.outstanding_amount > 0",
			message="Invoice {{ doc.name }} is {{ doc.outstanding_amount }} overdue.",
		)
		send_date_notifications()
		send_date_notifications()  # the day's run again
		self.assertEqual(len(self.messages_with_the_pdf()), 1)
		self.assertEqual(frappe.db.count(SEND_DOCTYPE, {"reference_name": paid}), 0)  # its condition is false

	def test_a_notification_that_fails_on_a_document_does_not_stop_its_save(self):
		self.notification("Broken condition", condition="doc.no_such_field > 0")
		on_document_event(frappe.get_doc("Sales Invoice", self.invoice), "on_submit")  # no traceback
		self.assertEqual(frappe.db.count(SEND_DOCTYPE, {"reference_name": self.invoice}), 0)
		self.assertTrue(frappe.db.exists("Error Log", {"reference_name": "Broken condition"}))
		frappe.db.delete("Error Log", {"reference_name": "Broken condition"})

	def test_outside_the_window_the_mapped_template_goes_and_without_one_nothing(self):
		inbox = self.whatsapp_inbox()
		invoice = frappe.get_doc("Sales Invoice", self.invoice)
		self.notification(
			"With template",
			inbox_id=inbox,
			template_name="invoice_ready",
			template_language="es",
			template_parameters="{{ doc.name }}\n{{ doc.outstanding_amount }}",
		)
		self.notification("Without template", inbox_id=inbox)
		on_document_event(invoice, "on_submit")
		sends = {
			s.notification: s
			for s in frappe.get_all(
				SEND_DOCTYPE,
				{"reference_name": self.invoice},
				["notification", "status", "error", "chatwoot_message_id"],
			)
		}
		self.assertEqual(sends["With template"].status, "Sent")
		template = self.mock.messages[sends["With template"].chatwoot_message_id]["additional_attributes"][
			"template_params"
		]
		self.assertEqual(
			template,
			{
				"name": "invoice_ready",
				"language": "es",
				"processed_params": {"body": {"1": self.invoice, "2": "120.0"}},
			},
		)
		self.assertEqual(sends["Without template"].status, "Failed")
		self.assertIn("reply window", sends["Without template"].error)

	def remove_sends_of(self, name: str):
		frappe.db.delete(SEND_DOCTYPE, {"reference_name": name})
		frappe.db.commit()


class TestTheCardSendsADocument(DocumentsTestCase):
	def card_send(self, conversation=58, user="Administrator", key=KEY) -> dict:
		frappe.set_user(user)
		try:
			return card_api.send_document(conversation, JANE, "Sales Invoice", self.invoice, key, ACCOUNT_ID)[
				"data"
			]
		finally:
			frappe.set_user("Administrator")

	def test_the_card_offers_and_sends_the_pdf_into_its_conversation(self):
		card = card_api.get_card(JANE, 58, ACCOUNT_ID)["data"]
		self.assertTrue(card["can"]["send_document"])
		self.assertEqual(self.card_send()["status"], "Sent")
		(message,) = self.messages_with_the_pdf()
		self.assertEqual(message["conversation"], (ACCOUNT_ID, 58))

	def test_another_contacts_conversation_and_a_viewer_who_may_not_print_are_refused(self):
		with self.mock._lock:
			other = self.mock.create_conversation(
				{"inbox_id": self.inbox, "contact_id": self.other_contact()}
			)
		with self.assertRaisesRegex(frappe.ValidationError, "not this contact's"):
			self.card_send(conversation=other["id"])
		agent = ensure_user("documents.agent@example.test", ("Chatwoot Agent",))
		with self.assertRaises(frappe.PermissionError):
			self.card_send(user=agent)
		self.assertEqual(self.messages_with_the_pdf(), [])

	def other_contact(self) -> int:
		with self.mock._lock:
			return self.mock.store_contact(
				{"account_id": ACCOUNT_ID, "name": "Someone Else", "email": "someone.else@example.test"},
				self.mock.clock(),
			)["id"]
