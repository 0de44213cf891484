"""Progress of a long `bench` command on the terminal: a bar per kind of record, with counts and an
ETA, drawn by click; nothing at all when the output is not a terminal (a log, a pipe, cron)."""

import sys
from typing import TextIO

import click


class Progress:
	"""Bars for the kinds of record a command works through, opened when their total is known."""

	def __init__(self, stream: TextIO | None = None, shown: bool | None = None):
		self.stream = stream or sys.stdout
		self.shown = self.stream.isatty() if shown is None else shown
		self.bars: dict[str, click.progressbar] = {}
		self.extra: dict[str, str] = {}

	def total(self, kind: str, count: int) -> None:
		"""`count` records of `kind` are to come: open their bar (closing the one before)."""
		self.close()
		bar = click.progressbar(
			length=max(count, 0),
			label=f"{kind.capitalize()}s",
			show_pos=True,
			show_eta=True,
			file=self.stream,
			hidden=not self.shown,
			item_show_func=lambda _item, k=kind: self.extra.get(k),
		)
		bar.__enter__()
		self.bars[kind] = bar

	def advance(self, kind: str, count: int = 1) -> None:
		bar = self.bars.get(kind)
		if bar is not None:
			bar.update(count)

	def note(self, kind: str, text: str) -> None:
		"""A few words shown after the bar of `kind` (what else it brought along)."""
		self.extra[kind] = text

	def close(self) -> None:
		for bar in self.bars.values():
			bar.__exit__(None, None, None)
		self.bars.clear()
