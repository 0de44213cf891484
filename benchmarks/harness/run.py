"""One scenario's run: the mock, the site served as in production, and putting everything back.

The site is served by gunicorn (as many workers as a production bench gives two cores), one
`bench worker` on every queue and `bench schedule`, all started here; the bench's own processes
must be stopped first (`bench start`, supervisor), or they would share the work being measured.
"""

import os
import pty
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import requests

from benchmarks.harness.mock import ADMIN_TOKEN, MockProcess
from benchmarks.harness.processes import (
	Bench,
	HarnessError,
	Started,
	free_port,
	require_loopback,
	wait_until,
)
from benchmarks.harness.site import ACCOUNT, SiteUnderTest
from chat_bridge.tests.utils import ALL_FLAGS_ON

WEBHOOK_PATH = "/api/method/chat_bridge.webhook.handle"
GUNICORN_WORKERS = 5  # what `bench setup production` gives two cores: 2 * cores + 1


def processes_of(bench: Bench) -> list[str]:
	"""The bench's web servers, workers and schedulers already running (their command lines)."""
	found = []
	for proc in Path("/proc").iterdir():
		if not proc.name.isdigit():
			continue
		try:
			argv = (proc / "cmdline").read_bytes().split(b"\0")
			cwd = (proc / "cwd").resolve()
		except OSError:
			continue
		line = " ".join(part.decode(errors="replace") for part in argv if part)
		serving = "frappe.app:application" in line or " frappe serve" in line
		working = "bench_helper frappe worker" in line or "bench_helper frappe schedule" in line
		if (serving or working) and cwd == bench.sites:
			found.append(f"{proc.name}: {line[:120]}")
	return found


class Run:
	def __init__(self, bench_path: Path, site: str):
		self.log_dir = Path(tempfile.mkdtemp(prefix="chat-bridge-harness-"))
		self.bench = Bench(bench_path, self.log_dir)
		self.site_name = site
		self.stack = ExitStack()
		self.mock: MockProcess | None = None
		self.web: Started | None = None
		self.worker: Started | None = None
		self.scheduler: Started | None = None
		self.commands: list[Started] = []  # the `bench … chatwoot …` commands a scenario ran
		self.port = free_port()
		self.left: list[str] = []

	def __enter__(self) -> "Run":
		require_loopback(self.site_name)
		running = processes_of(self.bench)
		if running:
			raise HarnessError(
				"The bench is running its own web server, workers or scheduler; stop them (bench start, "
				"supervisor) so that only what the harness starts does the work:\n  " + "\n  ".join(running)
			)
		self.site = SiteUnderTest(self.bench, self.site_name).__enter__()
		self.stack.callback(self._finish)
		print(f"Logs of the processes started: {self.log_dir}")
		return self

	def __exit__(self, *exc) -> None:
		self.stack.close()

	def _finish(self) -> None:
		for process in (*self.commands, self.scheduler, self.worker, self.web):
			if process and not process.stop():
				self.left.append(f"{process.name} (pid {process.pid}) would not stop")
		if self.mock:
			self.mock.__exit__(None, None, None)
		removed = self.site.clean_up()
		self.site.__exit__(None, None, None)
		print(f"Cleaned up: {', '.join(f'{n} {d}' for d, n in removed.items()) or 'nothing to remove'}")
		for what in self.left:
			print(f"Left behind: {what}")

	@property
	def site_url(self) -> str:
		return f"http://{self.site_name}:{self.port}"

	def start_mock(self, contacts: int = 0, conversations: int = 0) -> MockProcess:
		self.mock = MockProcess(self.log_dir, ACCOUNT, contacts, conversations).__enter__()
		return self.mock

	def serve(self, **settings) -> None:
		"""Point the site at the mock (its webhook and API), and start web, worker and scheduler."""
		secret = self.mock.register_webhook(self.site_url + WEBHOOK_PATH)
		self.site.configure(
			**ALL_FLAGS_ON,
			chatwoot_url=self.mock.url,
			api_access_token=ADMIN_TOKEN,
			webhook_secret=secret,
			**settings,
		)
		self.web = self.bench.gunicorn(self.port, GUNICORN_WORKERS).start()
		wait_until(self._site_answers, timeout=60, what="the site to answer")
		self.warm_up()
		self.start_worker()
		self.scheduler = self.bench.scheduler().start()

	def _site_answers(self) -> bool:
		if not self.web.alive():
			raise HarnessError(f"gunicorn stopped; see {self.web.log_path}.")
		try:
			return requests.get(f"{self.site_url}/api/method/ping", timeout=2).ok
		except requests.RequestException:
			return False

	def warm_up(self) -> None:
		"""A served site has answered before: each gunicorn worker imports the app's modules on its
		first requests, which is not what a burst meets in production."""
		with ThreadPoolExecutor(GUNICORN_WORKERS * 2) as pool:
			list(pool.map(lambda _: requests.get(self.site_url + WEBHOOK_PATH, timeout=30), range(100)))

	def cpu_report(self) -> str:
		"""Where the machine's CPU time went, by process started."""
		parts = [
			f"{process.name} {process.cpu_seconds():.0f} s"
			for process in (self.web, self.worker, self.scheduler, self.mock and self.mock.process)
			if process and process.alive()
		]
		return "CPU used: " + ", ".join(parts)

	def start_worker(self) -> Started:
		self.worker = self.bench.worker(f"worker-{int(time.time())}").start()
		return self.worker

	def wait_drained(self, timeout: float, settle: float = 0.0) -> float:
		"""Seconds until none of the run's events is left Queued or Processing."""
		started = time.monotonic()
		wait_until(lambda: self.site.unfinished() == 0, timeout=timeout, interval=1, what="the log to drain")
		time.sleep(settle)
		return time.monotonic() - started

	def shell(self, command: str) -> None:
		"""An operator's command (the database's stop or start)."""
		print(f"$ {command}")
		subprocess.run(command, shell=True, check=True, timeout=120)  # noqa: S602 -- given by the operator


