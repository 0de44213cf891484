"""The site under test, through the harness's own connection: its settings for the run, the event
log's progress, what the sync wrote, and clearing it all away afterwards.

A run writes under a Chatwoot account of its own (`ACCOUNT`), so nothing the site already holds is
counted or removed: the account is in every event, mapping and message name the sync writes.
"""

from datetime import datetime

import frappe
from frappe.utils import now_datetime

from benchmarks.harness.processes import Bench

ACCOUNT = 990_002
EVENTS = "Chatwoot Webhook Event"
CONTACT_MAPPINGS = "Chatwoot Contact Mapping"
CONVERSATION_MAPPINGS = "Chatwoot Conversation Mapping"
FINAL = ("Processed", "Ignored")
CHUNK = 1000
CUSTOMER_PREFIX = f"Harness Customer {ACCOUNT}-"
STAMPED = ("creation", "modified", "owner", "modified_by")  # what Document.insert stamps a row with


class SiteUnderTest:
	def __init__(self, bench: Bench, site: str):
		self.bench, self.site = bench, site
		self.saved = None
		self.started: datetime | None = None

	def __enter__(self) -> "SiteUnderTest":
		frappe.init(site=self.site, sites_path=str(self.bench.sites))
		frappe.connect()
		frappe.set_user("Administrator")
		self.started = now_datetime()
		self.forget_chatwoot()
		return self

	def __exit__(self, *exc) -> None:
		frappe.db.rollback()
		self.restore()
		frappe.destroy()

	@property
	def conf(self):
		return frappe.conf

	def configure(self, **values) -> None:
		"""The settings for the run, over the site's own, which `restore` puts back."""
		from chat_bridge.settings import SETTINGS_DOCTYPE
		from chat_bridge.settings_cache import clear_flags_cache
		from chat_bridge.tests.utils import SavedSettings

		if self.saved is None:
			self.saved = SavedSettings.take()
		settings = frappe.get_single(SETTINGS_DOCTYPE)
		settings.update({"account_id": ACCOUNT, "last_sync_at": None, **values})
		settings.save(ignore_permissions=True)
		frappe.db.commit()
		clear_flags_cache()

	def restore(self) -> None:
		if self.saved is not None:
			self.saved.restore()
			self.saved = None

	def reconnect(self) -> bool:
		"""A fresh connection, once the database takes them again; whether it did."""
		try:
			frappe.db.close()
		except Exception:  # noqa: S110 -- the old connection died with the database
			pass
		try:
			frappe.connect()
			frappe.set_user("Administrator")
			frappe.db.sql("select 1")
		except Exception:
			return False
		return True

	def reconcile(self) -> dict:
		"""The scheduled reconciliation, run now; what it pulled."""
		from chat_bridge.pull.reconcile import reconcile

		summary = reconcile()
		frappe.db.commit()
		return dict(summary.counts) if summary else {}

	def sql(self, query: str, values=None) -> list:
		frappe.db.commit()  # ends this connection's snapshot: the next read sees what others wrote
		return frappe.db.sql(query, values)

	def event_statuses(self) -> dict[str, int]:
		return dict(
			self.sql(
				"select status, count(*) from `tabChatwoot Webhook Event` where account_id = %s group by status",
				(ACCOUNT,),
			)
		)

	def unfinished(self) -> int:
		"""The run's events still waiting for the worker or being worked on."""
		statuses = self.event_statuses()
		return statuses.get("Queued", 0) + statuses.get("Processing", 0)

	def processing_span(self) -> tuple[datetime | None, datetime | None, int]:
		"""When the first and last of the run's events were processed, and how many were."""
		[(first, last, count)] = self.sql(
			"""select min(processed_at), max(processed_at), count(*) from `tabChatwoot Webhook Event`
			where account_id = %s and status in ('Processed', 'Ignored')""",
			(ACCOUNT,),
		)
		return first, last, count

	def records(self) -> dict[str, int]:
		"""What the sync wrote for the run's account, and what it wrote twice."""
		frappe.db.commit()  # a fresh snapshot: the others' writes since
		prefix = f"CW-{ACCOUNT}-%"
		count = lambda query, *values: self.sql(query, values)[0][0]  # noqa: E731
		twice = """select count(*) from (select {column} from `tab{doctype}` where account_id = %s
			and {column} is not null group by {column} having count(*) > 1) twice"""
		return {
			"contacts": frappe.db.count(CONTACT_MAPPINGS, {"account_id": ACCOUNT}),
			"contacts twice": count(
				twice.format(column="chatwoot_contact_id", doctype=CONTACT_MAPPINGS), ACCOUNT
			),
			"contacts sharing a Contact": count(
				twice.format(column="contact", doctype=CONTACT_MAPPINGS), ACCOUNT
			),
			"conversations": frappe.db.count(CONVERSATION_MAPPINGS, {"account_id": ACCOUNT}),
			"conversations twice": count(
				twice.format(column="chatwoot_conversation_id", doctype=CONVERSATION_MAPPINGS), ACCOUNT
			),
			"messages": frappe.db.count("Communication", {"name": ("like", prefix)})
			+ frappe.db.count("Comment", {"name": ("like", prefix)}),
		}

	def pending_assignees(self) -> int:
		"""Conversations whose assignee Chatwoot could not be asked about yet."""
		frappe.db.commit()
		return frappe.db.count(CONVERSATION_MAPPINGS, {"account_id": ACCOUNT, "assignee_pending": 1})

	def message_ids(self) -> set[int]:
		"""The Chatwoot messages the run's account has in ERPNext, by their records' names."""
		prefix = f"CW-{ACCOUNT}-"
		names = self.sql(
			"""select name from `tabCommunication` where name like %(p)s
			union all select name from `tabComment` where name like %(p)s""",
			{"p": prefix + "%"},
		)
		return {int(name[len(prefix) :]) for (name,) in names}

	def link_customers(self) -> int:
		"""A Customer for each Contact the run mapped, linked as ERPNext links a Contact to its
		Customer, written in bulk; how many."""
		contacts = frappe.get_all(
			CONTACT_MAPPINGS, filters={"account_id": ACCOUNT, "contact": ("is", "set")}, pluck="contact"
		)
		now, user = now_datetime(), frappe.session.user
		stamp = (now, now, user, user)
		customers = [f"{CUSTOMER_PREFIX}{number:06d}" for number in range(len(contacts))]
		for chunk in slices(list(zip(customers, contacts, strict=True))):
			frappe.db.bulk_insert(
				"Customer",
				["name", "customer_name", "customer_type", *STAMPED],
				[(customer, customer, "Company", *stamp) for customer, _contact in chunk],
			)
			frappe.db.bulk_insert(
				"Dynamic Link",
				["name", "parent", "parenttype", "parentfield", "idx", "link_doctype", "link_name", *STAMPED],
				[
					(
						frappe.generate_hash(length=10),
						contact,
						"Contact",
						"links",
						1,
						"Customer",
						customer,
						*stamp,
					)
					for customer, contact in chunk
				],
			)
			frappe.db.commit()
		return len(customers)

	def forget_chatwoot(self) -> None:
		"""What the site remembers of the last run's mock (its agents, that it was away)."""
		from chat_bridge.records.agents import AGENTS_CACHE_KEY, UNAVAILABLE_KEY

		frappe.cache.delete_value(
			[key.format(account_id=ACCOUNT) for key in (AGENTS_CACHE_KEY, UNAVAILABLE_KEY)]
		)

	def clean_up(self) -> dict[str, int]:
		"""Delete what the run's account wrote, in slices; how many of each were removed."""
		frappe.db.rollback()
		self.forget_chatwoot()
		prefix = f"CW-{ACCOUNT}-%"
		removed = {}
		contacts = frappe.get_all(
			CONTACT_MAPPINGS,
			filters={"account_id": ACCOUNT, "contact": ("is", "set"), "creation": (">=", self.started)},
			pluck="contact",
		)
		removed["Contact"] = self._delete_contacts(contacts)
		mappings = frappe.get_all(CONVERSATION_MAPPINGS, filters={"account_id": ACCOUNT}, pluck="name")
		issues = frappe.get_all(
			CONVERSATION_MAPPINGS,
			filters={"account_id": ACCOUNT, "reference_doctype": "Issue"},
			pluck="reference_name",
		)
		for chunk in slices(issues):
			frappe.db.delete("Issue", {"name": ("in", chunk), "creation": (">=", self.started)})
		removed["Issue"] = len(issues)
		removed["ToDo"] = 0
		for chunk in slices(mappings):
			removed["ToDo"] += frappe.db.count(
				"ToDo", {"reference_type": CONVERSATION_MAPPINGS, "reference_name": ("in", chunk)}
			)
			frappe.db.delete(
				"ToDo", {"reference_type": CONVERSATION_MAPPINGS, "reference_name": ("in", chunk)}
			)
		removed["Communication"] = self._delete_named("Communication", prefix, "Communication Link")
		removed["Comment"] = self._delete_named("Comment", prefix)
		if frappe.db.table_exists("Customer"):
			removed["Customer"] = self._delete_named("Customer", CUSTOMER_PREFIX + "%")
		for doctype in (CONVERSATION_MAPPINGS, CONTACT_MAPPINGS, EVENTS):
			removed[doctype] = frappe.db.count(doctype, {"account_id": ACCOUNT})
			frappe.db.delete(doctype, {"account_id": ACCOUNT})
		frappe.db.commit()
		return {doctype: count for doctype, count in removed.items() if count}

	def _delete_contacts(self, names: list[str]) -> int:
		for chunk in slices(names):
			for child in ("Contact Email", "Contact Phone"):
				frappe.db.delete(child, {"parenttype": "Contact", "parent": ("in", chunk)})
			frappe.db.delete("Dynamic Link", {"parenttype": "Contact", "parent": ("in", chunk)})
			frappe.db.delete("Contact", {"name": ("in", chunk)})
			frappe.db.commit()
		return len(names)

	def _delete_named(self, doctype: str, pattern: str, child: str | None = None) -> int:
		total = 0
		while names := frappe.db.sql_list(
			f"select name from `tab{doctype}` where name like %s limit {CHUNK}",  # noqa: S608
			(pattern,),
		):
			if child:
				frappe.db.delete(child, {"parenttype": doctype, "parent": ("in", names)})
			frappe.db.delete(doctype, {"name": ("in", names)})
			frappe.db.commit()
			total += len(names)
		return total


def slices(items: list, size: int = CHUNK):
	for start in range(0, len(items), size):
		yield items[start : start + size]
