"""Chatwoot agents from ERPNext, against the mock Chatwoot: provisioning (new and existing e-mail,
by invitation), a run that stops half-way and is finished, the limit, deprovisioning, who may do
what, and that no password or token shows anywhere."""

import glob
import json
import os
from urllib.parse import quote

import frappe
from frappe.utils import set_request
from frappe.utils.password import get_decrypted_password

from chat_bridge.api import agents as rest
from chat_bridge.exceptions import AgentLimitReached
from chat_bridge.provisioning.agents import AGENT_DOCTYPE, deprovision_agent, provision_agent
from chat_bridge.tests.test_with_chatwoot import WithChatwoot
from chat_bridge.tests.utils import ACCOUNT_ID, AGENT_USER, ALL_FLAGS_ON, PLAIN_USER, ensure_user

ANN = "ann.provisioned@example.test"
DESK = ("Sales User",)  # a desk user: Website Users are not made agents
STEPS_DONE = {"user_step": "Done", "account_step": "Done", "inboxes_step": "Done", "token_step": "Done"}


class AgentsTestCase(WithChatwoot):
	def setUp(self):
		super().setUp()
		self.configure(
			**ALL_FLAGS_ON,
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			platform_api_token="platform-token",
		)
		ensure_user(ANN, DESK)
		self.addCleanup(self.forget_agents)

	def forget_agents(self):
		frappe.db.rollback()
		for doctype in (AGENT_DOCTYPE, "Chatwoot User Token"):
			frappe.db.delete(doctype, {"creation": (">=", self.started)})
		frappe.db.commit()

	def provision(self, user=ANN, **kwargs):
		record = provision_agent(user, ACCOUNT_ID, **kwargs)
		frappe.db.commit()
		return record

	def chatwoot_user(self, email: str) -> dict:
		[user] = [u for u in self.mock.users.values() if u["email"] == email]
		return user

	def role_in_account(self, user: dict) -> str | None:
		"""The user's role in account 3, None when not a member."""
		return (user["accounts"].get(ACCOUNT_ID) or {}).get("role")

	def steps(self, record) -> dict:
		return {field: record.get(field) for field in STEPS_DONE}


