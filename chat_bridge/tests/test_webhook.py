"""The webhook endpoint over HTTP (Frappe's WSGI app, in-process), and the processing lifecycle."""

import json
import time
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import frappe
from frappe.utils import add_to_date, get_test_client, now_datetime

from chat_bridge.chatwoot.signature import sign
from chat_bridge.tests.utils import (
	ACCOUNT_ID,
	ALL_FLAGS_ON,
	CONFIGURED,
	PLAIN_USER,
	ChatBridgeTestCase,
	ensure_user,
	on_test_account,
	run_concurrently,
)
from chat_bridge.webhook.log import EVENT_DOCTYPE
from chat_bridge.webhook.processing import (
	process_event,
	process_queued_events,
	release_processing_lease,
	take_processing_lease,
)
from chat_bridge.webhook.replay import retry_event
from chat_bridge.webhook.retries import purge_old_events, retry_due_events

WEBHOOK = "/api/method/chat_bridge.webhook.handle"
PROCESSING_JOB = "chat_bridge.webhook.processing.process_queued_events"
INSTALLATION = "/api/method/chat_bridge.webhook.installation_event"
EXAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "webhooks"
SECRET = CONFIGURED["webhook_secret"]


def example_body(name: str) -> bytes:
	"""An example delivery, for the tests' account."""
	return json.dumps(on_test_account(json.loads((EXAMPLES / f"{name}.json").read_text()))).encode()


def call(method: str, path: str, **kwargs):
	"""A request through Frappe's WSGI app in another thread, as a separate client would make it."""
	from frappe.tests.test_api import make_request

	client = get_test_client(use_cookies=False)
	return make_request(target=getattr(client, method), args=(path,), kwargs=kwargs)


def signed_post(
	body: bytes, *, delivery: str | None, secret: str = SECRET, timestamp: int | None = None, path=WEBHOOK
):
	timestamp = timestamp or int(time.time())
	headers = {"X-Chatwoot-Timestamp": str(timestamp), "X-Chatwoot-Signature": sign(secret, timestamp, body)}
	if delivery:
		headers["X-Chatwoot-Delivery"] = delivery
	return call("post", path, data=body, headers=headers, content_type="application/json")


def answer(response) -> dict:
	data = json.loads(response.data)
	assert "message" in data, data
	return data["message"]


class WebhookTestCase(ChatBridgeTestCase):
	"""The request runs on its own connection, so what it must see is committed; events it leaves are removed."""

	flags = ALL_FLAGS_ON

	def setUp(self):
		self.addCleanup(
			frappe.db.commit
		)  # registered first, so it runs last: after the settings are restored
		super().setUp()
		self.configure(**self.flags)
		frappe.db.commit()
		self.addCleanup(self.delete_events)
		self.delivery = frappe.generate_hash(length=20)
		# No processing job is running here: a lease left by the site's worker or a test would
		# keep deliveries from starting one.
		release_processing_lease()
		self.addCleanup(release_processing_lease)

	def delete_events(self):
		frappe.db.delete(EVENT_DOCTYPE, {"delivery_id": ("like", f"%{self.delivery}%")})
		frappe.db.delete(EVENT_DOCTYPE, {"event": ("in", ("brand_new_event", "account_created"))})
		frappe.db.commit()

	def events(self) -> list[dict]:
		return frappe.get_all(
			EVENT_DOCTYPE,
			filters={"delivery_id": ("like", f"%{self.delivery}%")},
			fields=[
				"name",
				"status",
				"event",
				"account_id",
				"object_id",
				"signed",
				"payload",
				"attempts",
				"error",
			],
		)


