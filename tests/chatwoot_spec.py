"""Chatwoot's OpenAPI spec for the conformance tests, full or reduced.

The full spec is the project's reference copy (shared/chatwoot/spec/swagger.json, found beside the
repository or one of its parent folders, or named by CHATWOOT_OPENAPI_SPEC). Where it is not at
hand, as on a clean CI checkout, the tests use `fixtures/chatwoot/openapi-subset.json`: the same
paths and success-response schemas with the prose (descriptions, examples) left out. A test keeps
the subset equal to what `reduce_spec` makes of the full spec. To refresh it:

	python -m tests.chatwoot_spec path/to/swagger.json
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

SPEC_RELATIVE = Path("shared/chatwoot/spec/swagger.json")
SUBSET = Path(__file__).resolve().parent / "fixtures" / "chatwoot" / "openapi-subset.json"
PROSE_KEYS = frozenset({"description", "example", "examples", "summary", "title", "externalDocs"})
METHODS = ("get", "post", "put", "patch", "delete")


def find_full_spec() -> Path | None:
	named = os.environ.get("CHATWOOT_OPENAPI_SPEC")
	if named:
		return Path(named)
	for folder in Path(__file__).resolve().parents:
		if (folder / SPEC_RELATIVE).is_file():
			return folder / SPEC_RELATIVE
	return None


def load_spec() -> dict:
	full = find_full_spec()
	return json.loads((full or SUBSET).read_text())


def _strip_prose(value: Any) -> Any:
	if isinstance(value, dict):
		# A property may itself be named like a prose key: only the schema keywords are prose.
		return {
			k: (_strip_prose(v) if k != "properties" else {name: _strip_prose(s) for name, s in v.items()})
			for k, v in value.items()
			if k not in PROSE_KEYS or k == "properties"
		}
	if isinstance(value, list):
		return [_strip_prose(v) for v in value]
	return value


def _refs(value: Any) -> set[str]:
	if isinstance(value, dict):
		found = {value["$ref"].rsplit("/", 1)[-1]} if isinstance(value.get("$ref"), str) else set()
		for v in value.values():
			found |= _refs(v)
		return found
	if isinstance(value, list):
		return set().union(*(_refs(v) for v in value)) if value else set()
	return set()


def reduce_spec(spec: dict) -> dict:
	"""Every path and method, each with only its 200 JSON schema, and the schemas those reach."""
	paths = {}
	for template, operations in spec["paths"].items():
		kept = {}
		for method in METHODS:
			if method not in operations:
				continue
			ok = (operations[method].get("responses") or {}).get("200") or {}
			schema = ((ok.get("content") or {}).get("application/json") or {}).get("schema")
			kept[method] = (
				{"responses": {"200": {"content": {"application/json": {"schema": schema}}}}}
				if schema
				else {}
			)
		paths[template] = kept
	schemas = spec["components"]["schemas"]
	wanted, todo = set(), _refs(paths)
	while todo:
		name = todo.pop()
		if name in wanted or name not in schemas:
			continue
		wanted.add(name)
		todo |= _refs(schemas[name])
	return _strip_prose(
		{
			"openapi": spec["openapi"],
			"paths": paths,
			"components": {"schemas": {n: schemas[n] for n in sorted(wanted)}},
		}
	)


if __name__ == "__main__":
	source = Path(sys.argv[1]) if len(sys.argv) > 1 else find_full_spec()
	SUBSET.write_text(
		json.dumps(reduce_spec(json.loads(source.read_text())), indent=1, sort_keys=True) + "\n"
	)
	print(f"wrote {SUBSET}")