class CommandRun:
	"""A `bench --site … chatwoot …` command the harness runs, on a terminal of its own or not, with
	its memory sampled while it runs."""

	def __init__(self, run: Run, *args: str, terminal: bool = False):
		self.output_path = run.log_dir / f"command-{int(time.time() * 1000)}.log"
		self.started = run.bench.frappe_command("command", "--site", run.site_name, *args)
		run.commands.append(self.started)
		self.terminal = terminal
		self.rss: list[int] = []
		self._reader: threading.Thread | None = None

	def start(self) -> "CommandRun":
		if self.terminal:
			primary, secondary = pty.openpty()
			self.started.process = subprocess.Popen(
				self.started.argv,
				cwd=self.started.cwd,
				env=self.started.env,
				stdout=secondary,
				stderr=secondary,
				stdin=subprocess.DEVNULL,
				start_new_session=True,
			)
			os.close(secondary)
			self._reader = threading.Thread(target=self._copy, args=(primary,), daemon=True)
			self._reader.start()
		else:
			self.started.log_path = self.output_path
			self.started.start()
		return self

	def _copy(self, primary: int) -> None:
		with open(self.output_path, "wb") as out:
			while True:
				try:
					chunk = os.read(primary, 65536)
				except OSError:  # the terminal closed with the command
					break
				if not chunk:
					break
				out.write(chunk)
		os.close(primary)

	def sample_memory(self) -> None:
		try:
			status = Path(f"/proc/{self.started.pid}/status").read_text()
		except OSError:
			return
		for line in status.splitlines():
			if line.startswith("VmRSS:"):
				self.rss.append(int(line.split()[1]) * 1024)

	def wait(self, timeout: float, every: float = 0.5) -> int:
		"""Its exit status, sampling its memory meanwhile."""
		deadline = time.monotonic() + timeout
		while self.started.alive():
			if time.monotonic() > deadline:
				self.started.stop()
				raise HarnessError(f"The command ran past {timeout:.0f} s; see {self.output_path}.")
			self.sample_memory()
			time.sleep(every)
		if self._reader:
			self._reader.join(timeout=10)
		return self.started.process.returncode

	def interrupt(self) -> None:
		"""Ctrl-C, as a person at the terminal would press it."""
		self.started.signal_group(signal.SIGINT)

	@property
	def output(self) -> str:
		return self.output_path.read_text(errors="replace") if self.output_path.exists() else ""
