"""The backfill's contacts written a batch at a time, against what the one-at-a-time path writes."""

import random
from unittest.mock import patch

import frappe

from chat_bridge.chatwoot.events import ContactView
from chat_bridge.pull import backfill as pull
from chat_bridge.records import bulk_contacts
from chat_bridge.records.bulk_contacts import write_batch
from chat_bridge.records.contacts import MAPPING_DOCTYPE, sync_contact
from chat_bridge.tests.test_with_chatwoot import WithChatwoot
from chat_bridge.tests.utils import ACCOUNT_ID, ChatBridgeTestCase

ACCOUNT = 3


def chatwoot_contact(base: int, number: int, name: str | None = None, **fields) -> ContactView:
	return ContactView(
		id=base + number,
		name=name or f"Batch Person {base}-{number}",
		email=fields.pop("email", f"batch{base}-{number}@example.test"),
		phone_number=fields.pop("phone_number", f"+4930{base}{number:02d}"),
		account_id=ACCOUNT,
		**fields,
	)


def contact_of(chatwoot_id: int) -> str:
	return frappe.db.get_value(
		MAPPING_DOCTYPE, {"account_id": ACCOUNT, "chatwoot_contact_id": chatwoot_id}, "contact"
	)


def as_written(name: str) -> dict:
	contact = frappe.get_doc("Contact", name)
	return {
		"first_name": contact.first_name,
		"last_name": contact.last_name,
		"full_name": contact.full_name,
		"email_id": contact.email_id,
		"mobile_no": contact.mobile_no,
		"phone": contact.phone,
		"status": contact.status,
		"emails": [(row.email_id, row.is_primary) for row in contact.email_ids],
		"phones": [(row.phone, row.is_primary_phone, row.is_primary_mobile_no) for row in contact.phone_nos],
	}


def as_expected(view: ContactView) -> dict:
	first, last = view.name.rsplit(" ", 1)
	return {
		"first_name": first,
		"last_name": last,
		"full_name": view.name,
		"email_id": view.email,
		"mobile_no": view.phone_number,
		"phone": view.phone_number,
		"status": "Passive",
		"emails": [(view.email, 1)],
		"phones": [(view.phone_number, 1, 1)],
	}


class TestContactBatches(ChatBridgeTestCase):
	def setUp(self):
		super().setUp()
		self.configure(enabled=1, enable_sync=1, enable_contact_sync=1)
		self.base = random.randint(5_000_000, 5_999_999)  # noqa: S311 -- ids of this test's own

	def test_a_new_contact_is_written_as_the_webhook_path_writes_it(self):
		batch = [chatwoot_contact(self.base, 1), chatwoot_contact(self.base, 2)]
		outcome = write_batch(batch, ACCOUNT)
		self.assertEqual(outcome.actions, {self.base + 1: "created", self.base + 2: "created"})
		self.assertEqual(outcome.one_by_one, [])
		one_at_a_time = chatwoot_contact(self.base, 3)
		sync_contact(one_at_a_time)
		self.assertEqual(as_written(contact_of(self.base + 3)), as_expected(one_at_a_time))
		self.assertEqual(as_written(contact_of(self.base + 1)), as_expected(batch[0]))
		mapping = frappe.get_doc(
			MAPPING_DOCTYPE, {"account_id": ACCOUNT, "chatwoot_contact_id": self.base + 1}
		)
		self.assertEqual((mapping.sync_direction, mapping.owner), ("Both", "Administrator"))
		self.assertIsNotNone(mapping.last_synced)

	def test_names_taken_before_or_in_the_batch_are_numbered(self):
		taken = f"Same Name {self.base}"
		frappe.get_doc(
			{"doctype": "Contact", "first_name": "Same", "last_name": f"Name {self.base}"}
		).insert()
		write_batch([chatwoot_contact(self.base, 1, taken), chatwoot_contact(self.base, 2, taken)], ACCOUNT)
		self.assertEqual(
			sorted([contact_of(self.base + 1), contact_of(self.base + 2)]), [f"{taken}-1", f"{taken}-2"]
		)

	def test_a_contact_erpnext_has_already_goes_the_careful_way(self):
		existing = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Known",
				"email_ids": [{"email_id": f"batch{self.base}-1@example.test", "is_primary": 1}],
			}
		).insert()
		outcome = write_batch([chatwoot_contact(self.base, 1), chatwoot_contact(self.base, 2)], ACCOUNT)
		self.assertEqual([c.id for c in outcome.one_by_one], [self.base + 1])
		self.assertIsNone(contact_of(self.base + 1))  # left to sync_contact, which links it
		sync_contact(outcome.one_by_one[0])
		self.assertEqual(contact_of(self.base + 1), existing.name)

	def test_a_known_number_in_another_format_is_found_too(self):
		existing = frappe.get_doc(
			{"doctype": "Contact", "first_name": "Known", "phone_nos": [{"phone": f"(30) {self.base}-01"}]}
		).insert()
		outcome = write_batch([chatwoot_contact(self.base, 1, email=None)], ACCOUNT)
		self.assertEqual([c.id for c in outcome.one_by_one], [self.base + 1])
		sync_contact(outcome.one_by_one[0])
		self.assertEqual(contact_of(self.base + 1), existing.name)

	def test_what_is_mapped_and_agrees_is_left_alone_and_a_change_goes_one_by_one(self):
		write_batch([chatwoot_contact(self.base, 1), chatwoot_contact(self.base, 2)], ACCOUNT)
		renamed = chatwoot_contact(self.base, 2, "A New Name")
		outcome = write_batch([chatwoot_contact(self.base, 1), renamed], ACCOUNT)
		self.assertEqual(outcome.actions, {self.base + 1: "unchanged"})
		self.assertEqual(outcome.one_by_one, [renamed])

	def test_identities_and_customers_go_one_by_one(self):
		outcome = write_batch(
			[
				chatwoot_contact(self.base, 1, identifier="erpnext:someone:abc"),
				chatwoot_contact(self.base, 2, custom_attributes={"erpnext_customer": "Someone"}),
			],
			ACCOUNT,
		)
		self.assertEqual((outcome.actions, len(outcome.one_by_one)), ({}, 2))

	def test_the_insert_hooks_run_for_the_new_contacts(self):
		outcome = write_batch([chatwoot_contact(self.base, 1)], ACCOUNT)
		self.assertEqual(outcome.created, [contact_of(self.base + 1)])
		with patch.object(bulk_contacts, "update_global_search") as indexed:
			bulk_contacts.queue_insert_hooks(outcome.created)
		self.assertEqual([c.args[0].name for c in indexed.call_args_list], outcome.created)


