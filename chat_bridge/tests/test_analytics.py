"""The support reports, the dashboard's figures and chat search, in a real site.

A small story is seeded and each figure the reports give is checked against the answer worked out
by hand below, for the synced-data path; Chatwoot's path is checked against the mock Chatwoot's
story the same way.

The story, in November 2026 (site time):

	conversation  agent  began          first reply     resolved         inbox  team     labels        status
	C1            Ann    02 10:00       02 10:05 (5m)   02 12:00 (2h)    7      Sales    vip, billing  resolved
	C2            Ann    03 09:00       03 09:01 (1m)   -                7      -        billing       open
	C3            Bob    03 15:00       03 16:00 (1h)   04 15:00 (24h)   8      Support  -             resolved
	C4            Bob    Oct 31 23:00   23:30 (30m)     Nov 01 01:00     8      -        -             resolved
	C5            -      05 08:00       -               -                7      -        -             pending

	Chat messages sent in November: Ann 3, Bob 1 (and Bob 1 in October).
"""

import random
from datetime import datetime, timedelta

import frappe
from frappe.desk.query_report import run

from chat_bridge.analytics.number_cards import (
	median_first_response_today,
	resolution_rate_this_week,
	unassigned_conversations,
)
from chat_bridge.api.rest_api import search_conversations
from chat_bridge.records.times import to_utc
from chat_bridge.tests.test_with_chatwoot import WithChatwoot
from chat_bridge.tests.utils import ALL_FLAGS_ON, PLAIN_USER, ensure_user, insert_sent_chat_message

ANN, BOB = "ann.support@example.test", "bob.support@example.test"
ANALYST = "lead.analytics@example.test"
NOVEMBER = {"from_date": "2026-11-01", "to_date": "2026-11-30"}
BASE = random.randint(700_000, 799_999)  # noqa: S311 -- test ids
# An account of the story's own, so that conversations a lived-in site already has are not counted.
ACCOUNT = random.randint(800_000, 899_999)  # noqa: S311


def at(text: str) -> datetime:
	return datetime.strptime(text, "%Y-%m-%d %H:%M")


def story() -> list[dict]:
	def mapping(number, agent_id, user, began, reply, resolved, inbox, team, labels, status):
		began_at, reply_at = at(began), at(reply) if reply else None
		resolved_at = at(resolved) if resolved else None
		return {
			"chatwoot_conversation_id": BASE + number,
			"chatwoot_assignee_id": agent_id,
			"assignee": user,
			"chatwoot_created_at": began_at,
			"first_reply_at": reply_at,
			"resolved_at": resolved_at,
			"inbox_id": inbox,
			"team": team,
			"labels": labels,
			"status": status,
		}

	return [
		mapping(
			1,
			21,
			ANN,
			"2026-11-02 10:00",
			"2026-11-02 10:05",
			"2026-11-02 12:00",
			7,
			"Sales",
			"vip, billing",
			"resolved",
		),
		mapping(2, 21, ANN, "2026-11-03 09:00", "2026-11-03 09:01", None, 7, None, "billing", "open"),
		mapping(
			3,
			22,
			BOB,
			"2026-11-03 15:00",
			"2026-11-03 16:00",
			"2026-11-04 15:00",
			8,
			"Support",
			None,
			"resolved",
		),
		mapping(
			4, 22, BOB, "2026-10-31 23:00", "2026-10-31 23:30", "2026-11-01 01:00", 8, None, None, "resolved"
		),
		mapping(5, None, None, "2026-11-05 08:00", None, None, 7, None, None, "pending"),
	]


class AnalyticsTestCase(WithChatwoot):
	def setUp(self):
		super().setUp()
		self.mock.renumber_account(self.mock.account["id"], ACCOUNT)
		self.configure(
			enabled=1,
			enable_dashboard=1,
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			account_id=ACCOUNT,
		)
		for email, first in ((ANN, "Ann"), (BOB, "Bob")):
			ensure_user(email, ("Chatwoot Agent",))
			frappe.db.set_value("User", email, "first_name", first)
		ensure_user(ANALYST, ("Support Analytics",))
		self.mappings = []
		for values in story():
			mapping = frappe.get_doc(
				{"doctype": "Chatwoot Conversation Mapping", "account_id": ACCOUNT, **values}
			)
			mapping.insert(ignore_permissions=True)
			self.mappings.append(mapping)
		for number, (sender, when) in enumerate(
			[
				(ANN, "2026-11-02 10:05"),
				(ANN, "2026-11-03 09:01"),
				(ANN, "2026-11-20 11:00"),
				(BOB, "2026-11-03 16:00"),
				(BOB, "2026-10-31 23:30"),
			]
		):
			insert_sent_chat_message(
				f"CW-{ACCOUNT}-{BASE * 10 + number}",
				content=f"Answer {number}: the parcel is on its way, 50% of it",
				sender=sender,
				chatwoot_sender_id={ANN: 21, BOB: 22}[sender],
				communication_date=at(when),
				reference_doctype="Chatwoot Conversation Mapping",
				reference_name=self.mappings[0].name,
			)
		frappe.db.commit()

	def report(self, name: str, user: str = "Administrator", **filters) -> dict:
		frappe.set_user(user)
		try:
			return run(name, filters={**NOVEMBER, **filters}, ignore_prepared_report=True)
		finally:
			frappe.set_user("Administrator")

	def rows_by(self, result: dict, key: str) -> dict:
		return {row[key]: row for row in result["result"] if isinstance(row, dict)}


