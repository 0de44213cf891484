"""The processes a scenario starts: the site served by gunicorn, a worker, the scheduler, the mock.

Each runs in a process group of its own, so that stopping it (or killing it, as a scenario may)
takes its children too: the work horse a worker forks for a job, gunicorn's workers. The harness
stops only what it started, in the reverse order, and says so when something would not stop.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path


class HarnessError(Exception):
	"""The run cannot start or go on as asked; the message says why and what to do."""


def free_port() -> int:
	with socket.socket() as probe:
		probe.bind(("127.0.0.1", 0))
		return probe.getsockname()[1]


def require_loopback(host: str) -> None:
	"""Refuse to send traffic anywhere but this machine."""
	try:
		address = socket.gethostbyname(host)
	except OSError:
		raise HarnessError(f"{host} does not resolve: add it to /etc/hosts as 127.0.0.1.") from None
	if not address.startswith("127."):
		raise HarnessError(
			f"{host} resolves to {address}, not loopback: the harness sends traffic only there."
		)


def wait_until(condition, timeout: float, interval: float = 0.5, what: str = "the condition"):
	"""Poll `condition` until it returns something truthy, at most `timeout` seconds."""
	deadline = time.monotonic() + timeout
	while True:
		value = condition()
		if value:
			return value
		if time.monotonic() > deadline:
			raise HarnessError(f"Gave up after {timeout:.0f} s waiting for {what}.")
		time.sleep(interval)


class Started:
	"""One process the harness started, its output in a log file."""

	def __init__(self, name: str, argv: list[str], cwd: Path, log_dir: Path, env: dict | None = None):
		self.name, self.argv, self.cwd = name, argv, cwd
		self.log_path = log_dir / f"{name}.log"
		self.env = env
		self.process: subprocess.Popen | None = None

	def start(self) -> "Started":
		log = open(self.log_path, "ab")  # the child writes to it until it stops
		self.process = subprocess.Popen(
			self.argv,
			cwd=self.cwd,
			env=self.env,
			stdout=log,
			stderr=subprocess.STDOUT,
			stdin=subprocess.DEVNULL,
			start_new_session=True,
		)
		log.close()
		return self

	@property
	def pid(self) -> int:
		return self.process.pid

	def alive(self) -> bool:
		return self.process is not None and self.process.poll() is None

	def signal_group(self, number: int) -> None:
		try:
			os.killpg(self.process.pid, number)
		except ProcessLookupError:
			pass

	def cpu_seconds(self) -> float:
		"""CPU time used so far by the process and everything in its group (its workers, its horses)."""
		ticks = os.sysconf("SC_CLK_TCK")
		total = 0
		for proc in Path("/proc").iterdir():
			if not proc.name.isdigit():
				continue
			try:
				fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
			except OSError:
				continue
			if int(fields[2]) == self.process.pid:  # its process group
				total += int(fields[11]) + int(fields[12])  # utime, stime
		return total / ticks

	def kill(self) -> None:
		"""SIGKILL the process and everything it started, as a crash would."""
		self.signal_group(signal.SIGKILL)
		self.process.wait(timeout=10)

	def stop(self, grace: float = 15.0) -> bool:
		"""SIGTERM, then SIGKILL after `grace` seconds; whether it stopped."""
		if self.process is None:
			return True
		if self.alive():
			self.signal_group(signal.SIGTERM)
			try:
				self.process.wait(timeout=grace)
			except subprocess.TimeoutExpired:
				self.signal_group(signal.SIGKILL)
				try:
					self.process.wait(timeout=5)
				except subprocess.TimeoutExpired:
					return False
		self.signal_group(signal.SIGKILL)  # what the group left behind
		return True


class Bench:
	"""A bench's commands, run as production runs them (no DEV_SERVER)."""

	def __init__(self, path: Path, log_dir: Path):
		self.path = path.resolve()
		self.sites = self.path / "sites"
		self.python = self.path / "env" / "bin" / "python"
		self.log_dir = log_dir
		self.env = {k: v for k, v in os.environ.items() if k != "DEV_SERVER"}
		if not (self.sites.is_dir() and self.python.exists()):
			raise HarnessError(f"{self.path} is not a bench (no sites/ or env/bin/python).")

	def frappe_command(self, name: str, *args: str) -> Started:
		argv = [str(self.python), "-m", "frappe.utils.bench_helper", "frappe", *args]
		return Started(name, argv, self.sites, self.log_dir, self.env)

	def gunicorn(self, port: int, workers: int) -> Started:
		"""The web server as a production bench's supervisor config starts it."""
		argv = [
			str(self.path / "env" / "bin" / "gunicorn"),
			"--bind",
			f"127.0.0.1:{port}",
			"--workers",
			str(workers),
			"--timeout",
			"120",
			"--graceful-timeout",
			"30",
			"--preload",
			"frappe.app:application",
		]
		return Started("web", argv, self.sites, self.log_dir, self.env)

	def worker(self, name: str = "worker") -> Started:
		return self.frappe_command(name, "worker", "--queue", "short,default,long")

	def scheduler(self) -> Started:
		return self.frappe_command("scheduler", "schedule")
