"""Pages read ahead on a thread of their own."""

import threading
import time

import pytest

from chat_bridge.chatwoot.prefetch import prefetched


def test_every_item_comes_in_order():
	assert list(prefetched(range(50), ahead=3)) == list(range(50))


def test_the_producer_runs_ahead_of_a_slow_consumer_but_no_further():
	made = []

	def pages():
		for number in range(10):
			made.append(number)
			yield number

	items = prefetched(pages(), ahead=2)
	assert next(items) == 0
	time.sleep(0.3)
	assert len(made) <= 1 + 2 + 1  # the one taken, the buffer, the one waiting to go in
	assert list(items) == list(range(1, 10))


def test_an_error_reaches_the_consumer_where_the_item_would_have_been():
	def pages():
		yield 1
		raise ConnectionError("Chatwoot went away")

	items = prefetched(pages())
	assert next(items) == 1
	with pytest.raises(ConnectionError, match="went away"):
		next(items)


def test_a_consumer_that_stops_early_stops_the_producer():
	stopped = threading.Event()

	def pages():
		try:
			yield from range(1_000_000)
		finally:
			stopped.set()

	for item in prefetched(pages(), ahead=2):
		if item == 3:
			break
	assert stopped.wait(2)
