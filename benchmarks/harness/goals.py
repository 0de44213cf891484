"""What a scenario measured against its goals, and the verdict line a run ends with."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Check:
	goal: str
	measured: str
	met: bool


@dataclass
class Scorecard:
	scenario: str
	checks: list[Check] = field(default_factory=list)
	notes: list[str] = field(default_factory=list)

	def check(self, goal: str, measured: str, met: bool) -> bool:
		self.checks.append(Check(goal, measured, bool(met)))
		return bool(met)

	def note(self, text: str) -> None:
		"""A figure worth printing that is not a goal of its own."""
		self.notes.append(text)

	@property
	def failed(self) -> int:
		return sum(not c.met for c in self.checks)

	def lines(self) -> list[str]:
		width = max((len(c.goal) for c in self.checks), default=0)
		out = [f"== {self.scenario}"]
		out += [f"   {text}" for text in self.notes]
		out += [
			f"   {'met   ' if c.met else 'MISSED'}  {c.goal:<{width}}  measured: {c.measured}"
			for c in self.checks
		]
		out.append(f"{len(self.checks) - self.failed} passed, {self.failed} failed")
		return out
