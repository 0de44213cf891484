"""Run every benchmark at its small size, to see that each still runs and prints its ratio.

	python -m benchmarks --smoke                                        # the Frappe-free ones (CI)
	python -m benchmarks --smoke --site erp.localhost --url http://127.0.0.1:8000 --secret …

The figures a smoke run prints mean nothing: each benchmark measures at its full size when run
by itself. A benchmark that needs a site runs only when one is given (from the bench's sites
folder, with the bench's Python); one that needs the site as served also needs its URL and, for
the webhook, the site's Webhook Secret. bench_document_sends needs ERPNext on the site and is run by
itself.
"""

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass

RATIO_LINE = "ratio "


@dataclass(frozen=True)
class Benchmark:
	module: str
	needs: tuple[str, ...] = ()  # site, url, secret

	def arguments(self, given: dict) -> list[str] | None:
		"""The command-line arguments of its smoke run, or None when something it needs was not given."""
		if any(not given.get(need) for need in self.needs):
			return None
		args = ["--smoke"]
		if self.module == "bench_webhook_endpoint":
			return [given["url"], "--host", given["site"], "--secret", given["secret"], *args]
		for need in self.needs:
			args += [f"--{need}", given[need]]
		return args


BENCHMARKS = (
	Benchmark("bench_intake"),
	Benchmark("bench_client_paging"),
	Benchmark("bench_reports", ("site",)),
	Benchmark("bench_sync_throughput", ("site",)),
	Benchmark("bench_customer_card", ("site", "url")),
	Benchmark("bench_webhook_endpoint", ("site", "url", "secret")),
)


def run(benchmark: Benchmark, args: list[str]) -> tuple[bool, str]:
	started = time.monotonic()
	done = subprocess.run(
		[sys.executable, "-m", f"benchmarks.{benchmark.module}", *args],
		capture_output=True,
		text=True,
		timeout=900,
		check=False,
	)
	ratios = [line for line in done.stdout.splitlines() if line.startswith(RATIO_LINE)]
	seconds = time.monotonic() - started
	if done.returncode != 0 or not ratios:
		why = f"exit {done.returncode}" if done.returncode else "no ratio line"
		return False, f"FAIL {benchmark.module} ({why}, {seconds:.0f} s)\n{done.stdout}{done.stderr}"
	return True, f"ok   {benchmark.module} ({seconds:.0f} s): {'; '.join(ratios)}"


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--smoke", action="store_true", required=True, help="small sizes (the only mode)")
	parser.add_argument("--site")
	parser.add_argument("--url")
	parser.add_argument("--secret")
	given = vars(parser.parse_args(argv))
	failed = 0
	for benchmark in BENCHMARKS:
		args = benchmark.arguments(given)
		if args is None:
			print(f"skip {benchmark.module} (needs --{' --'.join(benchmark.needs)})")
			continue
		ok, line = run(benchmark, args)
		failed += not ok
		print(line)
	return 1 if failed else 0


if __name__ == "__main__":
	sys.exit(main())
