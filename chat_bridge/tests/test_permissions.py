import frappe

from chat_bridge.tests.utils import (
	OTHER_USER,
	PLAIN_USER,
	SYSTEM_MANAGER,
	ChatBridgeTestCase,
	ensure_user,
)

ADMIN_ONLY_DOCTYPES = (
	"Chatwoot Integration Settings",
	"Chatwoot Contact Mapping",
	"Chatwoot Conversation Mapping",
	"Chatwoot Webhook Event",
	"Chatwoot Account",
)


class TestDocTypePermissions(ChatBridgeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		ensure_user(PLAIN_USER)

	def test_system_manager_reads_everything(self):
		for doctype in (*ADMIN_ONLY_DOCTYPES, "Chatwoot User Token"):
			self.assertTrue(frappe.has_permission(doctype, "read", user=SYSTEM_MANAGER), doctype)

	def test_plain_user_reads_none_of_the_admin_doctypes(self):
		for doctype in ADMIN_ONLY_DOCTYPES:
			self.assertFalse(frappe.has_permission(doctype, "read", user=PLAIN_USER), doctype)

	def test_plain_user_cannot_open_the_settings(self):
		self.configure()
		frappe.set_user(PLAIN_USER)
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc("Chatwoot Integration Settings").check_permission("read")

	def test_webhook_events_are_read_only_in_the_desk(self):
		for ptype in ("create", "write"):
			self.assertFalse(
				frappe.has_permission("Chatwoot Webhook Event", ptype, user=SYSTEM_MANAGER), ptype
			)


class TestUserTokenPermissions(ChatBridgeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_user(SYSTEM_MANAGER, ("System Manager",))
		# Chatwoot Agents, who may keep a token of their own; plain users may not (test_rest_api).
		ensure_user(PLAIN_USER, ("Chatwoot Agent",))
		ensure_user(OTHER_USER, ("Chatwoot Agent",))

	def setUp(self):
		super().setUp()
		self.configure()  # integration off: saving a token asks nothing of Chatwoot
		self.delete_tokens()
		self.addCleanup(self.delete_tokens)

	def delete_tokens(self):
		frappe.set_user("Administrator")
		frappe.db.delete("Chatwoot User Token", {"user": ("in", (PLAIN_USER, OTHER_USER))})
		frappe.db.commit()

	def add_own_token(self, user: str, token: str):
		frappe.set_user(user)
		doc = frappe.get_doc(
			{"doctype": "Chatwoot User Token", "user": user, "api_access_token": token}
		).insert()
		frappe.set_user("Administrator")
		return doc

	def test_user_keeps_their_own_token(self):
		self.add_own_token(PLAIN_USER, "plain-secret-1")
		frappe.set_user(PLAIN_USER)
		doc = frappe.get_doc("Chatwoot User Token", PLAIN_USER)
		doc.check_permission("read")
		self.assertEqual(doc.get_password("api_access_token"), "plain-secret-1")

	def test_user_cannot_read_anothers_token(self):
		self.add_own_token(OTHER_USER, "other-secret-2")
		frappe.set_user(PLAIN_USER)
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc("Chatwoot User Token", OTHER_USER).check_permission("read")
		self.assertEqual(frappe.get_list("Chatwoot User Token", pluck="name"), [])

	def test_lists_show_each_user_only_their_own(self):
		self.add_own_token(PLAIN_USER, "plain-secret-1")
		self.add_own_token(OTHER_USER, "other-secret-2")
		frappe.set_user(PLAIN_USER)
		self.assertEqual(frappe.get_list("Chatwoot User Token", pluck="name"), [PLAIN_USER])
		frappe.set_user(SYSTEM_MANAGER)
		self.assertLessEqual(
			{PLAIN_USER, OTHER_USER}, set(frappe.get_list("Chatwoot User Token", pluck="name"))
		)

	def test_user_cannot_store_a_token_for_someone_else(self):
		frappe.set_user(PLAIN_USER)
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc(
				{"doctype": "Chatwoot User Token", "user": OTHER_USER, "api_access_token": "stolen"}
			).insert()

	def test_token_never_comes_back_from_lists_or_reads(self):
		self.add_own_token(PLAIN_USER, "plain-secret-1")
		frappe.set_user(SYSTEM_MANAGER)
		rows = frappe.get_list("Chatwoot User Token", fields=["name", "api_access_token"])
		self.assertTrue(rows)
		self.assertNotIn("plain-secret-1", frappe.as_json(rows))
		self.assertNotIn(
			"plain-secret-1", frappe.as_json(frappe.get_doc("Chatwoot User Token", PLAIN_USER).as_dict())
		)