class TestProvisioning(AgentsTestCase):
	def test_a_new_user_becomes_an_agent_in_their_inboxes_with_their_token(self):
		# Account 3 was made in Chatwoot, not by the platform app, which therefore may not add
		# members to it: the account's own agents API does.
		self.assertFalse(self.mock.platform_apps["platform-token"]["permissibles"])
		record = self.provision(role="agent", inboxes=[7, 8])
		self.assertEqual(record.status, "Provisioned", record.last_error)
		self.assertEqual(self.steps(record), STEPS_DONE)
		chatwoot = self.chatwoot_user(ANN)
		self.assertEqual(record.chatwoot_user_id, chatwoot["id"])
		self.assertEqual(self.role_in_account(chatwoot), "agent")
		self.assertEqual(sorted(chatwoot["inbox_ids"]), [7, 8])
		token = frappe.get_doc("Chatwoot User Token", ANN)
		self.assertEqual(token.chatwoot_user_id, chatwoot["id"])
		self.assertEqual(token.get_password("api_access_token"), chatwoot["access_token"])
		# The other members of the inboxes stay.
		self.assertIn(7, self.mock.users[12]["inbox_ids"])
		self.assertIn(8, self.mock.users[1]["inbox_ids"])

	def test_an_email_chatwoot_has_is_claimed_not_created_again(self):
		sam = ensure_user("sam@acme.example", DESK)  # Sam Agent, id 12, made in Chatwoot by hand
		record = self.provision(sam, role="administrator", inboxes=[8])
		self.assertEqual(record.status, "Provisioned", record.last_error)
		self.assertEqual(record.chatwoot_user_id, 12)
		self.assertEqual(len([u for u in self.mock.users.values() if u["email"] == "sam@acme.example"]), 1)
		self.assertNotIn(12, self.mock.passwords)  # his password is his own
		self.assertEqual(self.role_in_account(self.mock.users[12]), "administrator")
		self.assertEqual(sorted(self.mock.users[12]["inbox_ids"]), [7, 8])

	def test_a_run_that_stops_at_the_inboxes_is_finished_by_running_it_again(self):
		self.mock.fail_next(503, times=1, method="POST", path_contains="/inbox_members")
		record = self.provision(inboxes=[7])
		self.assertEqual(record.status, "Partly provisioned")
		self.assertEqual((record.account_step, record.inboxes_step), ("Done", "Failed"))
		self.assertFalse(record.token_step)
		self.assertIn("Inboxes:", record.last_error)
		chatwoot = self.chatwoot_user(ANN)
		self.assertEqual(self.role_in_account(chatwoot), "agent")
		self.assertEqual(chatwoot["inbox_ids"], set())
		self.assertEqual(rest.get_agent(ANN)["data"]["status"], "Partly provisioned")  # visible in ERPNext

		finished = self.provision()  # the one action
		self.assertEqual(finished.status, "Provisioned", finished.last_error)
		self.assertIsNone(finished.last_error)
		self.assertEqual(self.chatwoot_user(ANN)["inbox_ids"], {7})
		self.assertEqual(len([u for u in self.mock.users.values() if u["email"] == ANN]), 1)

	def test_the_limit_refuses_before_anything_is_made(self):
		self.configure(
			**ALL_FLAGS_ON,
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			platform_api_token="platform-token",
			max_agents=2,  # Ada and Sam
		)
		with self.assertRaises(AgentLimitReached) as refused:
			self.provision(inboxes=[7])
		self.assertIn("The account has 2 agents and Max Agents is 2", str(refused.exception))
		self.assertFalse(any(u["email"] == ANN for u in self.mock.users.values()))
		# An agent the account has already is not refused by the limit.
		frappe.db.rollback()
		self.assertEqual(self.provision(ensure_user("sam@acme.example", DESK)).status, "Provisioned")

	def test_the_integrations_own_administrator_is_not_demoted(self):
		ada = ensure_user("ada@acme.example", DESK)  # the settings' token is hers
		record = self.provision(ada, inboxes=[7])  # no role asked for
		self.assertEqual(record.status, "Provisioned", record.last_error)
		self.assertEqual(
			(record.role, self.role_in_account(self.mock.users[1])), ("administrator", "administrator")
		)

	def test_only_the_desks_own_users_can_be_agents(self):
		portal_user = "portal.customer@example.test"
		if not frappe.db.exists("User", portal_user):
			frappe.get_doc(
				{"doctype": "User", "email": portal_user, "first_name": "Portal", "user_type": "Website User"}
			).insert(ignore_permissions=True)
			self.addCleanup(frappe.delete_doc, "User", portal_user, ignore_permissions=True, force=True)
		for user in ("Guest", "Administrator", portal_user):
			with self.subTest(user), self.assertRaises(frappe.ValidationError):
				self.provision(user)
		self.assertEqual(len(self.mock.users), 2)  # nobody was made in Chatwoot

	def test_an_unknown_inbox_is_refused_before_anything_is_made(self):
		with self.assertRaises(frappe.ValidationError) as refused:
			self.provision(inboxes=[7, 4242])
		self.assertIn("no inbox 4242", str(refused.exception))
		self.assertFalse(any(u["email"] == ANN for u in self.mock.users.values()))

	def test_an_account_with_no_seat_left_says_so(self):
		self.mock.account["limits"]["agents"] = 2  # Ada and Sam
		record = self.provision(inboxes=[7])
		self.assertEqual(record.status, "Partly provisioned")
		self.assertEqual(record.account_step, "Failed")
		self.assertIn("no agent seat left", record.last_error)
		self.assertIsNone(self.role_in_account(self.chatwoot_user(ANN)))

	def test_without_a_platform_token_chatwoot_invites_and_the_token_is_linked_later(self):
		self.configure(
			**ALL_FLAGS_ON,
			chatwoot_url=self.mock.url,
			api_access_token="admin-token",
			platform_api_token=None,
		)
		record = self.provision(inboxes=[7])
		self.assertEqual(record.status, "Invited", record.last_error)
		self.assertEqual(record.provisioned_via, "Invitation")
		self.assertEqual(record.token_step, "Waiting")
		chatwoot = self.chatwoot_user(ANN)
		self.assertFalse(chatwoot["confirmed"])
		self.assertEqual(chatwoot["inbox_ids"], {7})
		# The agent accepts, and stores the token from their Chatwoot profile.
		frappe.set_user(ANN)
		frappe.get_doc(
			{"doctype": "Chatwoot User Token", "user": ANN, "api_access_token": chatwoot["access_token"]}
		).insert()
		frappe.set_user("Administrator")
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value(AGENT_DOCTYPE, {"user": ANN}, "status"), "Provisioned")