class TestAgentPerformanceFromSyncedData(AnalyticsTestCase):
	def test_each_agents_figures(self):
		result = self.report("Chatwoot Agent Performance")
		rows = self.rows_by(result, "user")
		self.assertIn("the synced conversations", result["message"])
		ann, bob = rows[ANN], rows[BOB]
		# Ann: C1 and C2 began in November; C1 is resolved; replies after 300 s and 60 s; C1 took 7200 s.
		self.assertEqual((ann["assigned"], ann["resolved"], ann["resolution_rate"]), (2, 1, 50.0))
		self.assertEqual((ann["first_response"], ann["resolution_time"]), (180.0, 7200.0))
		self.assertEqual(ann["messages_sent"], 3)
		# Bob: only C3 began in November (C4 in October); resolved after 86400 s; 1 message in November.
		self.assertEqual((bob["assigned"], bob["resolved"], bob["resolution_rate"]), (1, 1, 100.0))
		self.assertEqual((bob["first_response"], bob["resolution_time"]), (3600.0, 86400.0))
		self.assertEqual(bob["messages_sent"], 1)
		self.assertIsNone(ann["csat"])

	def test_an_agent_without_an_erpnext_user_is_counted_by_their_chatwoot_id(self):
		"""Chatwoot gives no e-mail for an agent: the messages they sent are theirs by id."""
		mapping = frappe.get_doc(
			{
				"doctype": "Chatwoot Conversation Mapping",
				"account_id": ACCOUNT,
				"chatwoot_conversation_id": BASE + 300,
				"chatwoot_assignee_id": 23,
				"chatwoot_created_at": at("2026-11-12 10:00"),
				"status": "open",
			}
		).insert(ignore_permissions=True)
		insert_sent_chat_message(
			f"CW-{ACCOUNT}-{BASE * 10 + 9}",
			content="Coming right up",
			sender_full_name="Carl",
			chatwoot_sender_id=23,
			communication_date=at("2026-11-12 10:02"),
			reference_doctype="Chatwoot Conversation Mapping",
			reference_name=mapping.name,
		)
		frappe.db.commit()
		carl = self.rows_by(self.report("Chatwoot Agent Performance"), "chatwoot_agent_id")[23]
		self.assertEqual((carl["user"], carl["assigned"], carl["messages_sent"]), (None, 1, 1))

	def test_a_period_outside_the_story_has_no_one(self):
		result = self.report("Chatwoot Agent Performance", from_date="2026-09-01", to_date="2026-09-30")
		self.assertEqual([r for r in result["result"] if isinstance(r, dict) and r["user"] in (ANN, BOB)], [])