class TestEndpoint(WebhookTestCase):
	def test_probe_says_enabled_without_secrets(self):
		response = call("get", WEBHOOK)
		self.assertEqual(response.status_code, 200)
		self.assertEqual(answer(response)["status"], "enabled")
		self.assertNotIn(SECRET, response.data.decode())

	@patch("frappe.enqueue")
	def test_signed_delivery_is_recorded_then_queued(self, enqueue):
		body = example_body("message_created_incoming")
		response = signed_post(body, delivery=self.delivery)
		self.assertEqual(response.status_code, 200, response.data)
		self.assertEqual(answer(response)["status"], "queued")

		[event] = self.events()
		self.assertEqual(
			(event.status, event.event, event.account_id, event.object_id),
			("Queued", "message_created", ACCOUNT_ID, "901"),
		)
		self.assertEqual(event.payload.encode(), body)  # the raw body, as signed
		self.assertTrue(event.signed)

		enqueue.assert_called_once()
		self.assertEqual(enqueue.call_args.args, (PROCESSING_JOB,))

	@patch("frappe.enqueue")
	def test_a_new_webhook_secret_holds_from_the_next_delivery(self, enqueue):
		body = example_body("message_created_incoming")
		self.assertEqual(signed_post(body, delivery=self.delivery).status_code, 200)  # now kept in memory
		rotated = "Rotated-secret-0123456789"
		self.configure(**self.flags, webhook_secret=rotated)
		self.assertEqual(signed_post(body, delivery=f"{self.delivery}-old").status_code, 401)
		response = signed_post(body, delivery=f"{self.delivery}-new", secret=rotated)
		self.assertEqual(response.status_code, 200, response.data)

	@patch("frappe.enqueue")
	def test_deliveries_while_the_processing_job_runs_are_left_to_it(self, enqueue):
		self.assertTrue(take_processing_lease())  # as the running job holds it
		first = signed_post(example_body("contact_created"), delivery=self.delivery)
		second = signed_post(example_body("message_created_incoming"), delivery=self.delivery + "-2")
		self.assertEqual([answer(first)["status"], answer(second)["status"]], ["queued", "queued"])
		enqueue.assert_not_called()
		self.assertEqual({event.status for event in self.events()}, {"Queued"})

	@patch("frappe.enqueue")
	def test_same_delivery_twice_is_one_event_and_one_job(self, enqueue):
		body = example_body("contact_created")
		first = signed_post(body, delivery=self.delivery)
		second = signed_post(body, delivery=self.delivery)
		self.assertEqual(answer(first)["status"], "queued")
		self.assertEqual((second.status_code, answer(second)["status"]), (200, "duplicate"))
		self.assertEqual(len(self.events()), 1)
		enqueue.assert_called_once()

	def test_each_bad_input_gets_its_status(self):
		body = example_body("contact_created")
		cases = [
			("missing signature", call("post", WEBHOOK, data=body, content_type="application/json"), 401),
			("wrong secret", signed_post(body, delivery=self.delivery, secret="not-the-secret"), 401),
			("replayed", signed_post(body, delivery=self.delivery, timestamp=int(time.time()) - 3600), 401),
			("not an object", signed_post(b"[1, 2, 3]", delivery=self.delivery), 400),
			("not said to be JSON", self.signed_untyped(b"hello", "text/plain"), 415),
			("not JSON, no type given", self.signed_untyped(b"hello"), 400),
			("empty", signed_post(b"", delivery=self.delivery), 400),
			(
				"not UTF-8",
				signed_post(b'{"event": "message_created", "x": "\xff\xfe"}', delivery=self.delivery),
				400,
			),
			("nested 10,000 deep", self.signed_untyped(b"[" * 10_000 + b"]" * 10_000), 400),
			("delivery id of 10 KB", signed_post(body, delivery="d" * 10_240), 400),
			(
				"too large",
				signed_post(
					b'{"event":"message_created","x":"' + b"a" * (1024 * 1024) + b'"}', delivery=self.delivery
				),
				413,
			),
		]
		for label, response, status in cases:
			with self.subTest(label):
				self.assertEqual(response.status_code, status, response.data)
				self.assertEqual(answer(response)["status"], "rejected")
				self.assertNotIn("Traceback", response.data.decode())
		self.assertEqual(self.events(), [])

	def signed_untyped(self, body: bytes, content_type: str | None = None):
		timestamp = int(time.time())
		headers = {
			"X-Chatwoot-Timestamp": str(timestamp),
			"X-Chatwoot-Signature": sign(SECRET, timestamp, body),
		}
		return call("post", WEBHOOK, data=body, headers=headers, content_type=content_type)

	def test_a_body_frappe_cannot_parse_shows_no_traceback_once_show_full_error_is_off(self):
		"""Frappe's request parser refuses broken JSON before the app runs; doctor warns until the
		System Setting that decides whether the refusal carries a traceback is off."""
		from chat_bridge.tests.utils import first_account_checks

		shown = frappe.db.get_single_value("System Settings", "allow_error_traceback")
		self.addCleanup(self.set_show_full_error, shown)
		self.set_show_full_error(1)  # a new site's default
		self.assertEqual(first_account_checks()["guest_errors"].verdict, "WARN")
		self.set_show_full_error(0)
		self.assertEqual(first_account_checks()["guest_errors"].verdict, "PASS")
		for body in (b"{not json", b"[" * 10_000 + b"]" * 10_000):
			response = signed_post(body, delivery=self.delivery)
			self.assertNotIn("Traceback", response.data.decode())
			self.assertNotIn(".py", response.data.decode())
		self.assertEqual(self.events(), [])

	def set_show_full_error(self, value):
		frappe.db.set_single_value("System Settings", "allow_error_traceback", value)
		frappe.db.commit()
		frappe.clear_document_cache("System Settings", "System Settings")
		if hasattr(frappe.local, "system_settings"):
			del frappe.local.system_settings

	def test_ignored_events_are_answered_and_not_recorded(self):
		body = json.dumps(
			{"event": "conversation_typing_on", "conversation": {"id": 58}, "user": {"id": 12}}
		).encode()
		response = signed_post(body, delivery=self.delivery)
		self.assertEqual((response.status_code, answer(response)["status"]), (200, "ignored"))
		self.assertEqual(self.events(), [])

	@patch("frappe.enqueue")
	def test_unknown_events_are_recorded_as_ignored(self, enqueue):
		body = json.dumps({"event": "brand_new_event", "id": 7}).encode()
		response = signed_post(body, delivery=self.delivery)
		self.assertEqual(answer(response)["status"], "ignored")
		[event] = self.events()
		self.assertEqual(event.status, "Ignored")
		enqueue.assert_not_called()

	def test_only_this_method_admits_guests(self):
		response = call("post", "/api/method/chat_bridge.webhook.replay.retry_event", json={"name": "x"})
		self.assertEqual(response.status_code, 403)


