"""Figures the benchmarks share."""

import math
import time
from collections.abc import Callable


def percentile(values: list[float], fraction: float) -> float:
	"""The nearest-rank percentile (`fraction` of 1) of `values`; 0 when there are none."""
	if not values:
		return 0.0
	ordered = sorted(values)
	return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def interleaved_best(sides: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
	"""The best time of each side over `rounds` rounds, the sides taking turns within each round (and
	swapping who goes first every round), so that a slow spell of the machine falls on both."""
	best = dict.fromkeys(sides, math.inf)
	names = list(sides)
	for number in range(rounds):
		for name in names if number % 2 == 0 else reversed(names):
			started = time.perf_counter()
			sides[name]()
			best[name] = min(best[name], time.perf_counter() - started)
	return best


def ratio_line(label: str, ratio: float, goal: float | None = None) -> str:
	"""The line every benchmark prints for each of its ratios (the smoke run looks for it)."""
	verdict = f"  (goal <= {goal:g}: {'met' if ratio <= goal else 'NOT met'})" if goal is not None else ""
	return f"ratio {label}: {ratio:.2f}{verdict}"