class TestAgentPerformanceFromChatwoot(AnalyticsTestCase):
	def test_chatwoots_figures_for_each_agent(self):
		self.configure(
			**{**ALL_FLAGS_ON, "enable_sync": 0},
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			account_id=ACCOUNT,
		)
		middle = to_utc(at("2026-11-10 12:00")).timestamp()
		conversation = self.mock.conversations[58]
		conversation.update(
			assignee_id=12,
			created_at=middle,
			first_reply_created_at=middle + 600,
			resolved_at=middle + 7200,
			status="resolved",
		)
		message = self.mock.store_message(
			conversation, {"content": "On its way", "sender_id": 12}, middle + 600
		)
		message["created_at"] = middle + 600
		rating = {"account_id": ACCOUNT, "conversation_id": conversation["id"], "assigned_agent_id": 12}
		self.mock.csat_responses += [
			{**rating, "rating": stars, "created_at": middle + later}
			for stars, later in ((5, 8000), (2, 9000))
		]
		result = self.report("Chatwoot Agent Performance")
		self.assertIn("Chatwoot's reports", result["message"])
		sam = self.rows_by(result, "chatwoot_agent_id")[12]
		# One conversation begun, resolved after 2 h, first answered after 10 min; one reply; CSAT (5+2)/2.
		self.assertEqual((sam["assigned"], sam["resolved"], sam["resolution_rate"]), (1, 1, 100.0))
		self.assertEqual((sam["first_response"], sam["resolution_time"]), (600.0, 7200.0))
		self.assertEqual((sam["messages_sent"], sam["csat"], sam["csat_responses"]), (1, 3.5, 2))
		self.assertEqual(self.rows_by(result, "chatwoot_agent_id")[1]["assigned"], 0)  # Ada, nothing
		asked = len(self.mock.requests)
		self.report("Chatwoot Agent Performance")
		self.assertEqual(len(self.mock.requests), asked)  # the same period is not asked again

	def test_an_account_with_many_agents_stays_inside_chatwoots_report_limit(self):
		from chat_bridge.analytics.performance import REPORT_REQUESTS_PER_RUN

		self.configure(
			**{**ALL_FLAGS_ON, "enable_sync": 0},
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			account_id=ACCOUNT,
		)
		for number in range(150):
			agent = self.mock.add_user(f"Agent {number}", f"agent{number}@acme.example")
			self.mock.add_membership(agent, ACCOUNT)
		result = self.report("Chatwoot Agent Performance")
		self.assertIn("Chatwoot's reports", result["message"])
		self.assertEqual(len(result["result"]), 152)  # Ada, Sam and the 150
		# Chatwoot counts /reports requests, 100 a minute per token (its summary_reports are not).
		counted = [path for _method, path in self.mock.requests if "/reports/" in path]
		self.assertLessEqual(len(counted), REPORT_REQUESTS_PER_RUN)


class TestConversationAnalysis(AnalyticsTestCase):
	def test_by_day_with_the_headline_figures(self):
		result = self.report("Chatwoot Conversation Analysis", view="Day")
		days = {str(row["value"]): (row["conversations"], row["resolved"]) for row in result["result"]}
		self.assertEqual(len(days), 30)  # every day of November, those without conversations too
		self.assertEqual(
			{day: counts for day, counts in days.items() if counts != (0, 0)},
			{"2026-11-02": (1, 1), "2026-11-03": (2, 1), "2026-11-05": (1, 0)},
		)
		headline = {item["label"]: item["value"] for item in result["report_summary"]}
		self.assertEqual(headline["Conversations"], 4)
		self.assertEqual(headline["Resolved"], 2)
		self.assertEqual(headline["Resolution Rate"], 50.0)
		self.assertEqual(headline["Unassigned"], 0)  # C5 has no agent, but it is pending, not open
		self.assertEqual(headline["Median First Response"], 300)  # of 300, 60 and 3600 s
		self.assertEqual(headline["Median Resolution Time"], 46800)  # of 7200 and 86400 s
		self.assertEqual(result["chart"]["data"]["datasets"][0]["values"][:6], [0, 1, 2, 0, 1, 0])

	def test_a_period_nobody_was_answered_in_has_no_median(self):
		result = self.report("Chatwoot Conversation Analysis", from_date="2026-06-01", to_date="2026-06-30")
		headline = {item["label"]: item["value"] for item in result["report_summary"]}
		self.assertEqual(headline["Conversations"], 0)
		self.assertEqual(
			(headline["Median First Response"], headline["Median Resolution Time"]), ("None", "None")
		)

	def test_by_status_inbox_label_and_hour(self):
		counts = lambda view, **f: {  # noqa: E731
			row["value"]: row["conversations"]
			for row in self.report("Chatwoot Conversation Analysis", view=view, **f)["result"]
		}
		self.assertEqual(counts("Status"), {"resolved": 2, "open": 1, "pending": 1})
		self.assertEqual(counts("Inbox"), {"Inbox 7": 3, "Inbox 8": 1})
		self.assertEqual(counts("Label"), {"billing": 2, "vip": 1})
		hours = counts("Hour of Day")
		self.assertEqual(len(hours), 24)
		self.assertEqual(
			{hour: count for hour, count in hours.items() if count},
			{"08:00": 1, "09:00": 1, "10:00": 1, "15:00": 1},
		)
		self.assertEqual(counts("Team"), {"(none)": 2, "Sales": 1, "Support": 1})
		self.assertEqual(counts("Status", label="billing"), {"resolved": 1, "open": 1})
		self.assertEqual(counts("Status", inbox=8), {"resolved": 1})

	def test_inboxes_are_offered_and_counted_by_their_names(self):
		from chat_bridge.analytics.analysis import INBOX_NAMES_KEY, inbox_options

		frappe.set_user(ANALYST)
		try:
			self.assertEqual(  # API access off: the inboxes the conversations came through, by id
				inbox_options(), [{"value": "7", "label": "Inbox 7"}, {"value": "8", "label": "Inbox 8"}]
			)
		finally:
			frappe.set_user("Administrator")
		self.configure(
			**{**ALL_FLAGS_ON, "enable_sync": 0},
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			account_id=ACCOUNT,
		)
		frappe.cache.delete_value(INBOX_NAMES_KEY.format(account_id=ACCOUNT))
		self.assertEqual(
			inbox_options(), [{"value": "8", "label": "Acme API"}, {"value": "7", "label": "Acme Website"}]
		)
		by_inbox = self.report("Chatwoot Conversation Analysis", view="Inbox")["result"]
		self.assertEqual({row["value"] for row in by_inbox}, {"Acme Website", "Acme API"})

	def test_time_distributions(self):
		first = {
			row["value"]: row["conversations"]
			for row in self.report("Chatwoot Conversation Analysis", view="First Response Time")["result"]
		}
		self.assertEqual(first["1-5m"], 1)  # 60 s
		self.assertEqual(first["5-15m"], 1)  # 300 s
		self.assertEqual(first["1-4h"], 1)  # 3600 s
		self.assertEqual(sum(first.values()), 3)
		resolution = {
			row["value"]: row["conversations"]
			for row in self.report("Chatwoot Conversation Analysis", view="Resolution Time")["result"]
		}
		self.assertEqual((resolution["1-4h"], resolution["1-3d"]), (1, 1))


