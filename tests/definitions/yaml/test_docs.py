"""docs/yaml-format.md: it names every key the schema has, and its complete example is the
file the run tests execute."""

from __future__ import annotations

import re

from flowdesk.engine.definitions.yaml import definition_schema

from tests.support.definitions import EXAMPLE
from tests.support.paths import REPO

DOCS = REPO / "docs" / "yaml-format.md"


def all_properties(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        found |= set(node.get("properties", {}))
        for value in node.values():
            found |= all_properties(value)
    elif isinstance(node, list):
        for value in node:
            found |= all_properties(value)
    return found


def test_the_documentation_covers_every_key_of_the_schema():
    text = DOCS.read_text()
    missing = sorted(key for key in all_properties(definition_schema())
                     if not re.search(rf"(`|\b){re.escape(key)}(`|:)", text))
    assert missing == []


def test_the_documented_example_is_the_tested_example_file_and_about_40_lines():
    text = DOCS.read_text()
    block = re.search(r"```yaml\n(process: expense_claim\n.*?)```", text, re.DOTALL).group(1)
    assert block == (EXAMPLE / "expense_claim.yaml").read_text()
    assert 35 <= len(block.splitlines()) <= 50
