"""Checks of the app's DocType JSON and hooks.py that need no Frappe.

A DocType JSON that Frappe cannot import, or a hook pointing at a function that does not exist,
fails only when a site installs or runs the app; these checks find such faults in the plain suite.
Each check returns a list of problems, one readable sentence each, empty when all is well.
"""

import ast
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGE = REPO_ROOT / "chat_bridge"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

MODULE = "Chat Bridge"

# DocTypes that exist only when ERPNext (or Helpdesk) is installed; the app may link to them.
OPTIONAL_APP_DOCTYPES = frozenset(
	{
		"Lead",
		"Customer",
		"Issue",
		"Opportunity",
		"Prospect",
		"Company",
		"Sales Order",
		"Sales Invoice",
		"Quotation",
		"Project",
		"Task",
		"HD Ticket",
	}
)

# Columns every DocType table has; a field of the same name would clash with them.
RESERVED_FIELDNAMES = frozenset(
	{
		"name",
		"owner",
		"creation",
		"modified",
		"modified_by",
		"docstatus",
		"idx",
		"parent",
		"parentfield",
		"parenttype",
		"doctype",
	}
)

NO_VALUE_FIELDTYPES = frozenset(
	{"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Fold", "Heading"}
)


@dataclass(frozen=True)
class FrappeReference:
	"""What a Frappe v15 site offers: valid fieldtypes and the DocTypes a Link may point at."""

	fieldtypes: frozenset[str]
	doctypes: frozenset[str]

	@classmethod
	def v15(cls) -> "FrappeReference":
		return cls(
			fieldtypes=frozenset(_read_lines(FIXTURES / "frappe" / "fieldtypes-v15.txt")),
			doctypes=frozenset(_read_lines(FIXTURES / "frappe" / "core-doctypes-v15.txt"))
			| OPTIONAL_APP_DOCTYPES,
		)


@dataclass
class AppDocType:
	folder: str
	definition: dict = field(repr=False)

	@property
	def name(self) -> str:
		return self.definition.get("name", "")


def _read_lines(path: Path) -> list[str]:
	return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def scrub(name: str) -> str:
	"""Frappe's folder name for a DocType or page name."""
	return name.replace(" ", "_").replace("-", "_").lower()


def load_app_doctypes(app_package: Path = APP_PACKAGE) -> list[AppDocType]:
	doctypes = []
	for path in sorted(app_package.glob("*/doctype/*/*.json")):
		if path.stem != path.parent.name:
			continue  # fixtures or other JSON next to a DocType
		doctypes.append(AppDocType(folder=path.parent.name, definition=json.loads(path.read_text())))
	return doctypes


def check_doctypes(doctypes: list[AppDocType], reference: FrappeReference) -> list[str]:
	"""Every problem of every DocType in `doctypes`, checked against each other and `reference`."""
	own = {d.name: d.definition for d in doctypes}
	problems = []
	for doctype in doctypes:
		problems.extend(check_doctype(doctype, own, reference))
	return problems


