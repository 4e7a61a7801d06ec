"""One YAML file through the pipeline: read, check, compile.

`read_unit` does everything the file alone allows (syntax, schema, references inside the
file, expressions) and never raises; `compile_unit` turns a unit without problems into
the XML files the engine deploys: ``<stem>.bpmn`` for a process, ``<stem>.dmn`` for a
decision file, and ``<decision id>.dmn`` for each decision table written inside a process
file. Each generated file remembers its YAML source and the YAML line of every element,
so problems found later in the XML (by the deployment or by SpiffWorkflow) are reported
on the YAML line a designer has to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from ...errors import DefinitionInvalid, Problem
from ..sources import SourceFile
from .compile_bpmn import compile_process
from .compile_dmn import compile_decision
from .lines import YamlSource, load_yaml
from .model import DecisionTable, ProcessModel
from .reading import build_decision, build_process
from .schema import schema_problems
from .validate import decision_problems, process_problems

PROCESS_KIND = "process_yaml"
DECISION_KIND = "decision_yaml"


@dataclass
class YamlUnit:
    """A YAML definition file, read and checked on its own."""

    file: SourceFile
    kind: Literal["process", "decision"]
    source: YamlSource
    problems: list[Problem]
    process: ProcessModel | None = None
    decisions: list[DecisionTable] = field(default_factory=list)


@dataclass(frozen=True)
class Generated:
    """A BPMN or DMN file compiled from `source`."""

    file: SourceFile
    source: SourceFile
    element_lines: dict[str, int]


def read_unit(file: SourceFile) -> YamlUnit:
    """Read and check a process or decision file (`file.kind` says which)."""
    kind: Literal["process", "decision"] = "decision" if file.kind == DECISION_KIND else "process"
    source = load_yaml(file.name, file.content)
    unit = YamlUnit(file, kind, source, list(source.problems))
    if not source.loaded:
        return unit
    unit.problems.extend(schema_problems(source, kind))
    if kind == "process":
        unit.process = build_process(source)
        unit.decisions = list(unit.process.decisions.values())
        unit.problems.extend(process_problems(unit.process))
    else:
        table = build_decision(source)
        unit.decisions = [table]
        unit.problems.extend(decision_problems(table))
    return unit


def compile_unit(unit: YamlUnit) -> list[Generated]:
    """The XML files of a unit that has no problems."""
    if unit.problems:
        raise DefinitionInvalid(unit.problems)
    generated = []
    if unit.process is not None:
        bpmn = compile_process(unit.process)
        generated.append(Generated(SourceFile(f"{unit.file.stem}.bpmn", bpmn.content), unit.file,
                                   bpmn.element_lines))
        for table in unit.decisions:
            dmn = compile_decision(table)
            generated.append(Generated(SourceFile(f"{table.id}.dmn", dmn.content), unit.file, dmn.element_lines))
    else:
        (table,) = unit.decisions
        dmn = compile_decision(table)
        generated.append(Generated(SourceFile(f"{unit.file.stem}.dmn", dmn.content), unit.file, dmn.element_lines))
    return generated


def locate(generated: Generated, problem: Problem) -> Problem:
    """`problem` (about the generated XML) moved to the YAML line the element came from.

    The element is the last one with a known id that starts at or before the problem's
    line; without a line the problem goes to the top of the YAML file.
    """
    line = 1
    if problem.line is not None:
        root = etree.fromstring(generated.file.content)
        best = 0
        for element in root.iter():
            element_id = element.get("id")
            if element_id in generated.element_lines and element.sourceline is not None \
                    and best <= element.sourceline <= problem.line:
                best = element.sourceline
                line = generated.element_lines[element_id]
    message = problem.message
    return Problem(generated.source.name, line, f"{message} (in the compiled {generated.file.name})")


def compile_source(file: SourceFile) -> list[Generated]:
    """Read, check and compile one YAML file on its own (no deployment context: forms,
    decision tables and called processes are not looked up). Raises `DefinitionInvalid`
    with every problem."""
    return compile_unit(read_unit(file))
