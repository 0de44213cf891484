"""At most so many requests a second to one Chatwoot, from this process.

Chatwoot throttles by client IP (3,000 a minute, all requests together) and answers 429 with no hint
of when to come back, so a backfill or a context push that runs flat out would be turned away and
retried. Every request of the clients waits its turn here instead: requests to one installation are
spaced at least 1/rate seconds apart, and no second, counted from any moment, holds more than `rate`
of them (with a little to spare, for the network's jitter on the way), across all the clients and
threads of the process. Across processes (a worker's reconciliation beside a backfill run from the
command line), a limiter also asks a `shared` store for its slot before each request.
"""

import math
import threading
import time
from collections import deque
from collections.abc import Callable

DEFAULT_RATE = 50.0  # requests a second to one Chatwoot
SPARE = 0.01  # seconds: a full second's worth waits this much longer than one second


class RateLimiter:
	def __init__(
		self,
		rate: float = DEFAULT_RATE,
		*,
		clock: Callable[[], float] = time.monotonic,
		sleep: Callable[[float], None] = time.sleep,
		shared: Callable[[], float] | None = None,
	):
		"""`shared()` takes a slot among every process's requests to the same Chatwoot, or says how
		many seconds to wait before asking again. A rate of `math.inf` keeps no pace (a benchmark
		measuring the client's own cost, a test)."""
		if not rate > 0:
			raise ValueError("A rate limit must be a positive number of requests a second.")
		self.interval = 1.0 / rate
		self._clock, self._sleep = clock, sleep
		self._next = float("-inf")
		# When the last `rate` requests went (none are counted without a limit).
		self._recent: deque[float] = deque(maxlen=max(1, int(rate)) if math.isfinite(rate) else 0)
		self._lock = threading.Lock()
		self.shared = shared

	def wait(self) -> float:
		"""Block until the next request may go; the seconds waited."""
		with self._lock:
			now = self._clock()
			start = max(now, self._next)
			if self._recent.maxlen and len(self._recent) == self._recent.maxlen:
				start = max(start, self._recent[0] + 1.0 + SPARE)
			self._next = start + self.interval
			self._recent.append(start)
		if start > now:
			self._sleep(start - now)
		while self.shared and (more := self.shared()) > 0:
			self._sleep(more)
		went = self._clock()
		if went > start:
			# Woken late (a busy process): the pace counts from when the request really went.
			with self._lock:
				self._next = max(self._next, went + self.interval)
				if start in self._recent:
					self._recent[self._recent.index(start)] = went
		return went - now


_limiters: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(base_url: str, rate: float = DEFAULT_RATE) -> RateLimiter:
	"""The process's one limiter for the Chatwoot at `base_url`."""
	with _registry_lock:
		if base_url not in _limiters:
			_limiters[base_url] = RateLimiter(rate)
		return _limiters[base_url]
