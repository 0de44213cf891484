"""The app's DocTypes and hooks pass the static checks, and the checks catch what they claim to."""

import copy
import shutil
import subprocess
from pathlib import Path

import pytest

import chat_bridge.hooks
from tests.static_checks import (
	APP_PACKAGE,
	AppDocType,
	FrappeReference,
	check_doctype,
	check_doctypes,
	check_hooks,
	load_app_doctypes,
)

REFERENCE = FrappeReference.v15()


def hooks_dict(module) -> dict:
	return {k: v for k, v in vars(module).items() if not k.startswith("_")}


def test_app_has_its_doctypes():
	names = {d.name for d in load_app_doctypes()}
	assert {
		"Chatwoot Integration Settings",
		"Chatwoot User Token",
		"Chatwoot Contact Mapping",
		"Chatwoot Conversation Mapping",
		"Chatwoot Webhook Event",
		"Chatwoot Agent",
	} <= names


def test_every_app_doctype_passes():
	assert check_doctypes(load_app_doctypes(), REFERENCE) == []


def test_hooks_resolve():
	assert check_hooks(hooks_dict(chat_bridge.hooks)) == []


def test_password_fields_stay_out_of_lists():
	for doctype in load_app_doctypes():
		for f in doctype.definition["fields"]:
			if f["fieldtype"] == "Password":
				assert not f.get("in_list_view"), (doctype.name, f["fieldname"])


VALID = {
	"doctype": "DocType",
	"name": "Sample Thing",
	"module": "Chat Bridge",
	"field_order": ["contact", "ref_type", "ref_name", "state"],
	"fields": [
		{"fieldname": "contact", "fieldtype": "Link", "options": "Contact"},
		{"fieldname": "ref_type", "fieldtype": "Link", "options": "DocType"},
		{"fieldname": "ref_name", "fieldtype": "Dynamic Link", "options": "ref_type"},
		{"fieldname": "state", "fieldtype": "Select", "options": "A\nB"},
	],
	"permissions": [{"role": "System Manager", "read": 1}],
}


def check(definition: dict, folder: str = "sample_thing") -> list[str]:
	return check_doctype(AppDocType(folder, definition), {definition["name"]: definition}, REFERENCE)


def broken(**changes) -> dict:
	d = copy.deepcopy(VALID)
	d.update(changes)
	return d


def with_field(index: int, **changes) -> dict:
	d = copy.deepcopy(VALID)
	d["fields"][index].update(changes)
	return d


def test_valid_sample_passes():
	assert check(VALID) == []


@pytest.mark.parametrize(
	"definition, folder, expected",
	[
		(broken(module="Core"), "sample_thing", "module must be 'Chat Bridge'"),
		(VALID, "sample_things", "does not match its folder"),
		(broken(permissions=[]), "sample_thing", "has no permissions"),
		(broken(permissions=[{"read": 1}]), "sample_thing", "permission rule has no role"),
		(with_field(3, fieldtype="Dropdown"), "sample_thing", "unknown fieldtype 'Dropdown'"),
		(with_field(0, options="Contcat"), "sample_thing", "links to unknown DocType 'Contcat'"),
		(with_field(2, options="ref_kind"), "sample_thing", "names missing field 'ref_kind'"),
		(with_field(3, options=""), "sample_thing", "select field 'state' has no options"),
		(with_field(3, fieldname="contact"), "sample_thing", "'contact' is used more than once"),
		(with_field(3, fieldname="owner"), "sample_thing", "clashes with a standard column"),
		(with_field(3, fieldname="State"), "sample_thing", "not a lower-case identifier"),
		(broken(field_order=["contact"]), "sample_thing", "field_order does not list the fields"),
		(broken(doctype="Page"), "sample_thing", "'doctype' must be 'DocType'"),
		(broken(autoname="field:user"), "sample_thing", "autoname uses missing field 'user'"),
		(
			with_field(3, fieldtype="Password", options=None, in_list_view=1),
			"sample_thing",
			"password field 'state'",
		),
		(with_field(3, fieldtype="Table", options="Sample Thing"), "sample_thing", "is not a child table"),
		(with_field(3, fieldtype="Table", options="Nope"), "sample_thing", "uses unknown DocType 'Nope'"),
		(broken(istable=1), "sample_thing", "child table must not have permissions"),
	],
)
def test_each_fault_is_named(definition, folder, expected):
	problems = check(definition, folder)
	assert any(expected in p for p in problems), problems
	assert all(p.startswith(f"{definition['name']}: ") for p in problems)


def test_links_to_erpnext_doctypes_are_allowed():
	assert check(with_field(0, options="Customer")) == []


@pytest.mark.parametrize(
	"hooks, expected",
	[
		({"after_install": "chat_bridge.install.after_instal"}, "defines no 'after_instal'"),
		({"after_install": "chat_bridge.instal.after_install"}, "no such module"),
		({"scheduler_events": {"hourly": ["chat_bridge.install.nope"]}}, "defines no 'nope'"),
		({"doc_events": {"Contact": {"on_update": "chat_bridge.nowhere.fn"}}}, "no such module"),
		({"doctype_js": {"Contact": "public/js/missing.js"}}, "'public/js/missing.js': no such file"),
		({"app_include_js": "/assets/chat_bridge/js/missing.js"}, "no such file"),
		({"app_include_js": ["missing.bundle.js"]}, "no such file"),
	],
)
def test_hook_faults_are_named(hooks, expected):
	problems = check_hooks(hooks, APP_PACKAGE)
	assert len(problems) == 1 and expected in problems[0], problems