class TestEndpointWhileSyncIsOff(WebhookTestCase):
	flags = {**ALL_FLAGS_ON, "enable_sync": 0}

	def test_deliveries_are_answered_without_recording(self):
		response = signed_post(example_body("contact_created"), delivery=self.delivery)
		self.assertEqual((response.status_code, answer(response)["status"]), (200, "disabled"))
		self.assertEqual(self.events(), [])
		self.assertEqual(answer(call("get", WEBHOOK))["status"], "disabled")


class TestLegacyUnsignedMode(WebhookTestCase):
	flags = {**ALL_FLAGS_ON, "allow_unsigned_webhooks": 1, "webhook_token": "legacy-token-123"}

	@patch("frappe.enqueue")
	def test_token_in_url_is_required(self, enqueue):
		body = json.dumps(
			{"event": "contact_created", "id": 1042, "account": {"id": ACCOUNT_ID}, "name": self.delivery}
		).encode()
		refused = call("post", WEBHOOK + "?token=wrong", data=body, content_type="application/json")
		accepted = call(
			"post", WEBHOOK + "?token=legacy-token-123", data=body, content_type="application/json"
		)
		self.assertEqual(refused.status_code, 401)
		self.assertEqual((accepted.status_code, answer(accepted)["status"]), (200, "queued"), accepted.data)
		event = frappe.get_doc(EVENT_DOCTYPE, answer(accepted)["message"])
		self.assertFalse(event.signed)
		frappe.delete_doc(EVENT_DOCTYPE, event.name, ignore_permissions=True)


