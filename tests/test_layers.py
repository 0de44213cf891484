"""The layer map of ARCHITECTURE.md holds: every module on a floor, no import going up, the
Frappe-free floors free of Frappe, and every dotted path the app names leading somewhere."""

import textwrap

import pytest

from tests.layers import (
	ARCHITECTURE,
	LayerMap,
	app_modules,
	check_imported_names,
	check_imports,
	check_named_paths,
	check_placement,
	imports_of,
	source_files,
)

MAP = LayerMap.read(ARCHITECTURE.read_text())
MODULES = app_modules()


def all_imports():
	return [found for module, path in MODULES.items() for found in imports_of(module, path, MODULES)]


def test_every_module_is_on_a_floor():
	assert check_placement(MAP, MODULES) == []


def test_no_import_goes_up_and_the_frappe_free_stay_free():
	assert check_imports(MAP, all_imports()) == []


def test_imported_names_exist():
	assert check_imported_names(MODULES) == []


def test_the_site_tests_import_only_what_exists():
	# Frappe's runner stops at the first test module that does not import, so one left behind hides all.
	assert check_imported_names(app_modules(with_tests=True)) == []


def test_dotted_paths_in_code_hooks_json_and_scripts_resolve():
	assert check_named_paths(source_files()) == []


def test_the_map_names_only_what_exists():
	listed = set(MAP.floors) | set(MAP.frappe_free_modules)
	missing = sorted(
		name for name in listed if not any(m == name or m.startswith(name + ".") for m in MODULES)
	)
	assert missing == []


# The checks themselves, on a made-up map: each fault is found and named.

SAMPLE = textwrap.dedent(
	"""
	| Floor | Name | Modules | What |
	| --- | --- | --- | --- |
	| 0 | low | `chatwoot` | x |
	| 1 | rules | `sync` | x |
	| 2 | site | `settings` | x |
	| 4 | flows | `webhook` | x |

	Frappe-free modules on higher floors, kept so: `webhook.rules`.
	"""
)


@pytest.fixture
def sample(tmp_path):
	package = tmp_path / "chat_bridge"
	files = {
		"chatwoot/__init__.py": "",
		"chatwoot/client.py": "from chat_bridge.sync.contacts import x\n",
		"sync/__init__.py": "",
		"sync/contacts.py": "import frappe\nx = 1\n",
		"settings.py": "def f():\n\tfrom chat_bridge.webhook import handlers\n",
		"webhook/__init__.py": "",
		"webhook/handlers.py": "from ..settings import f\n",
		"webhook/rules.py": "from chat_bridge.settings import f\n",
		"stray.py": "",
	}
	for name, text in files.items():
		(package / name).parent.mkdir(parents=True, exist_ok=True)
		(package / name).write_text(text)
	layers = LayerMap.read(SAMPLE)
	modules = app_modules(package)
	imports = [found for module, path in modules.items() for found in imports_of(module, path, modules)]
	return layers, modules, imports


def test_a_module_off_the_map_is_named(sample):
	layers, modules, _imports = sample
	assert check_placement(layers, modules) == [
		"stray is on no floor of ARCHITECTURE.md: add it (or its package) to the table"
	]


def test_upward_lazy_and_frappe_imports_are_named(sample):
	layers, _modules, imports = sample
	problems = check_imports(layers, imports)
	assert "chatwoot.client:1 (floor 0) imports sync.contacts (floor 1): an import may not go up" in problems
	assert "sync.contacts:1 imports frappe, but is Frappe-free" in problems
	assert "settings:2 (floor 2) imports webhook.handlers (floor 4): an import may not go up" in problems
	assert "webhook.rules:1 is Frappe-free but imports settings, which is not" in problems
	# A relative import down a floor is allowed.
	assert not [p for p in problems if p.startswith("webhook.handlers")]
	assert len(problems) == 4