def test_hooks_accept_modules_functions_and_files():
	hooks = {
		"after_install": "chat_bridge.install.after_install",
		"module_only": "chat_bridge.install",
		"doctype_js": {
			"Chatwoot Integration Settings": "chat_bridge/doctype/chatwoot_integration_settings/chatwoot_integration_settings.js"
		},
		"app_name": "chat_bridge",
	}
	assert check_hooks(hooks, APP_PACKAGE) == []


def test_pages_workspace_cards_and_charts_pass():
	from tests.static_checks import check_records, load_module_records

	assert check_records(REFERENCE) == []
	assert {r.name for r in load_module_records("page")} == {
		"chatwoot-dashboard",
		"chatwoot-agents",
		"customer-support",
	}
	assert len(load_module_records("number_card")) == 8
	assert {r.name for r in load_module_records("report")} == {
		"Chatwoot Agent Performance",
		"Chatwoot Conversation Analysis",
	}
	assert [d.name for d in load_module_records("dashboard")] == ["Customer Support"]


def test_record_checks_name_their_faults(tmp_path):
	import json
	import shutil

	from tests.static_checks import check_records

	app = tmp_path / "chat_bridge"
	shutil.copytree(APP_PACKAGE / "chat_bridge", app / "chat_bridge")
	page = app / "chat_bridge" / "page" / "chatwoot_dashboard" / "chatwoot_dashboard.json"
	definition = json.loads(page.read_text())
	page.write_text(json.dumps({**definition, "name": "chatwoot-board", "roles": []}))
	workspace = app / "chat_bridge" / "workspace" / "customer_support" / "customer_support.json"
	ws = json.loads(workspace.read_text())
	next(s for s in ws["shortcuts"] if s["label"] == "Settings")["link_to"] = "Chatwoot Settingz"
	ws["number_cards"].append({"number_card_name": "Nope"})
	workspace.write_text(json.dumps(ws))
	problems = check_records(REFERENCE, app)
	assert any("does not match its folder" in p for p in problems)
	assert any("has no roles" in p for p in problems)
	assert any("unknown DocType 'Chatwoot Settingz'" in p for p in problems)
	assert any("unknown number card 'Nope'" in p for p in problems)
	assert any("unknown Page 'chatwoot-dashboard'" in p for p in problems)  # the page was renamed away


def test_report_and_dashboard_faults_are_named(tmp_path):
	import json
	import shutil

	from tests.static_checks import check_records

	app = tmp_path / "chat_bridge"
	shutil.copytree(APP_PACKAGE / "chat_bridge", app / "chat_bridge")
	folder = app / "chat_bridge" / "report" / "chatwoot_agent_performance"
	report = json.loads((folder / "chatwoot_agent_performance.json").read_text())
	(folder / "chatwoot_agent_performance.json").write_text(
		json.dumps({**report, "roles": [], "ref_doctype": "Chatwoot Thing"})
	)
	board = app / "chat_bridge" / "chat_bridge_dashboard" / "customer_support" / "customer_support.json"
	dashboard = json.loads(board.read_text())
	dashboard["charts"].append({"chart": "Weekly Nothing"})
	board.write_text(json.dumps(dashboard))
	chart = (
		app
		/ "chat_bridge"
		/ "dashboard_chart"
		/ "chatwoot_first_response_times"
		/ "chatwoot_first_response_times.json"
	)
	chart.write_text(json.dumps({**json.loads(chart.read_text()), "report_name": "Chatwoot Nothing"}))
	problems = check_records(REFERENCE, app)
	assert "Report 'Chatwoot Agent Performance': has no roles: anyone could open it" in problems
	assert "Report 'Chatwoot Agent Performance': is about unknown DocType 'Chatwoot Thing'" in problems
	assert "Dashboard 'Customer Support': shows unknown chart 'Weekly Nothing'" in problems
	assert (
		"Dashboard Chart 'Chatwoot First Response Times': charts unknown Report 'Chatwoot Nothing'"
		in problems
	)


def test_a_dashboard_where_frappe_never_looks_is_named(tmp_path):
	import shutil

	from tests.static_checks import check_records

	app = tmp_path / "chat_bridge"
	shutil.copytree(APP_PACKAGE / "chat_bridge", app / "chat_bridge")
	(app / "chat_bridge" / "chat_bridge_dashboard").rename(app / "chat_bridge" / "dashboard")
	problems = check_records(REFERENCE, app)
	assert (
		"chat_bridge/dashboard: Frappe never imports dashboards from here; "
		"they belong in 'chat_bridge_dashboard'"
	) in problems
	assert "Workspace 'Customer Support': links to unknown Dashboard 'Customer Support'" in problems


SCRIPTS = sorted((Path(chat_bridge.hooks.__file__).parent).rglob("*.js"))
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="needs Node.js to parse the desk's scripts")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_every_script_parses(script):
	"""A script that does not parse takes the desk's other Chat Bridge scripts down with it."""
	checked = subprocess.run(  # noqa: S603 -- the app's own files
		[NODE, "--check", str(script)], capture_output=True, text=True
	)
	assert checked.returncode == 0, checked.stderr
