"""Support figures decided without Frappe: medians, rates, time distributions, agents' rows, a
conversation's timing, and the words around a search match."""

from datetime import date, datetime, timedelta, timezone

import pytest

from chat_bridge import arguments
from chat_bridge.analytics.figures import (
	FIRST_RESPONSE_BUCKETS,
	RESOLUTION_BUCKETS,
	AgentFigures,
	bucket_of,
	csat,
	days,
	distribution,
	from_chatwoot,
	median,
	rate,
	with_every,
)
from chat_bridge.chatwoot.events import ConversationView
from chat_bridge.chatwoot.presenters import match_snippet, says
from chat_bridge.sync.conversations import resolution_values, timing_values
from tests.conftest import webhook_payload

START = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
	"seconds, label",
	[
		(0, "< 1m"),
		(59, "< 1m"),
		(60, "1-5m"),
		(3599, "15-60m"),
		(90_000, "> 24h"),
	],
)
def test_first_response_buckets(seconds, label):
	assert bucket_of(seconds, FIRST_RESPONSE_BUCKETS) == label


def test_a_distribution_lists_every_bucket_in_order():
	spread = distribution([30, 45, 4000, None, 200_000], FIRST_RESPONSE_BUCKETS)
	assert [label for label, _ in spread] == [label for _, label in FIRST_RESPONSE_BUCKETS]
	assert dict(spread) == {
		"< 1m": 2,
		"1-5m": 0,
		"5-15m": 0,
		"15-60m": 0,
		"1-4h": 1,
		"4-24h": 0,
		"> 24h": 1,
	}
	assert sum(count for _, count in distribution([3600 * 5, 86400 * 8], RESOLUTION_BUCKETS)) == 2


def test_median_and_rate():
	assert median([None, 10, 30, 20]) == 20
	assert median([10, 20]) == 15
	assert median([None]) is None
	assert rate(1, 3) == 33.3
	assert rate(0, 0) is None


def test_csat_from_chatwoots_rating_counts():
	assert csat({"5": 3, "4": 1, "1": 1}) == (4.0, 5)
	assert csat({}) == (None, 0)
	assert csat({"five": 2, "3": 1}) == (3.0, 1)


def test_an_agents_row_from_chatwoot():
	row = from_chatwoot(
		{"id": 12, "available_name": "Sam", "name": "Samuel"},
		{
			"conversations_count": 4,
			"resolutions_count": 3,
			"avg_first_response_time": "120.5",
			"avg_resolution_time": 0,
			"outgoing_messages_count": 9,
		},
		{"ratings_count": {"5": 1, "3": 1}},
		"sam@erp.example",
	)
	assert row == AgentFigures("Sam", 12, "sam@erp.example", 4, 3, 120.5, None, 9, 4.0, 2)
	assert row.resolution_rate == 75.0


def conversation(**values) -> ConversationView:
	payload = webhook_payload("conversation_updated")
	return ConversationView.from_payload({**payload, **values})


def test_timing_of_a_conversation():
	view = conversation(
		created_at=int(START.timestamp()),
		first_reply_created_at=(START + timedelta(minutes=7)).isoformat(),
		waiting_since=0,
	)
	assert timing_values(view) == {
		"chatwoot_created_at": START,
		"first_reply_at": START + timedelta(minutes=7),
		"waiting_since": None,
	}
	waiting = conversation(
		created_at=int(START.timestamp()),
		first_reply_created_at=None,
		waiting_since=int(START.timestamp()) + 60,
	)
	assert timing_values(waiting)["first_reply_at"] is None
	assert timing_values(waiting)["waiting_since"] == START + timedelta(minutes=1)


def test_resolving_reopening_and_resolving_again():
	later = START + timedelta(hours=2)
	assert resolution_values("open", "resolved", later, 0) == {"resolved_at": later}
	assert resolution_values("resolved", "resolved", later, 0) == {}  # the same state again
	assert resolution_values("resolved", "open", later, 1) == {"resolved_at": None, "reopened_count": 2}
	assert resolution_values(None, "resolved", later, 0) == {"resolved_at": later}  # first seen resolved
	assert resolution_values("open", "pending", later, 0) == {}


def test_a_snippet_shows_the_words_around_the_match():
	text = "<p>" + "word " * 60 + "the <b>parcel</b> never came &amp; I waited" + " more" * 60 + "</p>"
	snippet = match_snippet(text, "PARCEL")
	assert "the parcel never came & I waited" in snippet
	assert snippet.startswith("…") and snippet.endswith("…")
	assert len(snippet) <= 162
	assert match_snippet("Short & <i>sweet</i>", "sweet") == "Short & sweet"


@pytest.mark.parametrize("value", ["", "a", " a ", "x" * 201, None, ["parcel"]])
def test_search_text_is_refused_outside_its_bounds(value):
	with pytest.raises(arguments.ArgumentError):
		arguments.search_text(value)


def test_search_text_squeezes_spaces():
	assert arguments.search_text("  where   is\tit ") == "where is it"


def test_a_message_says_a_term_literally_in_any_case():
	assert says("<p>Half: <b>50%</b> off</p>", "50% OFF")
	assert not says("<p>500 of them</p>", "50%")
	assert not says("snake_case", "snake case")


def test_every_day_and_hour_has_a_row_even_without_conversations():
	first = date(2026, 11, 29)
	counted = [{"value": date(2026, 11, 30), "conversations": 4, "resolved": 1}]
	rows = with_every(counted, days(first, date(2026, 12, 1)))
	assert [(row["value"].day, row["conversations"]) for row in rows] == [(29, 0), (30, 4), (1, 0)]
	assert rows[1] is counted[0]
	assert rows[0]["first_response"] is None
	assert [row["value"] for row in with_every([], range(24))] == list(range(24))
	assert days(first, first - timedelta(days=1)) == []
