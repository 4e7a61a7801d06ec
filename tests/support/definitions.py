"""Definition files for tests: YAML sources written inline, the YAML fixtures and the
documented example, and the BPMN 2.0 / DMN 1.3 schemas compiled files must satisfy."""

from __future__ import annotations

import textwrap
from pathlib import Path

import SpiffWorkflow
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.definitions.yaml import Generated, compile_source, read_unit
from flowdesk.engine.errors import Problem
from lxml import etree

from .paths import FIXTURES, REPO

YAML_FIXTURES = FIXTURES / "yaml"
EXAMPLE = REPO / "docs" / "examples" / "expense_claim"
SPIFF = Path(SpiffWorkflow.__file__).parent


def source(text: str, name: str = "p.yaml") -> SourceFile:
    return SourceFile(name, textwrap.dedent(text).lstrip("\n").encode())


def problems(text: str, name: str = "p.yaml") -> list[Problem]:
    """What checking the file alone finds (as `flowdesk compile` does)."""
    return read_unit(source(text, name)).problems


def compiled(text: str, name: str = "p.yaml") -> list[Generated]:
    return compile_source(source(text, name))


def fixture(*names: str) -> list[Path]:
    return [YAML_FIXTURES / name for name in names]


def every_yaml_process() -> list[Path]:
    return sorted(p for folder in (YAML_FIXTURES, EXAMPLE) for p in folder.glob("*.yaml")
                  if SourceFile(p.name, p.read_bytes()).kind == "process_yaml")


def bpmn_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SPIFF / "bpmn" / "parser" / "schema" / "BPMN20.xsd")))


def dmn_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SPIFF / "dmn" / "parser" / "schema" / "DMN13.xsd")))
