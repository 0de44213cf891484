"""When a failed call to Chatwoot is tried again, and how long to wait first.

The one place that decides retries, so no caller loops on its own. Reads and other idempotent
calls are retried on connection failures and on the statuses that mean "try later" (429, 502, 503,
504). A call that creates something — a message above all — is retried only when the request
provably never left this machine; once Chatwoot may have seen it, a retry could post the customer
the same message twice, so the failure goes back to the caller instead.

Chatwoot's rate limiter (Rack::Attack, config/initializers/rack_attack.rb) counts in fixed
one-minute windows that begin on the minute, and its 429 carries no Retry-After: a background
call waits for the next window, where a retry a few seconds later would be refused again. When a
proxy in front of Chatwoot sends Retry-After, the hint is honoured up to `max_delay`.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chat_bridge.chatwoot.errors import (
	ChatwootConnectionError,
	ChatwootError,
	ChatwootHTTPError,
	RateLimitError,
)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
	max_attempts: int = 5
	base_delay: float = 0.5
	max_delay: float = 8.0
	# Longer than one read timeout (30 s): a call that timed out is still worth another try.
	max_total: float = 75.0
	retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
	# Seconds of Chatwoot's rate-limit window, waited out after a 429; None retries a 429 like
	# any other failure (for a person waiting, who is better told than kept a minute).
	rate_limit_window: float | None = 60.0
	jitter: Callable[[float, float], float] = field(default=random.uniform, repr=False, compare=False)
	clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

	def should_retry(self, error: ChatwootError, *, idempotent: bool) -> bool:
		"""Whether `error` is worth another attempt of a call that is (or is not) idempotent."""
		if isinstance(error, ChatwootConnectionError):
			return idempotent or not error.request_sent
		if isinstance(error, ChatwootHTTPError):
			return idempotent and error.status in self.retry_statuses
		return False

	def delay(self, attempt: int, error: ChatwootError) -> float:
		"""Seconds to wait before attempt number `attempt + 1`: exponential, with jitter."""
		if isinstance(error, RateLimitError) and error.retry_after is not None:
			return min(max(error.retry_after, 0.0), self.max_delay)
		if isinstance(error, RateLimitError) and self.rate_limit_window:
			# Into the next window, with a little more for clocks that differ and to keep
			# clients refused together from coming back together.
			window = self.rate_limit_window
			return window - self.clock() % window + self.jitter(0.5, 2.0)
		ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
		# Half fixed, half random: spreads out clients that failed together without ever
		# collapsing to an immediate retry.
		return ceiling / 2 + self.jitter(0, ceiling / 2)

	def next_delay(
		self, attempt: int, error: ChatwootError, *, idempotent: bool, elapsed: float
	) -> float | None:
		"""The wait before trying again after failed attempt `attempt`, or None to give up."""
		if attempt >= self.max_attempts or not self.should_retry(error, idempotent=idempotent):
			return None
		wait = self.delay(attempt, error)
		if elapsed + wait > self.max_total:
			return None
		return wait


NO_RETRY = RetryPolicy(max_attempts=1)
