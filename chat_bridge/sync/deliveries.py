"""Deliveries that never came: messages the reconciliation finds that Chatwoot's webhook should
have brought.

Chatwoot posts each delivery once, with no retry, and a refused or failed one is written only to
its own log (lib/webhooks/trigger.rb:26-37); since 4.14 it drops every delivery to a private
address unless told otherwise. Nothing on either side shows it, except that the reconciliation
then writes messages that should have been there already. Those are counted, so that `doctor`,
`status` and the workspace can say that deliveries are being lost, and since when.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

# A delivery normally arrives within seconds of the message; one younger than this may still
# be on its way when the reconciliation writes it.
GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class Tally:
	"""Messages only the reconciliation brought, in the current run of misses, and since when."""

	missed: int = 0
	since: datetime | None = None

	def after_run(self, missed: int, delivered: int, now: datetime) -> "Tally":
		"""The tally once a reconciliation run found `missed` messages the webhook had not brought
		and `delivered` that it had. A run that found only delivered ones ends the run of misses; a
		run that saw no old enough message at all proves nothing and leaves the tally."""
		if missed:
			return Tally(self.missed + missed, self.since or now)
		if delivered:
			return Tally()
		return self


def was_due(created_at: datetime | None, run_started: datetime) -> bool:
	"""Whether a message is old enough that its delivery should have arrived before the run."""
	return created_at is not None and created_at < run_started - GRACE