class TestWhoSeesTheFigures(AnalyticsTestCase):
	def test_reports_are_for_system_managers_and_support_analytics(self):
		ensure_user(PLAIN_USER)
		for name in ("Chatwoot Agent Performance", "Chatwoot Conversation Analysis"):
			with self.assertRaises(frappe.PermissionError):
				self.report(name, user=PLAIN_USER)
			with self.assertRaises(frappe.PermissionError):
				self.report(name, user=ANN)  # an agent, not an analyst
			self.assertTrue(self.report(name, user=ANALYST)["result"])

	def test_after_a_rollback_the_reports_say_chat_bridge_is_switched_off(self):
		from chat_bridge.exceptions import FeatureDisabledError

		self.configure(enabled=0)
		for name in ("Chatwoot Agent Performance", "Chatwoot Conversation Analysis"):
			with self.assertRaises(FeatureDisabledError) as refused:
				self.report(name, user=ANALYST)
			self.assertIn("switched off", str(refused.exception))
		self.assertTrue(frappe.db.exists("Page", "customer-support"))  # says so where the workspace was

	def test_the_customer_support_dashboard_is_installed(self):
		dashboard = frappe.get_doc("Dashboard", "Customer Support")
		self.assertEqual(
			[row.card for row in dashboard.cards],
			[
				"Open Chatwoot Conversations",
				"Unassigned Chatwoot Conversations",
				"Median First Response Today",
				"Chatwoot Resolution Rate This Week",
			],
		)
		self.assertIn("Chatwoot First Response Times", [row.chart for row in dashboard.charts])

	def test_a_support_lead_sees_the_whole_dashboard_and_finds_it_in_the_sidebar(self):
		from frappe.desk.desktop import get_desktop_page, get_workspace_sidebar_items
		from frappe.desk.doctype.dashboard.dashboard import get_permitted_cards

		self.configure(**ALL_FLAGS_ON)  # the workspace shows while the integration is on
		frappe.set_user(ANALYST)
		try:
			self.assertEqual(len(get_permitted_cards("Customer Support")), 4)
			self.assertIn("Customer Support", [page.name for page in get_workspace_sidebar_items()["pages"]])
			page = get_desktop_page(frappe.as_json({"name": "Customer Support", "title": "Customer Support"}))
			links = [link.link_to for card in page["cards"]["items"] for link in card["links"]]
			self.assertIn("Chatwoot Conversation Analysis", links)
			self.assertIn("Chatwoot Agent Performance", links)
			self.assertNotIn("Chatwoot Integration Settings", links)
			self.assertIn("Customer Support", [s.link_to for s in page["shortcuts"]["items"]])
		finally:
			frappe.set_user("Administrator")

	def test_unassigned_means_the_same_on_the_card_and_in_the_report(self):
		"""Open, and no Chatwoot agent assigned, whether or not the agent has an ERPNext user."""
		for number, agent_id in ((200, 23), (201, None)):  # agent 23 has no ERPNext user
			frappe.get_doc(
				{
					"doctype": "Chatwoot Conversation Mapping",
					"account_id": ACCOUNT,
					"chatwoot_conversation_id": BASE + number,
					"chatwoot_assignee_id": agent_id,
					"chatwoot_created_at": at("2026-11-10 10:00"),
					"status": "open",
				}
			).insert(ignore_permissions=True)
		frappe.db.commit()
		headline = {
			item["label"]: item["value"]
			for item in self.report("Chatwoot Conversation Analysis", view="Day")["report_summary"]
		}
		frappe.set_user(ANALYST)
		try:
			card = unassigned_conversations()
		finally:
			frappe.set_user("Administrator")
		# C5 has no agent either, but is pending: a bot or a queue holds it, as in Chatwoot.
		self.assertEqual((card, headline["Unassigned"]), (1, 1))

	def test_the_dashboards_cards(self):
		today = frappe.utils.now_datetime().replace(hour=0, minute=0, second=0, microsecond=0)
		for number, (reply_seconds, status) in enumerate(
			((120, "resolved"), (600, "open"), (60, "resolved"))
		):
			frappe.get_doc(
				{
					"doctype": "Chatwoot Conversation Mapping",
					"account_id": ACCOUNT,
					"chatwoot_conversation_id": BASE + 100 + number,
					"chatwoot_created_at": today,
					"first_reply_at": today + timedelta(seconds=reply_seconds),
					"status": status,
				}
			).insert(ignore_permissions=True)
		frappe.db.commit()
		frappe.set_user(ANALYST)
		try:
			self.assertEqual(median_first_response_today(), {"value": 120, "fieldtype": "Duration"})
			self.assertEqual(resolution_rate_this_week()["value"], 66.7)  # 2 of the 3 begun today
		finally:
			frappe.set_user("Administrator")
		frappe.set_user(PLAIN_USER)
		try:
			with self.assertRaises(frappe.PermissionError):
				median_first_response_today()
		finally:
			frappe.set_user("Administrator")


