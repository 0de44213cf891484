"""The strings the app shows people, found as Frappe finds them, and its Spanish for them.

Frappe translates a string by looking up its exact text: what `_()` is given in Python (and what
`chat_bridge.i18n._` is given in the Frappe-free floors), what `__()` is given in scripts and
templates, and the labels, descriptions, options and names of the app's DocTypes, pages, reports,
workspace, cards and charts. This module collects the same texts from the source, without Frappe,
and reads `chat_bridge/translations/<lang>.csv` (Frappe's format: source, translation, context).
"""

import ast
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.static_checks import APP_PACKAGE

TRANSLATIONS = APP_PACKAGE / "translations"
MODULE_FOLDER = APP_PACKAGE / "chat_bridge"
# As Frappe's own extractor reads `_(` and `__(` in scripts and templates: a quoted literal first.
_CALL = re.compile(
	r"(?<![\w.$])_{1,2}\(\s*(?P<quote>[\"'`])(?P<message>(?:\\.|(?!(?P=quote)).)*?)(?P=quote)", re.S
)
_PLACEHOLDER = re.compile(r"\{\d+\}")
_SKIP_DIRS = {"tests", "__pycache__", "translations", "dist"}


@dataclass(frozen=True)
class Message:
	text: str
	where: str  # file (and line) it was found at


def translatable(text: str) -> bool:
	"""As Frappe decides: some letters, and not an icon, a size or an expression."""
	return (
		bool(re.search("[a-zA-Z]", text))
		and not text.startswith(("fa fa-", "eval:"))
		and not text.endswith("px")
	)


def python_messages(path: Path) -> Iterator[Message]:
	for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
		if (
			isinstance(node, ast.Call)
			and isinstance(node.func, ast.Name)
			and node.func.id == "_"
			and node.args
			and isinstance(node.args[0], ast.Constant)
			and isinstance(node.args[0].value, str)
		):
			yield Message(node.args[0].value.strip(), f"{relative(path)}:{node.lineno}")


def script_messages(path: Path) -> Iterator[Message]:
	text = path.read_text()
	for match in _CALL.finditer(text):
		message = match.group("message")
		if "${" in message:
			continue  # a template literal's substitution: not a fixed text
		line = text.count("\n", 0, match.start()) + 1
		yield Message(unescape(message).strip(), f"{relative(path)}:{line}")


def unescape(text: str) -> str:
	return re.sub(r"\\(.)", r"\1", text)


def doctype_messages(path: Path) -> Iterator[Message]:
	definition = json.loads(path.read_text())
	where = relative(path)
	texts = [definition.get("name"), definition.get("module"), definition.get("description")]
	for field in definition.get("fields") or []:
		texts += [field.get("label"), field.get("description")]
		if field.get("fieldtype") == "Select" and field.get("options"):
			texts += field["options"].split("\n")
		if field.get("fieldtype") == "HTML" and field.get("options"):
			texts.append(field["options"])
	texts += [permission.get("role") for permission in definition.get("permissions") or []]
	yield from (Message(text.strip(), where) for text in texts if text and text.strip())


def record_messages(path: Path) -> Iterator[Message]:
	"""Names and labels of pages, reports, the workspace, number cards and charts."""
	definition = json.loads(path.read_text())
	where = relative(path)
	kind = definition.get("doctype")
	texts = []
	if kind == "Page":
		texts += [definition.get("title")] + [r.get("role") for r in definition.get("roles") or []]
	elif kind == "Report":
		texts += [definition.get("report_name")] + [r.get("role") for r in definition.get("roles") or []]
	elif kind == "Workspace":
		texts += [definition.get("label"), definition.get("title")]
		for table in ("shortcuts", "links", "number_cards", "charts", "custom_blocks", "quick_lists"):
			texts += [row.get("label") for row in definition.get(table) or []]
	elif kind in ("Number Card", "Dashboard Chart"):
		texts += [definition.get("label"), definition.get("chart_name")]
	elif kind == "Dashboard":
		texts += [definition.get("dashboard_name")]
	yield from (Message(text.strip(), where) for text in texts if text and text.strip())


def app_messages(package: Path = APP_PACKAGE) -> dict[str, list[str]]:
	"""Every translatable text of the app, with where each is found."""
	found: dict[str, list[str]] = {}
	for path in sorted(package.rglob("*")):
		if not path.is_file() or _SKIP_DIRS.intersection(path.relative_to(package).parts):
			continue
		if path.suffix == ".py" and not path.name.startswith("test_"):
			messages = python_messages(path)
		elif path.suffix in (".js", ".html", ".vue"):
			messages = script_messages(path)
		elif path.suffix == ".json" and path.parent.name == path.stem:
			definition = json.loads(path.read_text())
			if definition.get("doctype") == "DocType":
				messages = doctype_messages(path)
			else:
				messages = record_messages(path)
		else:
			continue
		for message in messages:
			if translatable(message.text):
				found.setdefault(message.text, []).append(message.where)
	return found


def read_translations(lang: str, folder: Path = TRANSLATIONS) -> dict[str, str]:
	path = folder / f"{lang}.csv"
	if not path.exists():
		return {}
	with path.open(newline="", encoding="utf-8") as handle:
		return {row[0]: row[1] for row in csv.reader(handle) if len(row) >= 2 and row[0]}


def placeholders(text: str) -> list[str]:
	return sorted(_PLACEHOLDER.findall(text))


def relative(path: Path) -> str:
	return str(path.relative_to(APP_PACKAGE.parent)) if path.is_relative_to(APP_PACKAGE.parent) else str(path)