def check_doctype(
	doctype: AppDocType, app_doctypes: dict[str, dict], reference: FrappeReference
) -> list[str]:
	d = doctype.definition
	name = doctype.name or f"<unnamed in {doctype.folder}>"
	problems = []

	def fault(message: str) -> None:
		problems.append(f"{name}: {message}")

	if d.get("doctype") != "DocType":
		fault(f"'doctype' must be 'DocType', not {d.get('doctype')!r}")
	if scrub(name) != doctype.folder:
		fault(f"name does not match its folder '{doctype.folder}' (expected '{scrub(name)}')")
	if d.get("module") != MODULE:
		fault(f"module must be '{MODULE}', not {d.get('module')!r}")

	fields = d.get("fields") or []
	fieldnames = [f.get("fieldname") for f in fields]
	fieldtypes_by_name = {f.get("fieldname"): f.get("fieldtype") for f in fields}
	seen = set()
	for fieldname in fieldnames:
		if fieldname in seen:
			fault(f"fieldname '{fieldname}' is used more than once")
		seen.add(fieldname)
	if d.get("field_order") is not None and list(d["field_order"]) != fieldnames:
		missing = set(fieldnames) - set(d["field_order"])
		extra = set(d["field_order"]) - set(fieldnames)
		detail = f"; missing {sorted(missing)}" if missing else ""
		detail += f"; unknown {sorted(extra)}" if extra else ""
		fault(f"field_order does not list the fields in order{detail}")

	known = reference.doctypes | set(app_doctypes)
	for f in fields:
		problems.extend(
			f"{name}: {p}" for p in _field_problems(f, fieldtypes_by_name, known, app_doctypes, reference)
		)

	if d.get("istable"):
		if d.get("permissions"):
			fault("a child table must not have permissions of its own")
	elif not d.get("permissions"):
		fault("has no permissions: nobody could use it")
	for perm in d.get("permissions") or []:
		if not perm.get("role"):
			fault("a permission rule has no role")
	if d.get("autoname", "").startswith("field:"):
		target = d["autoname"].split(":", 1)[1]
		if target not in fieldtypes_by_name:
			fault(f"autoname uses missing field '{target}'")
	return problems


def _field_problems(
	f: dict,
	fieldtypes_by_name: dict[str, str],
	known_doctypes: set[str],
	app_doctypes: dict[str, dict],
	reference: FrappeReference,
) -> Iterator[str]:
	fieldname, fieldtype, options = f.get("fieldname"), f.get("fieldtype"), f.get("options")
	if not fieldname or not str(fieldname).isidentifier() or fieldname != str(fieldname).lower():
		yield f"fieldname {fieldname!r} is not a lower-case identifier"
	if fieldname in RESERVED_FIELDNAMES:
		yield f"fieldname '{fieldname}' clashes with a standard column"
	if fieldtype not in reference.fieldtypes:
		yield f"field '{fieldname}' has unknown fieldtype {fieldtype!r}"
		return
	if fieldtype == "Link" and options not in known_doctypes:
		yield f"field '{fieldname}' links to unknown DocType {options!r}"
	if fieldtype in ("Table", "Table MultiSelect"):
		if options not in known_doctypes:
			yield f"table field '{fieldname}' uses unknown DocType {options!r}"
		elif options in app_doctypes and not app_doctypes[options].get("istable"):
			yield f"table field '{fieldname}' uses '{options}', which is not a child table"
	if fieldtype == "Dynamic Link":
		target_type = fieldtypes_by_name.get(options)
		if target_type is None:
			yield f"dynamic link '{fieldname}' names missing field {options!r}"
		elif target_type not in ("Link", "Select", "Data"):
			yield f"dynamic link '{fieldname}' names field {options!r}, which is a {target_type}"
	if fieldtype == "Select" and not options:
		yield f"select field '{fieldname}' has no options"
	if fieldtype == "Password" and any(
		f.get(flag) for flag in ("in_list_view", "in_standard_filter", "in_global_search", "bold")
	):
		yield f"password field '{fieldname}' must not be shown in lists, filters or search"
	if f.get("unique") and fieldtype in NO_VALUE_FIELDTYPES:
		yield f"field '{fieldname}' is unique but holds no value"


# hooks.py


@dataclass(frozen=True)
class HookReference:
	hook: str
	value: str


def iter_hook_strings(hooks: dict) -> Iterator[HookReference]:
	"""Every string in the hooks' values, with the hook it belongs to."""

	def walk(hook: str, value: object) -> Iterator[HookReference]:
		if isinstance(value, str):
			yield HookReference(hook, value)
		elif isinstance(value, dict):
			for item in value.values():
				yield from walk(hook, item)
		elif isinstance(value, list | tuple | set):
			for item in value:
				yield from walk(hook, item)

	for hook, value in hooks.items():
		if not hook.startswith("_"):
			yield from walk(hook, value)