class TestChatSearch(AnalyticsTestCase):
	def test_what_was_said_finds_the_conversation_once(self):
		hits = search_conversations("parcel is on")["data"]
		self.assertEqual([h["conversation_id"] for h in hits], [BASE + 1])
		self.assertIn("the parcel is on its way", hits[0]["snippet"])
		# C1 has no Contact or Issue in this story: its mapping is the record to open.
		self.assertEqual(
			hits[0]["record"], {"doctype": "Chatwoot Conversation Mapping", "name": self.mappings[0].name}
		)
		self.assertTrue(hits[0]["chatwoot_url"].endswith(f"/conversations/{BASE + 1}"))
		self.assertEqual(search_conversations("50%")["data"][0]["conversation_id"], BASE + 1)
		self.assertEqual(search_conversations("5_%")["data"], [])  # wildcards are taken literally

	def test_what_the_person_wrote_is_found_though_it_is_stored_escaped(self):
		from chat_bridge.sync.messages import sanitized_html

		frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Chat",
				"sent_or_received": "Received",
				"subject": "Chatwoot conversation",
				"content": sanitized_html("O'Reilly asks: is AT&T's <fiber> in?"),  # as the sync writes it
				"communication_date": at("2026-11-04 10:00"),
				"reference_doctype": "Chatwoot Conversation Mapping",
				"reference_name": self.mappings[1].name,
			}
		).insert(ignore_permissions=True, set_name=f"CW-{ACCOUNT}-{BASE * 10 + 9}")
		frappe.db.commit()
		for said in ("O'Reilly", "AT&T", "<fiber>"):
			hits = search_conversations(said)["data"]
			self.assertEqual([h["conversation_id"] for h in hits], [BASE + 2], said)
			self.assertIn(said, hits[0]["snippet"])

	def test_chatwoots_search_adds_what_was_not_synced(self):
		self.configure(
			**{**ALL_FLAGS_ON, "enable_sync": 0},
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			account_id=ACCOUNT,
		)
		hits = search_conversations("SO-0042")["data"]  # the mock's conversation 58 asks about it
		self.assertEqual(
			[(h["conversation_id"], h["source"], h["record"]) for h in hits], [(58, "Chatwoot", None)]
		)

	def test_a_user_who_may_not_read_communications_finds_nothing_of_them(self):
		ensure_user(PLAIN_USER, ("Chatwoot Agent",))
		frappe.set_user(PLAIN_USER)
		try:
			self.assertEqual(search_conversations("parcel")["data"], [])
		finally:
			frappe.set_user("Administrator")