class TestProcessing(WebhookTestCase):
	def record(self, name: str = "contact_created", **values) -> str:
		event = frappe.get_doc(
			{
				"doctype": EVENT_DOCTYPE,
				"delivery_id": f"{self.delivery}-{frappe.generate_hash(length=6)}",
				"event": name,
				"account_id": ACCOUNT_ID,
				"received_at": now_datetime(),
				"payload": example_body(name).decode() if (EXAMPLES / f"{name}.json").exists() else "{}",
				"status": "Queued",
				**values,
			}
		).insert(ignore_permissions=True)
		return event.name

	def test_event_is_processed_once(self):
		name = self.record()
		self.assertEqual(process_event(name), "Processed")
		self.assertIsNone(process_event(name))  # already done: not claimed again
		event = frappe.get_doc(EVENT_DOCTYPE, name)
		self.assertEqual((event.status, event.attempts), ("Processed", 1))
		self.assertIsNotNone(event.processed_at)
		self.assertIsNotNone(event.processing_ms)

	def test_the_probes_test_message_goes_the_whole_way_and_leaves_no_record(self):
		from chat_bridge.chatwoot.probe import PROBE_EMAIL, sample_payload

		self.configure(**ALL_FLAGS_ON)
		communications = frappe.db.count("Communication")
		name = self.record(
			"message_created", payload=json.dumps(sample_payload("message_created", ACCOUNT_ID))
		)
		self.assertEqual(process_event(name), "Processed")
		event = frappe.get_doc(EVENT_DOCTYPE, name)
		self.assertIn("undone", event.error)
		self.assertFalse(frappe.db.exists("Contact Email", {"email_id": PROBE_EMAIL}))
		self.assertFalse(
			frappe.db.exists("Chatwoot Conversation Mapping", {"chatwoot_conversation_id": 990001})
		)
		self.assertEqual(frappe.db.count("Communication"), communications)

	def test_the_processing_job_works_through_the_queue_oldest_first(self):
		ancient = add_to_date(now_datetime(), years=-20)  # older than anything else in the queue
		names = [self.record(received_at=add_to_date(ancient, seconds=-n)) for n in range(3)]
		frappe.db.commit()
		self.assertTrue(take_processing_lease())
		with patch("chat_bridge.webhook.processing.process_event", wraps=process_event) as processed:
			process_queued_events()
		order = [c.args[0] for c in processed.call_args_list if c.args[0] in names]
		self.assertEqual(order, list(reversed(names)))
		self.assertEqual({e.status for e in self.events()}, {"Processed"})
		self.assertTrue(take_processing_lease(), "the job gives the lease up when the queue is empty")

	def test_an_event_committed_just_after_the_last_look_is_not_left_behind(self):
		from chat_bridge.webhook import processing

		name = self.record()
		frappe.db.commit()
		real_look = processing.queued_events
		missed = []

		def look(limit):
			if not missed:
				missed.append(limit)
				return []  # as if the event committed a moment after this look
			return real_look(limit)

		self.assertTrue(take_processing_lease())
		with patch.object(processing, "queued_events", side_effect=look):
			process_queued_events()
		self.assertEqual(frappe.db.get_value(EVENT_DOCTYPE, name, "status"), "Processed")

	@patch("frappe.enqueue")
	def test_a_job_whose_turn_is_over_hands_the_rest_to_a_fresh_job(self, enqueue):
		ancient = add_to_date(now_datetime(), years=-20)
		first = self.record(received_at=ancient)
		second = self.record(received_at=add_to_date(ancient, seconds=1))
		frappe.db.commit()
		self.assertTrue(take_processing_lease())
		with patch("chat_bridge.webhook.processing.PROCESSING_TURN_SECONDS", -1):
			process_queued_events()
		statuses = [frappe.db.get_value(EVENT_DOCTYPE, name, "status") for name in (first, second)]
		self.assertEqual(statuses, ["Processed", "Queued"])
		self.assertEqual(enqueue.call_args.args, (PROCESSING_JOB,))
		self.assertFalse(take_processing_lease(), "the fresh job holds the lease")

	def test_an_unreadable_event_fails_and_the_queue_moves_on(self):
		ancient = add_to_date(now_datetime(), years=-20)
		unreadable = self.record(payload="{not json", received_at=ancient)
		after_it = self.record(received_at=add_to_date(ancient, seconds=1))
		frappe.db.commit()
		self.assertTrue(take_processing_lease())
		process_queued_events()
		statuses = [frappe.db.get_value(EVENT_DOCTYPE, name, "status") for name in (unreadable, after_it)]
		self.assertEqual(statuses, ["Failed", "Processed"])

	def test_an_event_whose_work_was_never_committed_is_still_queued(self):
		# As when the worker is killed mid-way: the database rolls back what it had not committed.
		name = self.record()
		frappe.db.commit()
		self.assertEqual(process_event(name, commit=False), "Processed")
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value(EVENT_DOCTYPE, name, ["status", "attempts"]), ("Queued", 0))
		self.assertEqual(process_event(name), "Processed")

	def test_an_event_another_job_holds_is_left_to_it(self):
		name = self.record()
		frappe.db.commit()
		holder = frappe.db.get_value(EVENT_DOCTYPE, name, "name", for_update=True)
		self.assertEqual(holder, name)
		outcome = run_concurrently([lambda: process_event(name)])
		self.assertEqual(outcome, [None])  # skipped, not waited for
		frappe.db.rollback()

	def test_a_conflict_in_a_batch_loses_no_event(self):
		ancient = add_to_date(now_datetime(), years=-20)
		names = [self.record(received_at=add_to_date(ancient, seconds=n)) for n in range(3)]
		frappe.db.commit()
		from chat_bridge.webhook import handlers

		real_dispatch, conflicts = handlers.dispatch, []

		def dispatch(event, payload):
			if not conflicts and len(seen) == 2:  # the second event meets another job's insert once
				conflicts.append(event)
				raise frappe.DuplicateEntryError("Contact", "taken")
			return real_dispatch(event, payload)

		seen = []
		with patch.object(handlers, "dispatch", side_effect=lambda e, p: seen.append(e) or dispatch(e, p)):
			self.assertTrue(take_processing_lease())
			process_queued_events()
		self.assertEqual(conflicts, ["contact_created"])
		self.assertEqual([frappe.db.get_value(EVENT_DOCTYPE, n, "status") for n in names], ["Processed"] * 3)

	def test_a_job_that_breaks_gives_the_lease_up(self):
		self.record()
		frappe.db.commit()
		self.assertTrue(take_processing_lease())
		with patch("chat_bridge.webhook.processing.process_event", side_effect=RuntimeError("db gone")):
			with self.assertRaises(RuntimeError):
				process_queued_events()
		self.assertTrue(take_processing_lease())

	@patch("frappe.enqueue")
	def test_queued_events_without_a_job_get_one_from_the_scheduler(self, enqueue):
		name = self.record()
		retry_due_events()
		self.assertNotIn((PROCESSING_JOB,), [c.args for c in enqueue.call_args_list])

		frappe.db.set_value(EVENT_DOCTYPE, name, "received_at", add_to_date(now_datetime(), minutes=-10))
		retry_due_events()
		self.assertIn((PROCESSING_JOB,), [c.args for c in enqueue.call_args_list])

	def test_a_failing_handler_leaves_the_event_failed_and_replayable(self):
		name = self.record()
		with patch("chat_bridge.webhook.handlers.dispatch", side_effect=RuntimeError("handler broke")):
			self.assertEqual(process_event(name), "Failed")
		event = frappe.get_doc(EVENT_DOCTYPE, name)
		self.assertEqual(event.status, "Failed")
		self.assertIn("handler broke", event.error)
		self.assertIsNotNone(event.next_attempt_at)

		# Not due yet: the scheduler leaves it.
		with patch("chat_bridge.webhook.retries.enqueue_processing") as enqueue:
			retry_due_events()
		enqueue.assert_not_called()

		# By hand: the Retry action processes it again, and now it works.
		retry_event(name)
		event.reload()
		self.assertEqual((event.status, event.attempts), ("Processed", 2))
		self.assertFalse(event.error)

	def test_failed_events_are_retried_by_the_scheduler_when_due(self):
		name = self.record(
			status="Failed", attempts=1, next_attempt_at=add_to_date(now_datetime(), minutes=-1)
		)
		exhausted = self.record(
			status="Failed", attempts=5, next_attempt_at=add_to_date(now_datetime(), minutes=-1)
		)
		with patch("chat_bridge.webhook.retries.enqueue_processing") as enqueue:
			retry_due_events()
		queued = [c.args[0] for c in enqueue.call_args_list]
		self.assertIn(name, queued)
		self.assertNotIn(exhausted, queued)

	def test_backoff_grows_with_attempts(self):
		name = self.record()
		with patch("chat_bridge.webhook.handlers.dispatch", side_effect=RuntimeError("down")):
			process_event(name)
			first = frappe.db.get_value(EVENT_DOCTYPE, name, "next_attempt_at")
			process_event(name)
			second = frappe.db.get_value(EVENT_DOCTYPE, name, "next_attempt_at")
		self.assertGreater(second - now_datetime(), first - now_datetime() + timedelta(seconds=30))

	def test_lost_processing_is_rescued(self):
		name = self.record(status="Processing")
		frappe.db.set_value(
			EVENT_DOCTYPE, name, "modified", add_to_date(now_datetime(), hours=-1), update_modified=False
		)
		with patch("chat_bridge.webhook.retries.enqueue_processing"):
			retry_due_events()
		self.assertEqual(frappe.db.get_value(EVENT_DOCTYPE, name, "status"), "Failed")

	def test_event_for_another_account_is_ignored_with_the_reason(self):
		payload = json.loads(example_body("contact_created"))
		payload["account"]["id"] = 99
		name = self.record(payload=json.dumps(payload))
		self.assertEqual(process_event(name), "Ignored")
		self.assertIn("account 99", frappe.db.get_value(EVENT_DOCTYPE, name, "error"))

	def test_purge_keeps_failed_events(self):
		old = add_to_date(now_datetime(), days=-40)
		processed = self.record(status="Processed", received_at=old)
		ignored = self.record(status="Ignored", received_at=old)
		failed = self.record(status="Failed", received_at=old)
		recent = self.record(status="Processed")
		purge_old_events()
		self.assertFalse(frappe.db.exists(EVENT_DOCTYPE, processed))
		self.assertFalse(frappe.db.exists(EVENT_DOCTYPE, ignored))
		self.assertTrue(frappe.db.exists(EVENT_DOCTYPE, failed))
		self.assertTrue(frappe.db.exists(EVENT_DOCTYPE, recent))


