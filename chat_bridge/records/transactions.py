"""Running a unit of sync work as one transaction, again when a concurrent job beat it to a record."""

from collections.abc import Callable
from typing import TypeVar

import frappe

T = TypeVar("T")

# What a job sees when another one inserted the same record a moment earlier, or they deadlocked.
CONFLICTS = (
	frappe.DuplicateEntryError,
	frappe.UniqueValidationError,
	frappe.QueryDeadlockError,
	frappe.QueryTimeoutError,
)
CONFLICT_ATTEMPTS = 5


def with_conflict_retries(work: Callable[[], T], attempts: int = CONFLICT_ATTEMPTS) -> T:
	"""Run `work`; on a conflict, roll back and run it again, now that the other job has committed.

	The second run finds the record the first one created and updates it instead, so a race never
	leaves two copies and never loses the later write.
	"""
	for attempt in range(1, attempts + 1):
		try:
			return work()
		except CONFLICTS:
			frappe.db.rollback()
			if attempt == attempts:
				raise
	raise AssertionError("unreachable")
