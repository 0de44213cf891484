"""The app's layer map (ARCHITECTURE.md) as data, and the checks that keep the code on it.

Everything here reads source files; nothing is imported, so the Frappe-bound modules are checked
as well as the Frappe-free ones. Each check returns its problems as sentences, empty when all is
well.
"""

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.static_checks import APP_PACKAGE, REPO_ROOT, resolve_dotted_path

ARCHITECTURE = REPO_ROOT / "ARCHITECTURE.md"
_ROW = re.compile(r"^\|\s*(\d+)\s*\|[^|]*\|([^|]*)\|")
_NAMES = re.compile(r"`([A-Za-z_][\w.]*)`")
_FRAPPE_FREE = re.compile(r"Frappe-free modules on higher floors[^:]*:(.*?)(?:\n\n|$)", re.S)
# Dotted paths named in strings: Frappe resolves these at run time, so a moved module breaks them
# silently. In scripts, `chat_bridge.x` outside a string is the desk's own namespace, not a path.
_DOTTED = re.compile(r"(?<![\w.-])chat_bridge(?:\.[A-Za-z_]\w*)+")
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\]|\\.)*`')
_WHOLE_PATH = re.compile(r"^(?:/api/method/)?chat_bridge(?:\.[A-Za-z_]\w*)+$")
_FILE_SUFFIXES = {"js", "css", "py", "json", "md", "html", "csv", "txt"}
# Files that name broken paths on purpose, to test the checks that find them.
NAMING_BROKEN_PATHS_ON_PURPOSE = {
	"tests/static_checks.py",
	"tests/test_static_checks.py",
	"tests/layers.py",
	"tests/test_translations.py",
}


@dataclass(frozen=True)
class LayerMap:
	floors: dict[str, int]  # a module or package path under the app ("webhook", "card.api") → its floor
	frappe_free_floors: int  # floors below this are Frappe-free
	frappe_free_modules: frozenset[str]

	@classmethod
	def read(cls, text: str) -> "LayerMap":
		floors = {}
		for line in text.splitlines():
			row = _ROW.match(line)
			if row:
				for name in _NAMES.findall(row.group(2)):
					floors[name] = int(row.group(1))
		listed = _FRAPPE_FREE.search(text)
		modules = frozenset(_NAMES.findall(listed.group(1))) if listed else frozenset()
		return cls(floors, 2, modules)

	def floor_of(self, module: str) -> int | None:
		"""The floor of `module` (a path under the app): its own entry, else its nearest package's."""
		parts = module.split(".")
		for end in range(len(parts), 0, -1):
			floor = self.floors.get(".".join(parts[:end]))
			if floor is not None:
				return floor
		return None

	def frappe_free(self, module: str) -> bool:
		floor = self.floor_of(module)
		return (floor is not None and floor < self.frappe_free_floors) or module in self.frappe_free_modules


@dataclass(frozen=True)
class Import:
	source: str  # the importing module, under the app
	target: str  # the imported module, under the app (or "frappe…" for Frappe)
	line: int


def app_modules(package: Path = APP_PACKAGE, with_tests: bool = False) -> dict[str, Path]:
	"""The app's modules by their path under the app ("webhook.handlers"), its tests only when asked."""
	modules = {}
	for path in sorted(package.rglob("*.py")):
		relative = path.relative_to(package).with_suffix("")
		parts = list(relative.parts)
		if not with_tests and ("tests" in parts or parts[-1].startswith("test_")):
			continue
		if parts[-1] == "__init__":
			parts = parts[:-1] or ["__init__"]
		modules[".".join(parts)] = path
	return modules


def imports_of(
	module: str, path: Path, modules: dict[str, Path], app: str = APP_PACKAGE.name
) -> list[Import]:
	"""Every import the module makes of the app or of Frappe, at any depth (lazy ones included)."""
	tree = ast.parse(path.read_text(), filename=str(path))
	package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
	found = []
	for node in ast.walk(tree):
		if isinstance(node, ast.Import):
			names = [(alias.name, None) for alias in node.names]
		elif isinstance(node, ast.ImportFrom):
			base = node.module or ""
			if node.level:
				anchor = package[: len(package) - (node.level - 1)]
				base = ".".join([app, *anchor, *([base] if base else [])])
			names = [(base, alias.name) for alias in node.names]
		else:
			continue
		for base, name in names:
			if base == "frappe" or base.startswith("frappe."):
				found.append(Import(module, base, node.lineno))
			elif base == app or base.startswith(app + "."):
				inner = base[len(app) + 1 :]
				submodule = f"{inner}.{name}" if inner and name else name or inner
				target = submodule if name and submodule in modules else inner or "__init__"
				found.append(Import(module, target, node.lineno))
	return found


def check_placement(layers: LayerMap, modules: Iterable[str]) -> list[str]:
	return [
		f"{module} is on no floor of ARCHITECTURE.md: add it (or its package) to the table"
		for module in modules
		if layers.floor_of(module) is None
	]


def check_imports(layers: LayerMap, imports: Iterable[Import]) -> list[str]:
	"""Imports that go up a floor, and Frappe imported by a module that must do without it."""
	problems = []
	for found in imports:
		source_floor = layers.floor_of(found.source)
		if found.target.startswith("frappe"):
			if layers.frappe_free(found.source):
				problems.append(f"{found.source}:{found.line} imports {found.target}, but is Frappe-free")
			continue
		target_floor = layers.floor_of(found.target)
		if source_floor is None or target_floor is None:
			continue  # placement reports these
		if target_floor > source_floor:
			problems.append(
				f"{found.source}:{found.line} (floor {source_floor}) imports {found.target} "
				f"(floor {target_floor}): an import may not go up"
			)
		elif layers.frappe_free(found.source) and not layers.frappe_free(found.target):
			problems.append(
				f"{found.source}:{found.line} is Frappe-free but imports {found.target}, which is not"
			)
	return problems


def check_imported_names(modules: dict[str, Path], app: str = APP_PACKAGE.name) -> list[str]:
	"""`from chat_bridge.x import name`s whose module or name does not exist (a move left behind)."""
	problems = []
	for module, path in modules.items():
		for node in ast.walk(ast.parse(path.read_text())):
			if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith(app):
				for alias in node.names:
					problem = resolve_dotted_path(f"{node.module}.{alias.name}", APP_PACKAGE)
					if problem:
						problems.append(f"{module}:{node.lineno} imports {problem}")
	return problems


def named_paths(files: Iterable[Path]) -> Iterator[tuple[Path, str]]:
	"""Dotted paths into the app that scripts, JSON, templates and Python strings name."""
	for path in files:
		if path.relative_to(REPO_ROOT).as_posix() in NAMING_BROKEN_PATHS_ON_PURPOSE:
			continue
		if path.suffix == ".py":
			strings = [
				node.value
				for node in ast.walk(ast.parse(path.read_text()))
				if isinstance(node, ast.Constant) and isinstance(node.value, str)
			]
		else:
			# In a script, a path is a whole string ("chat_bridge.api.x.y", "/api/method/…"); other
			# strings (templates, frappe.provide's namespaces) use the desk's `chat_bridge` object.
			text = path.read_text()
			strings = [
				quoted[1:-1]
				for match in _QUOTED.finditer(text)
				if _WHOLE_PATH.match((quoted := match.group(0))[1:-1])
				and not text[: match.start()].endswith("provide(")
			]
		for text in strings:
			for match in _DOTTED.finditer(text):
				if match.group(0).rsplit(".", 1)[1] not in _FILE_SUFFIXES:
					yield path, match.group(0)


def check_named_paths(files: Iterable[Path]) -> list[str]:
	problems = []
	for path, dotted in named_paths(files):
		problem = resolve_dotted_path(dotted, APP_PACKAGE)
		if problem:
			problems.append(f"{path.relative_to(REPO_ROOT)} names {problem}")
	return problems


def source_files(root: Path = REPO_ROOT) -> list[Path]:
	"""The repository's own files that may name the app's modules."""
	suffixes = {".py", ".js", ".json", ".html", ".md"}
	skip = {".git", ".venv", "node_modules", "fixtures", "__pycache__"}
	return [
		path
		for path in sorted(root.rglob("*"))
		if path.suffix in suffixes
		and path.is_file()
		and not skip.intersection(path.relative_to(root).parts)
		and not path.name.endswith(".egg-info")
		and ".egg-info" not in str(path)
	]
