"""The DMN TCK models in the shared corpus, case by case.

Each ``*-test-NN.xml`` names a model and lists test cases: input values by input-data
name (values, components, lists, nil) and the expected result of decisions by name.
Every case must give exactly its expected results; numbers are compared to 12
significant digits (the TCK's expected values were computed in binary floating point,
Flowdesk computes in 34-digit decimals). Skipped when the corpus is absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flowdesk.engine.decisions import parse_decisions
from flowdesk.engine.expressions.feel.values import (
    YearsMonths,
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_time,
)
from lxml import etree

from tests.support.paths import CORPUS_CANDIDATES as _CANDIDATES

TCK = next((path / "dmn_tck" for path in _CANDIDATES if (path / "dmn_tck").is_dir()), None)
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True)
class Case:
    model: Path
    id: str
    inputs: dict[str, Any]
    expected: dict[str, Any]


def _local(element: Any) -> str:
    return etree.QName(element).localname


def _value(element: Any) -> Any:
    """A TCK value element (<value>, <component>-holder, <list>) as a Python value."""
    kids = [k for k in element if isinstance(k.tag, str)]
    components = [k for k in kids if _local(k) == "component"]
    if components:
        return {c.get("name"): _value(c) for c in components}
    lists = [k for k in kids if _local(k) == "list"]
    if lists:
        return [_value(item) for item in lists[0] if isinstance(item.tag, str)]
    values = [k for k in kids if _local(k) == "value"]
    if values:
        return _scalar(values[0])
    if _local(element) == "value":
        return _scalar(element)
    return None


def _scalar(element: Any) -> Any:
    if element.get(f"{{{XSI}}}nil") == "true":
        return None
    kind = (element.get(f"{{{XSI}}}type") or "").split(":")[-1]
    text = element.text or ""
    if kind == "decimal" or kind in ("double", "int", "integer", "long"):
        return Decimal(text.strip())
    if kind == "boolean":
        return text.strip() == "true"
    if kind == "date":
        return parse_date(text)
    if kind == "dateTime":
        return parse_date_and_time(text)
    if kind == "time":
        return parse_time(text)
    if kind == "duration":
        return parse_duration(text)
    return text


def _cases() -> list[Case]:
    if TCK is None:
        return []
    cases = []
    for file in sorted(TCK.glob("*-test-*.xml")):
        root = etree.parse(str(file)).getroot()
        model_name = next(e.text for e in root if isinstance(e.tag, str) and _local(e) == "modelName")
        for case in (e for e in root if isinstance(e.tag, str) and _local(e) == "testCase"):
            inputs = {n.get("name"): _value(n) for n in case if isinstance(n.tag, str) and _local(n) == "inputNode"}
            expected = {}
            for node in (n for n in case if isinstance(n.tag, str) and _local(n) == "resultNode"):
                holder = next(k for k in node if isinstance(k.tag, str) and _local(k) == "expected")
                expected[node.get("name")] = _value(holder)
            cases.append(Case(TCK / model_name, f"{file.stem}:{case.get('id')}", inputs, expected))
    return cases


def same(actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    if isinstance(expected, Decimal):
        if isinstance(actual, bool) or not isinstance(actual, int | Decimal):
            return False
        a, e = Decimal(actual), expected
        return a == e or abs(a - e) <= abs(e) * Decimal("1e-12")
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            same(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and actual.keys() == expected.keys() and all(
            same(actual[k], v) for k, v in expected.items())
    if isinstance(expected, datetime | date | time | timedelta | YearsMonths | bool | str):
        return type(actual) is type(expected) and actual == expected
    return actual == expected


CASES = _cases()
_MODELS: dict[Path, Any] = {}


def _model(path: Path) -> Any:
    if path not in _MODELS:
        _MODELS[path] = parse_decisions(path.name, path.read_bytes())
    return _MODELS[path]


@pytest.mark.skipif(TCK is None, reason="shared corpus (dmn_tck) not present")
def test_the_corpus_has_the_tck_cases():
    assert len(CASES) >= 40
    assert len({c.model for c in CASES}) == 8


@pytest.mark.skipif(TCK is None, reason="shared corpus (dmn_tck) not present")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_tck_case(case: Case):
    model = _model(case.model)
    for name, expected in case.expected.items():
        result = model.evaluate(model.decision_id(name), case.inputs)
        assert same(result.value, expected), f"{name}: got {result.value!r}, expected {expected!r}"
