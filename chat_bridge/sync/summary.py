"""What a pull from Chatwoot (a backfill, a reconciliation) did, counted, and said in a line."""

import dataclasses
from collections import Counter


@dataclasses.dataclass
class PullSummary:
	counts: Counter = dataclasses.field(default_factory=Counter)  # "<kind> <action>" → how many
	failures: list[str] = dataclasses.field(default_factory=list)
	seconds: dict[str, float] = dataclasses.field(default_factory=dict)  # kind → time its pull took

	def add(self, kind: str, action: str) -> None:
		self.counts[f"{kind} {action}"] += 1

	def of_kind(self, kind: str) -> int:
		"""How many records of `kind` were pulled, whatever happened to them."""
		return sum(count for key, count in self.counts.items() if key.split(" ", 1)[0] == kind)

	def __str__(self) -> str:
		parts = []
		for key, count in sorted(self.counts.items()):
			kind, action = key.split(" ", 1)
			parts.append(f"{counted(count, kind)} {action}")
		if self.failures:
			parts.append(f"{len(self.failures)} failed")
		return ", ".join(parts) or "nothing to do"


def counted(count: int, noun: str) -> str:
	"""`1 message`, `3 messages`: for the nouns of Chatwoot's records, which all take an s."""
	return f"{count} {noun}{'' if count == 1 else 's'}"
