"""At most so many requests a second to one Chatwoot, from this process.

Chatwoot throttles by client IP (3,000 a minute, all requests together) and answers 429 with no hint
of when to come back, so a backfill or a context push that runs flat out would be turned away and
retried. Every request of the clients waits its turn here instead: requests to one installation are
spaced at least 1/rate seconds apart, across all the clients and threads of the process. Workers on
several processes each keep their own pace.
"""

import threading
import time
from collections.abc import Callable

DEFAULT_RATE = 50.0  # requests a second to one Chatwoot


class RateLimiter:
	def __init__(
		self,
		rate: float = DEFAULT_RATE,
		*,
		clock: Callable[[], float] = time.monotonic,
		sleep: Callable[[float], None] = time.sleep,
	):
		if rate <= 0:
			raise ValueError("A rate limit must be a positive number of requests a second.")
		self.interval = 1.0 / rate
		self._clock, self._sleep = clock, sleep
		self._next = float("-inf")
		self._lock = threading.Lock()

	def wait(self) -> float:
		"""Block until the next request may go; the seconds waited."""
		with self._lock:
			now = self._clock()
			start = max(now, self._next)
			self._next = start + self.interval
		delay = start - now
		if delay > 0:
			self._sleep(delay)
		return delay


_limiters: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(base_url: str, rate: float = DEFAULT_RATE) -> RateLimiter:
	"""The process's one limiter for the Chatwoot at `base_url`."""
	with _registry_lock:
		if base_url not in _limiters:
			_limiters[base_url] = RateLimiter(rate)
		return _limiters[base_url]