def check_hooks(hooks: dict, app_package: Path = APP_PACKAGE) -> list[str]:
	"""Every dotted path and asset file named in `hooks` that does not exist in the app."""
	app = app_package.name
	problems = []
	for ref in iter_hook_strings(hooks):
		if (
			ref.value.startswith(f"{app}.")
			and " " not in ref.value
			and not ref.value.endswith((".js", ".css"))
		):
			problem = resolve_dotted_path(ref.value, app_package)
		elif ref.value.endswith((".js", ".css", ".html")):
			problem = resolve_asset(ref.value, app_package)
		else:
			continue
		if problem:
			problems.append(f"hooks.{ref.hook}: {problem}")
	return problems


def resolve_dotted_path(path: str, app_package: Path) -> str | None:
	"""None when `path` names a module, or a function, class or variable defined in one; else why not."""
	parts = path.split(".")
	root = app_package.parent
	for split in range(len(parts), 0, -1):
		module_file = _module_file(root, parts[:split])
		if module_file is None:
			continue
		attributes = parts[split:]
		if not attributes:
			return None
		if len(attributes) > 1:
			return f"'{path}': no such module {'.'.join(parts[: split + 1])}"
		if attributes[0] in top_level_names(module_file):
			return None
		return f"'{path}': {'.'.join(parts[:split])} defines no '{attributes[0]}'"
	return f"'{path}': no such module"


def _module_file(root: Path, parts: list[str]) -> Path | None:
	base = root.joinpath(*parts)
	for candidate in (base.with_suffix(".py"), base / "__init__.py"):
		if candidate.is_file():
			return candidate
	return None


def top_level_names(module_file: Path) -> set[str]:
	tree = ast.parse(module_file.read_text(), filename=str(module_file))
	names = set()
	for node in tree.body:
		if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
			names.add(node.name)
		elif isinstance(node, ast.Assign):
			for target in node.targets:
				names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
		elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
			names.add(node.target.id)
		elif isinstance(node, ast.ImportFrom | ast.Import):
			names.update((a.asname or a.name).split(".")[0] for a in node.names)
	return names


def resolve_asset(path: str, app_package: Path) -> str | None:
	"""None when the asset file exists in the app; else why not.

	Frappe accepts `/assets/<app>/…` (served from `<app>/public/`), paths relative to the app
	package (doctype_js and friends), and bare `*.bundle.js` names found anywhere under public/.
	"""
	prefix = f"/assets/{app_package.name}/"
	if path.startswith(prefix):
		candidates: Iterable[Path] = [app_package / "public" / path[len(prefix) :]]
	elif "/" in path:
		candidates = [app_package / path]
	else:
		candidates = (app_package / "public").rglob(path)
	if any(c.is_file() for c in candidates):
		return None
	return f"'{path}': no such file in the app"


# Pages, workspaces, number cards and charts


def record_folder(module: Path, kind: str) -> Path:
	"""Where Frappe imports a module's records of one kind from: dashboards from
	`<module>_dashboard`, every other kind from a folder named after it."""
	return module / (f"{module.name}_dashboard" if kind == "dashboard" else kind)


def load_module_records(kind: str, app_package: Path = APP_PACKAGE) -> list[AppDocType]:
	"""The app's records of one kind (page, workspace, number_card, dashboard_chart, report,
	dashboard), by folder."""
	records = []
	for module in sorted(p for p in app_package.iterdir() if p.is_dir()):
		for path in sorted(record_folder(module, kind).glob("*/*.json")):
			if path.stem == path.parent.name:
				records.append(AppDocType(folder=path.parent.name, definition=json.loads(path.read_text())))
	return records