class TestDeprovisioning(AgentsTestCase):
	def test_deprovisioning_takes_the_agent_out_of_the_account(self):
		agent_id = self.provision(inboxes=[7]).chatwoot_user_id
		self.mock.add_membership(self.mock.users[agent_id], 99, "agent")  # also in another account
		record = deprovision_agent(ANN, ACCOUNT_ID)
		frappe.db.commit()
		self.mock.settle()
		self.assertEqual(record.status, "Deprovisioned")
		self.assertIsNone(self.role_in_account(self.mock.users[agent_id]))
		self.assertNotIn(7, self.mock.users[agent_id]["inbox_ids"])
		self.assertFalse(frappe.db.exists("Chatwoot User Token", ANN))
		deprovision_agent(ANN, ACCOUNT_ID, delete_chatwoot_user=True)
		frappe.db.commit()
		self.assertNotIn(agent_id, self.mock.users)

	def test_chatwoot_deletes_a_user_it_leaves_in_no_account(self):
		agent_id = self.provision(inboxes=[7]).chatwoot_user_id
		deprovision_agent(ANN, ACCOUNT_ID, delete_chatwoot_user=True)  # Chatwoot got there first
		frappe.db.commit()
		self.mock.settle()
		self.assertNotIn(agent_id, self.mock.users)
		self.assertEqual(frappe.db.get_value(AGENT_DOCTYPE, {"user": ANN}, "status"), "Deprovisioned")

	def test_provisioning_again_after_deprovisioning(self):
		self.provision(inboxes=[7])
		deprovision_agent(ANN, ACCOUNT_ID)
		frappe.db.commit()
		self.mock.settle()  # the user, in no account now, is gone from Chatwoot
		again = self.provision()
		self.assertEqual(again.status, "Provisioned", again.last_error)
		chatwoot = self.chatwoot_user(ANN)
		self.assertEqual(again.chatwoot_user_id, chatwoot["id"])
		self.assertEqual(self.role_in_account(chatwoot), "agent")
		token = frappe.get_doc("Chatwoot User Token", ANN)
		self.assertEqual(token.get_password("api_access_token"), chatwoot["access_token"])

	def test_disabling_the_user_takes_them_out_of_chatwoot(self):
		agent_id = self.provision(inboxes=[7]).chatwoot_user_id
		self.mock.add_membership(self.mock.users[agent_id], 99, "agent")
		user = frappe.get_doc("User", ANN)
		user.enabled = 0
		user.save(ignore_permissions=True)
		frappe.db.commit()
		self.assertIsNone(self.role_in_account(self.mock.users[agent_id]))
		self.assertFalse(frappe.db.exists("Chatwoot User Token", ANN))
		self.assertEqual(frappe.db.get_value(AGENT_DOCTYPE, {"user": ANN}, "status"), "Deprovisioned")


