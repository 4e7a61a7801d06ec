"""DMN 1.1 as Camunda 7 writes it names its namespace ``.../20151101/dmn11.xsd`` (the
specification's own is ``.../dmn.xsd``): both are read as DMN."""

from __future__ import annotations

import pytest
from flowdesk.engine.decisions import parse_decisions
from flowdesk.engine.errors import DefinitionInvalid

DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="{namespace}" id="d" name="camunda" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="check" name="Check">
    <decisionTable id="table">
      <input id="i"><inputExpression id="ie" typeRef="integer"><text>amount</text></inputExpression></input>
      <output id="o" name="result"/>
      <rule id="r1"><inputEntry id="e1"><text>&lt; 100</text></inputEntry><outputEntry id="o1"><text>"small"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>&gt;= 100</text></inputEntry><outputEntry id="o2"><text>"large"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


@pytest.mark.parametrize("namespace", ["http://www.omg.org/spec/DMN/20151101/dmn11.xsd",
                                       "http://www.omg.org/spec/DMN/20151101/dmn.xsd"])
def test_dmn_1_1_namespaces_are_read(namespace):
    model = parse_decisions("check.dmn", DOCUMENT.format(namespace=namespace).encode())
    assert model.evaluate("check", {"amount": 120}).value == "large"
    assert model.evaluate("check", {"amount": 5}).value == "small"


def test_a_document_in_another_namespace_is_still_refused():
    with pytest.raises(DefinitionInvalid) as err:
        parse_decisions("check.dmn", DOCUMENT.format(namespace="http://example.com/not-dmn").encode())
    (problem,) = err.value.problems
    assert problem.line == 2 and "not a DMN document" in problem.message
