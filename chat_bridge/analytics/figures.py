"""Support figures from plain values: medians, rates, time distributions, agents' rows.

Times are seconds throughout; rates are percentages.
"""

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

MINUTE, HOUR, DAY = 60, 3600, 86400

# A conversation's times, from its mapping's moments (NULL while it has none): SQL expressions.
FIRST_RESPONSE = "greatest(0, timestampdiff(second, chatwoot_created_at, first_reply_at))"
RESOLUTION = "greatest(0, timestampdiff(second, chatwoot_created_at, resolved_at))"
# Unassigned, wherever it is counted: open with no Chatwoot agent assigned, as Chatwoot's own
# Unassigned tab counts (assignee_id nil). Whether the agent has an ERPNext user does not matter.
UNASSIGNED = "(status = 'open' and ifnull(chatwoot_assignee_id, 0) = 0)"

# (upper bound in seconds, or None for the rest; label). Labels are short: a half-width chart cuts longer ones.
FIRST_RESPONSE_BUCKETS = (
	(MINUTE, "< 1m"),
	(5 * MINUTE, "1-5m"),
	(15 * MINUTE, "5-15m"),
	(HOUR, "15-60m"),
	(4 * HOUR, "1-4h"),
	(DAY, "4-24h"),
	(None, "> 24h"),
)
RESOLUTION_BUCKETS = (
	(HOUR, "< 1h"),
	(4 * HOUR, "1-4h"),
	(DAY, "4-24h"),
	(3 * DAY, "1-3d"),
	(7 * DAY, "3-7d"),
	(None, "> 7d"),
)


def days(first: date, last: date) -> list[date]:
	return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def with_every(rows: list[dict], values: Iterable) -> list[dict]:
	"""`rows` (each counting the conversations of one `value`) with a row of none for each of
	`values` that has no row, in the order of `values`: a day or an hour nobody wrote in is a zero on
	the chart, not a gap that joins its neighbours."""
	present = {row["value"]: row for row in rows}
	return [
		present.get(value)
		or {"value": value, "conversations": 0, "resolved": 0, "first_response": None, "resolution": None}
		for value in values
	]


def bucket_of(seconds: float, buckets=FIRST_RESPONSE_BUCKETS) -> str:
	for bound, label in buckets:
		if bound is None or seconds < bound:
			return label
	raise ValueError("The buckets must end with an open one.")


def distribution(seconds: Iterable[float | None], buckets=FIRST_RESPONSE_BUCKETS) -> list[tuple[str, int]]:
	"""How many of the times fall in each bucket, every bucket listed, in order."""
	counts = dict.fromkeys((label for _bound, label in buckets), 0)
	for value in seconds:
		if value is not None:
			counts[bucket_of(value, buckets)] += 1
	return list(counts.items())


def median(values: Iterable[float | None]) -> float | None:
	present = [v for v in values if v is not None]
	return statistics.median(present) if present else None


def rate(part: int | None, whole: int | None) -> float | None:
	"""`part` as a percentage of `whole`, one decimal; None when there is no whole."""
	if not whole:
		return None
	return round(100.0 * (part or 0) / whole, 1)


def csat(ratings_count: Mapping | None) -> tuple[float | None, int]:
	"""The average rating (1 to 5) and how many responses, from Chatwoot's {rating: count}."""
	total = responses = 0
	for rating, count in (ratings_count or {}).items():
		try:
			total += int(rating) * int(count)
			responses += int(count)
		except (TypeError, ValueError):
			continue
	return (round(total / responses, 2) if responses else None), responses


@dataclass(frozen=True)
class AgentFigures:
	"""One agent's row of the performance report."""

	agent: str
	chatwoot_agent_id: int | None
	user: str | None
	assigned: int
	resolved: int
	first_response_seconds: float | None
	resolution_seconds: float | None
	messages_sent: int
	csat: float | None = None
	csat_responses: int = 0

	@property
	def resolution_rate(self) -> float | None:
		return rate(self.resolved, self.assigned)


def seconds(value) -> float | None:
	"""Chatwoot's averages come as numbers or numeric strings of seconds; nothing for none."""
	try:
		number = float(value)
	except (TypeError, ValueError):
		return None
	return number if number > 0 else None


def from_chatwoot(
	agent: Mapping, summary: Mapping, csat_metrics: Mapping | None, user: str | None
) -> AgentFigures:
	"""An agent's row from Chatwoot's reports summary (type agent) and CSAT metrics."""
	average, responses = csat((csat_metrics or {}).get("ratings_count"))
	return AgentFigures(
		agent=agent.get("available_name") or agent.get("name") or f"Agent {agent.get('id')}",
		chatwoot_agent_id=agent.get("id"),
		user=user,
		assigned=int(summary.get("conversations_count") or 0),
		resolved=int(summary.get("resolutions_count") or 0),
		first_response_seconds=seconds(summary.get("avg_first_response_time")),
		resolution_seconds=seconds(summary.get("avg_resolution_time")),
		messages_sent=int(summary.get("outgoing_messages_count") or 0),
		csat=average,
		csat_responses=responses,
	)