class TestWhoMayDoWhat(AgentsTestCase):
	def test_only_system_managers_provision_or_see_agents(self):
		ensure_user(PLAIN_USER, ("Sales User",))
		ensure_user(AGENT_USER, ("Chatwoot Agent",))
		for user in (PLAIN_USER, AGENT_USER):
			frappe.set_user(user)
			for call in (
				lambda: rest.provision(ANN),
				lambda: rest.deprovision(ANN),
				lambda: rest.get_agents(),
				lambda: rest.add_to_inbox(7, 12),
			):
				with self.assertRaises(frappe.PermissionError):
					call()
			frappe.set_user("Administrator")
		self.assertFalse(frappe.db.exists(AGENT_DOCTYPE, {"user": ANN}))

	def test_a_sign_in_link_is_only_ever_for_the_one_who_asks(self):
		self.provision(inboxes=[7])
		ensure_user(AGENT_USER, ("Chatwoot Agent",))
		self.addCleanup(lambda: hasattr(frappe.local, "request") and delattr(frappe.local, "request"))
		set_request(method="POST", path="/api/method/chat_bridge.api.agents.get_sign_in_link")
		frappe.set_user(ANN)
		frappe.local.form_dict = frappe._dict(conversation_id=58)
		mine = frappe.handler.execute_cmd("chat_bridge.api.agents.get_sign_in_link")["data"]["url"]
		frappe.set_user(AGENT_USER)  # not provisioned: asking for Ann's gets nothing of hers
		frappe.local.form_dict = frappe._dict(user=ANN, conversation_id=58)
		theirs = frappe.handler.execute_cmd("chat_bridge.api.agents.get_sign_in_link")["data"]["url"]
		frappe.set_user("Administrator")
		self.assertIn(f"email={quote(ANN)}", mine)
		self.assertIn(f"sso_account_id={ACCOUNT_ID}&sso_conversation_id=58", mine)
		self.assertIsNone(theirs)

	def test_the_sign_in_link_is_not_to_be_stored(self):
		from werkzeug.test import EnvironBuilder
		from werkzeug.wrappers import Request, Response

		from chat_bridge.frame_headers import after_request

		response = Response("{}")
		after_request(
			response,
			Request(EnvironBuilder(path="/api/method/chat_bridge.api.agents.get_sign_in_link").get_environ()),
		)
		self.assertEqual(response.headers["Cache-Control"], "no-store")


class TestNothingLeaks(AgentsTestCase):
	def test_no_password_or_token_anywhere(self):
		self.mock.fail_next(
			422, times=1, method="POST", path_contains="/inbox_members", body={"error": "Inbox is full"}
		)
		answers = [rest.provision(ANN, inboxes="7")]
		answers.append(rest.provision(ANN))
		answers.append(rest.get_agent(ANN))
		answers.append(rest.get_agents())
		chatwoot = self.chatwoot_user(ANN)
		secrets = [self.mock.passwords[chatwoot["id"]], chatwoot["access_token"]]
		self.assertEqual(
			get_decrypted_password("Chatwoot User Token", ANN, "api_access_token"), chatwoot["access_token"]
		)
		places = {
			"answers": json.dumps(answers, default=str),
			"agent list": json.dumps(frappe.get_list(AGENT_DOCTYPE, fields=["*"]), default=str),
			"token list": json.dumps(frappe.get_list("Chatwoot User Token", fields=["*"]), default=str),
			"versions": json.dumps(
				frappe.get_all(
					"Version",
					filters={"ref_doctype": ("in", (AGENT_DOCTYPE, "Chatwoot User Token"))},
					fields=["data"],
				),
				default=str,
			),
			"error log": json.dumps(frappe.get_all("Error Log", fields=["error", "method"]), default=str),
		}
		logs = glob.glob(os.path.join(frappe.utils.get_bench_path(), "logs", "*.log"))
		logs += glob.glob(frappe.get_site_path("logs", "*.log"))
		for path in logs:
			with open(path, errors="replace") as log:
				places[path] = log.read()[-2_000_000:]
		for secret in secrets:
			for place, text in places.items():
				self.assertNotIn(secret, text, f"found in {place}")
