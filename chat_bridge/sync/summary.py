"""What a pull from Chatwoot (a backfill, a reconciliation) did, counted, and said in a line."""

import dataclasses
from collections import Counter

from chat_bridge.i18n import _


@dataclasses.dataclass
class PullSummary:
	counts: Counter = dataclasses.field(default_factory=Counter)  # "<kind> <action>" → how many
	failures: list[str] = dataclasses.field(default_factory=list)
	seconds: dict[str, float] = dataclasses.field(default_factory=dict)  # kind → time its pull took
	# Of the messages old enough to have been delivered: how many the webhook had brought, and how
	# many only this pull wrote (chat_bridge.sync.deliveries).
	delivered: int = 0
	missed: int = 0

	def count_delivery(self, *, missed: bool) -> None:
		if missed:
			self.missed += 1
		else:
			self.delivered += 1

	def add(self, kind: str, action: str) -> None:
		self.counts[f"{kind} {action}"] += 1

	def of_kind(self, kind: str) -> int:
		"""How many records of `kind` were pulled, whatever happened to them."""
		return sum(count for key, count in self.counts.items() if key.split(" ", 1)[0] == kind)

	def __str__(self) -> str:
		parts = [done(count, *key.split(" ", 1)) for key, count in sorted(self.counts.items())]
		if self.failures:
			parts.append(_("{0} failed").format(len(self.failures)))
		return ", ".join(parts) or _("nothing to do")


def counted(count: int, noun: str) -> str:
	"""`1 message`, `3 messages`, in the reader's language: each whole, for languages whose plurals
	are not an added s."""
	one, many = {
		"contact": (_("1 contact"), _("{0} contacts")),
		"conversation": (_("1 conversation"), _("{0} conversations")),
		"message": (_("1 message"), _("{0} messages")),
		"background worker": (_("1 background worker"), _("{0} background workers")),
	}[noun]
	return one if count == 1 else many.format(count)


def done(count: int, kind: str, action: str) -> str:
	"""`3 messages created`: a count, its kind and what happened to them, as one phrase (the words
	agree with each other in other languages)."""
	phrases = {
		("contact", "created"): (_("1 contact created"), _("{0} contacts created")),
		("contact", "updated"): (_("1 contact updated"), _("{0} contacts updated")),
		("contact", "unchanged"): (_("1 contact unchanged"), _("{0} contacts unchanged")),
		("contact", "skipped"): (_("1 contact skipped"), _("{0} contacts skipped")),
		("conversation", "created"): (_("1 conversation created"), _("{0} conversations created")),
		("conversation", "updated"): (_("1 conversation updated"), _("{0} conversations updated")),
		("conversation", "unchanged"): (_("1 conversation unchanged"), _("{0} conversations unchanged")),
		("conversation", "skipped"): (_("1 conversation skipped"), _("{0} conversations skipped")),
		("message", "created"): (_("1 message created"), _("{0} messages created")),
		("message", "updated"): (_("1 message updated"), _("{0} messages updated")),
		("message", "unchanged"): (_("1 message unchanged"), _("{0} messages unchanged")),
		("message", "skipped"): (_("1 message skipped"), _("{0} messages skipped")),
	}
	one, many = phrases[(kind, action)]
	return one if count == 1 else many.format(count)