def check_records(reference: FrappeReference, app_package: Path = APP_PACKAGE) -> list[str]:
	"""Every page, workspace, number card, chart, report and dashboard: named after its folder,
	pointing at what exists."""
	doctypes = reference.doctypes | {d.name for d in load_app_doctypes(app_package)}
	pages = {p.name for p in load_module_records("page", app_package)}
	cards = {c.name for c in load_module_records("number_card", app_package)}
	charts = {c.name for c in load_module_records("dashboard_chart", app_package)}
	reports = {r.name for r in load_module_records("report", app_package)}
	dashboards = {d.name for d in load_module_records("dashboard", app_package)}
	problems = [
		f"{folder.relative_to(app_package)}: Frappe never imports dashboards from here; "
		f"they belong in '{record_folder(folder.parent, 'dashboard').name}'"
		for folder in app_package.glob("*/dashboard")
		if folder.is_dir()
	]
	for kind, records in (
		("Page", load_module_records("page", app_package)),
		("Workspace", load_module_records("workspace", app_package)),
		("Number Card", load_module_records("number_card", app_package)),
		("Dashboard Chart", load_module_records("dashboard_chart", app_package)),
		("Report", load_module_records("report", app_package)),
		("Dashboard", load_module_records("dashboard", app_package)),
	):
		for record in records:
			d = record.definition
			label = f"{kind} {record.name!r}"
			if d.get("doctype") != kind:
				problems.append(f"{label}: 'doctype' must be {kind!r}")
			if scrub(record.name) != record.folder:
				problems.append(f"{label}: name does not match its folder '{record.folder}'")
			if d.get("module") != MODULE:
				problems.append(f"{label}: module must be '{MODULE}'")
			if kind in ("Page", "Report") and not d.get("roles"):
				problems.append(f"{label}: has no roles: anyone could open it")
			if kind == "Report" and d.get("ref_doctype") not in doctypes:
				problems.append(f"{label}: is about unknown DocType {d.get('ref_doctype')!r}")
			if kind == "Dashboard":
				problems.extend(
					f"{label}: shows unknown {what} {name!r}"
					for what, name, known in (
						*(("number card", c.get("card"), cards) for c in d.get("cards", [])),
						*(("chart", c.get("chart"), charts) for c in d.get("charts", [])),
					)
					if name not in known
				)
			if kind == "Number Card" and d.get("type") == "Custom":
				if not d.get("method"):
					problems.append(f"{label}: a Custom card needs a method")
				elif why := resolve_dotted_path(d["method"], app_package):
					problems.append(f"{label}: method {why}")
			elif kind == "Dashboard Chart" and d.get("chart_type") == "Report":
				if d.get("report_name") not in reports:
					problems.append(f"{label}: charts unknown Report {d.get('report_name')!r}")
			elif kind in ("Number Card", "Dashboard Chart") and d.get("document_type") not in doctypes:
				problems.append(f"{label}: counts unknown DocType {d.get('document_type')!r}")
			if kind == "Workspace":
				problems.extend(
					f"{label}: {p}"
					for p in _workspace_problems(d, doctypes, pages, cards, charts, reports, dashboards)
				)
	return problems


def _workspace_problems(
	d: dict, doctypes: set, pages: set, cards: set, charts: set, reports: set, dashboards: set
) -> Iterator[str]:
	targets = {"DocType": doctypes, "Page": pages, "Report": reports, "Dashboard": dashboards}
	for link in [*d.get("links", []), *d.get("shortcuts", [])]:
		kind = link.get("link_type") or link.get("type")
		target = link.get("link_to")
		if kind in targets and target and target not in targets[kind]:
			yield f"links to unknown {kind} {target!r}"
	for card in d.get("number_cards", []):
		if card.get("number_card_name") not in cards:
			yield f"shows unknown number card {card.get('number_card_name')!r}"
	for chart in d.get("charts", []):
		if chart.get("chart_name") not in charts:
			yield f"shows unknown chart {chart.get('chart_name')!r}"
	shortcut_labels = {shortcut.get("label") for shortcut in d.get("shortcuts", [])}
	card_labels = {link.get("label") for link in d.get("links", []) if link.get("type") == "Card Break"}
	for block in json.loads(d.get("content") or "[]"):
		data = block.get("data") or {}
		if block.get("type") == "shortcut" and data.get("shortcut_name") not in shortcut_labels:
			yield f"content shows unknown shortcut {data.get('shortcut_name')!r}"
		if block.get("type") == "card" and data.get("card_name") not in card_labels:
			yield f"content shows unknown card {data.get('card_name')!r}"
