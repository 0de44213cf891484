"""Reading the next pages of a Chatwoot list while the current one is being written.

A backfill spends its time two ways: waiting for Chatwoot's pages (paced by the rate limiter) and
writing them into ERPNext. One after the other, each waits for the other; with the requests made
from a thread of their own, a few pages ahead, the writing happens inside the wait.
"""

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Failed:
	def __init__(self, error: BaseException):
		self.error = error


def prefetched(items: Iterable[T], ahead: int = 4) -> Iterator[T]:
	"""`items`, produced on a thread of their own at most `ahead` in advance of the consumer.

	An error in producing them is raised to the consumer where the item would have been; a consumer
	that stops early (or is interrupted) stops the producer after the item it is making.
	"""
	buffer: queue.Queue = queue.Queue(maxsize=max(1, ahead))
	stop = threading.Event()

	def hand_over(item) -> bool:
		"""Into the buffer, unless the consumer has stopped; whether it went in."""
		while not stop.is_set():
			try:
				buffer.put(item, timeout=0.1)
				return True
			except queue.Full:
				continue
		return False

	def produce() -> None:
		try:
			for item in items:
				if not hand_over(item):
					return
			hand_over(_DONE)
		except BaseException as error:  # handed to the consumer, which decides
			hand_over(_Failed(error))

	producer = threading.Thread(target=produce, name="chatwoot-prefetch", daemon=True)
	producer.start()
	try:
		while True:
			item = buffer.get()
			if item is _DONE:
				return
			if isinstance(item, _Failed):
				raise item.error
			yield item
	finally:
		stop.set()
		producer.join(timeout=60)
