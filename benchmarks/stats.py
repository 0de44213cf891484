"""Figures the benchmarks share."""

import math


def percentile(values: list[float], fraction: float) -> float:
	"""The nearest-rank percentile (`fraction` of 1) of `values`; 0 when there are none."""
	if not values:
		return 0.0
	ordered = sorted(values)
	return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]