class TestBackfillInBatches(WithChatwoot):
	def test_an_interrupted_backfill_keeps_the_batches_written_and_the_next_run_adds_the_rest(self):
		self.mock.add_contacts(40, prefix="interrupted")  # a few pages: a batch each
		calls = []
		real = bulk_contacts.write_batch

		def interrupted_at_the_second_batch(batch, account_id):
			calls.append(len(batch))
			if len(calls) == 2:
				raise KeyboardInterrupt
			return real(batch, account_id)

		with (
			patch.object(pull, "CONTACT_BATCH", 3),
			patch.object(pull, "write_batch", interrupted_at_the_second_batch),
			patch.object(pull, "queue_insert_hooks") as hooks,
		):
			with self.assertRaises(KeyboardInterrupt):
				pull.backfill(self.client(), conversations=False, messages=False)
		frappe.db.rollback()
		first = frappe.db.count(MAPPING_DOCTYPE, {"account_id": ACCOUNT_ID})
		self.assertGreaterEqual(first, 3)
		# The Contacts of the batch written before the interruption still get their insert hooks.
		[queued] = hooks.call_args.args
		mapped_contacts = frappe.get_all(MAPPING_DOCTYPE, filters={"account_id": ACCOUNT_ID}, pluck="contact")
		self.assertTrue(queued)
		self.assertLessEqual(set(queued), set(mapped_contacts))
		summary = pull.backfill(self.client(), conversations=False, messages=False)
		self.assertEqual(summary.failures, [])
		mapped = frappe.get_all(
			MAPPING_DOCTYPE, filters={"account_id": ACCOUNT_ID}, pluck="chatwoot_contact_id"
		)
		self.assertEqual(len(mapped), len(set(mapped)))
		self.assertEqual(len(mapped), len(self.mock.listed_contacts()))

	def test_a_contact_mapped_by_another_job_meanwhile_sends_the_batch_the_careful_way(self):
		api = self.client()
		listed = self.mock.listed_contacts()
		sync_contact(
			ContactView.from_payload(self.mock.presenters.contact_rest(listed[0]), account_id=ACCOUNT_ID)
		)
		frappe.db.commit()
		with patch.object(bulk_contacts, "mappings_of", return_value={}):  # as if not seen yet
			summary = pull.backfill(api, conversations=False, messages=False)
		self.assertEqual(summary.failures, [])
		mapped = frappe.get_all(
			MAPPING_DOCTYPE, filters={"account_id": ACCOUNT_ID}, pluck="chatwoot_contact_id"
		)
		self.assertEqual(sorted(mapped), sorted(c["id"] for c in listed))

	def client(self):
		from chat_bridge.clients import system_client

		return system_client()
