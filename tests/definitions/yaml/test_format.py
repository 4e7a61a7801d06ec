"""The format's contract: a valid published JSON Schema that ships with the package and
that the compiler covers, and ``.yaml`` files sorted into processes, decision tables and
forms by their top-level key."""

from __future__ import annotations

from importlib.resources import files

import pytest
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.definitions.yaml import SCHEMA_FILE, definition_schema
from flowdesk.engine.definitions.yaml.compile_bpmn import _TAGS
from flowdesk.engine.definitions.yaml.schema import step_kinds
from jsonschema import Draft202012Validator


def test_the_schema_is_valid_json_schema_2020_12():
    Draft202012Validator.check_schema(definition_schema())
    assert definition_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_schema_ships_inside_the_package():
    shipped = files("flowdesk.engine.definitions.yaml") / "process.schema.json"
    assert shipped.is_file() and shipped.read_bytes() == SCHEMA_FILE.read_bytes()


def test_every_step_kind_in_the_schema_compiles():
    assert set(step_kinds()) == set(_TAGS)


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("claim.yaml", b"process: claim\nsteps: []\n", "process_yaml"),
    ("claim.yml", b"# a comment\n---\n  process: claim\n  steps: []\n", "process_yaml"),
    ("levels.yaml", b"decision: levels\n", "decision_yaml"),
    ("amount.yaml", b"type: object\nproperties:\n  process: {type: string}\n", "form"),
    ("amount.json", b'{"process": 1}', "form"),
    ("amount.ui.yaml", b"process: x\n", "form_ui"),
    ("broken.yaml", b"process: [unclosed\n", "process_yaml"),
])
def test_yaml_files_are_sorted_by_their_top_level_key(name, content, kind):
    assert SourceFile(name, content).kind == kind