class TestInstallationEvents(WebhookTestCase):
	flags = {**ALL_FLAGS_ON, "installation_token": "install-token-9"}
	BODY = json.dumps(
		{
			"id": 4711,
			"name": "Second Shop",
			"event": "account_created",
			"users": [{"id": 2, "name": "Ann", "email": "ann@example.com", "type": "user"}],
		}
	).encode()

	def tearDown(self):
		frappe.delete_doc("Chatwoot Account", 4711, ignore_permissions=True, force=True, ignore_missing=True)
		frappe.db.commit()
		super().tearDown()

	@patch("frappe.enqueue")
	def test_account_created_twice_makes_one_account(self, enqueue):
		refused = call("post", INSTALLATION + "?token=nope", data=self.BODY, content_type="application/json")
		self.assertEqual(refused.status_code, 401)
		first = call(
			"post", INSTALLATION + "?token=install-token-9", data=self.BODY, content_type="application/json"
		)
		second = call(
			"post", INSTALLATION + "?token=install-token-9", data=self.BODY, content_type="application/json"
		)
		self.assertEqual(answer(first)["status"], "queued", first.data)
		self.assertEqual(answer(second)["status"], "duplicate")
		process_event(answer(first)["message"])
		account = frappe.get_doc("Chatwoot Account", 4711)
		self.assertEqual((account.account_name, account.created_via), ("Second Shop", "Installation Event"))
		self.assertEqual(
			[(a.chatwoot_user_id, a.email) for a in account.administrators], [(2, "ann@example.com")]
		)

	def test_lookup_by_account_id(self):
		from chat_bridge.api.rest_api import get_chatwoot_account

		self.assertEqual(get_chatwoot_account(4711)["data"], {"exists": False, "account_id": 4711})
		frappe.get_doc(
			{"doctype": "Chatwoot Account", "account_id": 4711, "account_name": "Second Shop"}
		).insert()
		self.assertEqual(get_chatwoot_account("4711")["data"]["account_name"], "Second Shop")


