"""Progress bars of long commands: drawn on a terminal, silent elsewhere."""

import io

from chat_bridge.progress import Progress


class Terminal(io.StringIO):
	def isatty(self) -> bool:
		return True


def test_a_terminal_sees_a_bar_with_counts_per_kind():
	screen = Terminal()
	progress = Progress(screen)
	progress.total("contact", 10)
	progress.advance("contact", 3)
	progress.total("conversation", 4)
	progress.note("conversation", "7 messages")
	progress.advance("conversation", 4)
	progress.close()
	drawn = screen.getvalue()
	assert "Contacts" in drawn and "3/10" in drawn
	assert "Conversations" in drawn and "4/4" in drawn and "7 messages" in drawn


def test_a_log_or_pipe_gets_nothing():
	log = io.StringIO()
	progress = Progress(log)
	progress.total("contact", 10)
	progress.advance("contact", 10)
	progress.close()
	assert log.getvalue() == ""
