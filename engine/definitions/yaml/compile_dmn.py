"""A YAML decision table as a DMN 1.3 document SpiffWorkflow evaluates.

One decision per document, because that is what SpiffWorkflow's DMN parser reads. Input
columns keep their expression and label; output columns are named after the variables
they set; each rule's cells are translated by `cells` and a rule's ``note`` becomes its
description. Hit policies map one to one (``unique``, ``first``, ``collect``). The file
is deterministic, so an unchanged table never creates a new version.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .cells import input_entry, output_entry
from .model import DecisionTable
from .naming import IdAllocator

DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"
NAMESPACE = "https://flowdesk.dev/decisions"


def _d(tag: str) -> str:
    return f"{{{DMN}}}{tag}"


@dataclass(frozen=True)
class CompiledDmn:
    content: bytes
    element_lines: dict[str, int]


def compile_decision(table: DecisionTable) -> CompiledDmn:
    ids = IdAllocator([table.id])
    lines: dict[str, int] = {table.id: table.line}

    def allocate(base: str, line: int) -> str:
        element_id = ids.allocate(base)
        lines[element_id] = line
        return element_id

    root = etree.Element(_d("definitions"), nsmap={None: DMN})
    root.set("id", allocate(f"{table.id}_definitions", table.line))
    root.set("name", table.title)
    root.set("namespace", NAMESPACE)
    decision = etree.SubElement(root, _d("decision"), id=table.id, name=table.title)
    if table.documentation:
        etree.SubElement(decision, _d("description")).text = table.documentation.strip()
    grid = etree.SubElement(decision, _d("decisionTable"), id=allocate(f"{table.id}_table", table.line),
                            hitPolicy=table.hit_policy.upper())
    for column in table.inputs:
        clause = etree.SubElement(grid, _d("input"), id=allocate(f"input_{column.id}", column.line),
                                  label=column.label)
        expression = etree.SubElement(clause, _d("inputExpression"),
                                      id=allocate(f"input_{column.id}_expression", column.line))
        etree.SubElement(expression, _d("text")).text = column.expression
    for output in table.outputs:
        etree.SubElement(grid, _d("output"), id=allocate(f"output_{output.name}", output.line),
                         label=output.label, name=output.name)
    for number, rule in enumerate(table.rules, start=1):
        element = etree.SubElement(grid, _d("rule"), id=allocate(f"rule_{number}", rule.line))
        if rule.note:
            etree.SubElement(element, _d("description")).text = rule.note
        for column in table.inputs:
            cell = rule.when.get(column.id)
            entry = etree.SubElement(element, _d("inputEntry"),
                                     id=allocate(f"rule_{number}_{column.id}", cell.line if cell else rule.line))
            etree.SubElement(entry, _d("text")).text = input_entry(cell.value if cell else None)
        for output in table.outputs:
            cell = rule.then.get(output.name)
            entry = etree.SubElement(element, _d("outputEntry"),
                                     id=allocate(f"rule_{number}_{output.name}", cell.line if cell else rule.line))
            etree.SubElement(entry, _d("text")).text = output_entry(cell.value if cell else None)
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return CompiledDmn(content, lines)