class TestMetrics(WebhookTestCase):
	def test_metrics_from_known_events(self):
		from chat_bridge.api.rest_api import get_sync_metrics

		# Only this test's events in the window, on this connection; undone before the cleanups commit.
		self.addCleanup(frappe.db.rollback)
		frappe.db.delete(EVENT_DOCTYPE, {"received_at": (">=", add_to_date(now_datetime(), days=-2))})
		for status, ms, error in (
			("Processed", 10, None),
			("Processed", 30, None),
			("Failed", None, "Traceback\nValueError: bad"),
			("Queued", None, None),
		):
			frappe.get_doc(
				{
					"doctype": EVENT_DOCTYPE,
					"delivery_id": f"{self.delivery}-{status}-{ms}",
					"event": "message_created",
					"received_at": now_datetime(),
					"processed_at": now_datetime() if status == "Processed" else None,
					"status": status,
					"processing_ms": ms,
					"error": error,
					"payload": '{"secret": "never shown"}',
				}
			).insert(ignore_permissions=True)
		metrics = get_sync_metrics()["data"]
		self.assertEqual(
			(metrics["total_syncs"], metrics["success_count"], metrics["failed_count"]), (4, 2, 1)
		)
		self.assertEqual(metrics["success_rate"], 66.67)
		self.assertEqual(metrics["avg_latency_ms"], 20.0)
		self.assertEqual([e["error"] for e in metrics["recent_errors"]], ["ValueError: bad"])
		self.assertNotIn("never shown", frappe.as_json(metrics))

	def test_plain_users_and_guests_read_neither_events_nor_metrics(self):
		from chat_bridge.api.rest_api import get_sync_metrics

		ensure_user(PLAIN_USER)
		frappe.set_user(PLAIN_USER)
		with self.assertRaises(frappe.PermissionError):
			get_sync_metrics()
		self.assertFalse(frappe.has_permission(EVENT_DOCTYPE, "read"))
		frappe.set_user("Guest")
		with self.assertRaises(frappe.PermissionError):
			get_sync_metrics()
		frappe.set_user("Administrator")
		guest = call("get", "/api/method/chat_bridge.api.rest_api.get_sync_metrics")
		self.assertEqual(guest.status_code, 403)
		listing = call("get", f"/api/resource/{EVENT_DOCTYPE}")
		self.assertEqual(listing.status_code, 403)
