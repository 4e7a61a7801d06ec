"""The dialect rule (FEEL or Python cells), and the same results as SpiffWorkflow's DMN
engine on every DMN Flowdesk ships or tests with today: ``processes/*.dmn``, the test
fixtures, the decisions the YAML compiler writes, and the SpiffWorkflow files in the
corpus. SpiffWorkflow is run here only as the reference; the evaluator does not use it."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from flowdesk.engine.decisions import parse_decisions, read_decisions
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.definitions.yaml import compile_source
from lxml import etree

from tests.support.decisions import run, table
from tests.support.paths import CORPUS_CANDIDATES as _CANDIDATES
from tests.support.paths import FIXTURES, REPO

CORPUS = next((path for path in _CANDIDATES if path.is_dir()), None)


def _script_engine() -> Any:
    try:  # what Flowdesk runs SpiffWorkflow's DMN engine with today
        from flowdesk.engine.runtime.scripting import SandboxScriptEngine

        return SandboxScriptEngine()
    except ImportError:  # pragma: no cover - the runtime package moved
        from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

        return PythonScriptEngine()


def spiff_result(content: bytes, context: dict[str, Any]) -> tuple[list[str], dict[str, Any]] | Exception:
    """SpiffWorkflow 3.2's matched rule ids and result dict for a one-decision document."""
    from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
    from SpiffWorkflow.dmn.parser.DMNParser import DMNParser

    root = etree.fromstring(content)
    parser = DMNParser(None, root, {"dmn": root.nsmap[None]}, filename="x.dmn")
    parser.parse()
    engine = DMNEngine(parser.decision.decisionTables[0])
    task = SimpleNamespace(data=dict(context), workflow=SimpleNamespace(script_engine=_script_engine()),
                           task_spec=SimpleNamespace(bpmn_id="task", bpmn_name="task"))
    try:
        rules = engine.decide(task)
        return [r.id for r in rules], dict(engine.result(task))
    except Exception as exc:
        return exc


def _shipped() -> list[tuple[str, bytes]]:
    files = [(p.name, p.read_bytes()) for p in sorted((REPO / "processes").glob("*.dmn"))]
    files += [(p.name, p.read_bytes()) for p in sorted(FIXTURES.rglob("*.dmn"))]
    yaml_files = [*sorted((REPO / "processes").glob("*.yaml")), *sorted((FIXTURES / "yaml").glob("*.yaml")),
                  *sorted((REPO / "docs" / "examples").rglob("*.yaml"))]
    for path in yaml_files:
        source = SourceFile(path.name, path.read_bytes())
        if source.kind not in ("process_yaml", "decision_yaml") or b"decision" not in source.content:
            continue
        try:
            generated = compile_source(source)
        except Exception:
            continue
        files += [(g.file.name, g.file.content) for g in generated if g.file.name.endswith(".dmn")]
    if CORPUS is not None:
        for name in ("spiffworkflow_tests/business_rules.dmn", "spiff_sample_models/check-amounts.dmn",
                     "spiff_sample_models/check-amounts-doc.dmn", "spiff_sample_models/analyze-telephone-number.dmn"):
            if (CORPUS / name).exists():
                files.append((name, (CORPUS / name).read_bytes()))
    return files


SHIPPED = _shipped()
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_STRING = re.compile(r'"([^"]*)"')


def _candidates(texts: list[str]) -> list[Any]:
    numbers: set[Any] = set()
    words: set[Any] = set()
    for text in texts:
        for match in _STRING.findall(text):
            words.add(match)
        bare = _STRING.sub("", text)
        for match in _NUMBER.findall(bare):
            value = Decimal(match) if "." in match else int(match)
            numbers.update({value - 1, value, value + 1})
        if "True" in bare or "False" in bare:
            words.update({True, False})
    if numbers:
        return sorted(numbers)
    return sorted(words, key=repr) or [0, 5]


_VARIABLE = re.compile(r"""([A-Za-z_]\w*)(?:\[['"](\w+)['"]\])?""")


def _contexts(content: bytes) -> list[dict[str, Any]]:
    """Input combinations from the values the cells mention (numbers around each bound),
    for columns reading a variable or one key of one (``line['qty']``); computed columns
    are left to their expression."""
    root = etree.fromstring(content)
    ns = {"d": root.nsmap[None]}
    columns = root.findall(".//d:input", ns)
    rules = root.findall(".//d:rule", ns)
    targets, domains = [], []
    for index, column in enumerate(columns):
        expression = column.findtext("d:inputExpression/d:text", default="", namespaces=ns).strip()
        match = _VARIABLE.fullmatch(expression)
        if match is None:
            continue
        cells = [rule.findall("d:inputEntry", ns)[index].findtext("d:text", default="", namespaces=ns)
                 for rule in rules]
        targets.append((match[1], match[2]))
        domains.append(_candidates(cells))
    contexts = []
    for combo in list(itertools.product(*domains))[:400]:
        context: dict[str, Any] = {}
        for (name, key), value in zip(targets, combo, strict=True):
            if key is None:
                context[name] = value
            else:
                context.setdefault(name, {})[key] = value
        contexts.append(context)
    return contexts


def test_every_shipped_dmn_is_found():
    names = [name for name, _ in SHIPPED]
    assert "leave_approval.dmn" in names and "camunda_purchase_level.dmn" in names
    assert any(name.startswith("p2p_approval_routing") or "approval_routing" in name for name in names)
    assert len(names) >= 12


@pytest.mark.parametrize(("name", "content"), SHIPPED, ids=[name for name, _ in SHIPPED])
def test_same_results_as_spiffworkflow(name, content):
    model = parse_decisions(name, content)
    (decision_id,) = model.decision_ids
    contexts = _contexts(content)
    if name.startswith("spiff_sample_models/check-amounts"):
        contexts = [{"annual_salary": s, "invoiceAmount": a} for s in (12000, 60000) for a in (500, 1000, 5000)]
    if name.endswith("analyze-telephone-number.dmn"):
        contexts = [{"telephone": t, "lastName": n} for t in ("+1 7138686003", "8005425277", "555")
                    for n in ("Norris", "Smith")]
    assert contexts, name
    compared = 0
    for context in contexts:
        expected = spiff_result(content, context)
        if isinstance(expected, Exception):
            with pytest.raises(Exception):
                model.evaluate(decision_id, context)
            continue
        spiff_rules, spiff_data = expected
        result = model.evaluate(decision_id, context)
        assert result.variables() == spiff_data, (name, context)
        if spiff_rules:
            assert result.rule_ids[0] == spiff_rules[0], (name, context)
        if result.hit_policy == "COLLECT":
            assert list(result.rule_ids) == spiff_rules, (name, context)
        compared += 1
    assert compared >= 1


def test_the_dialect_of_each_shipped_file():
    dialects = {name: parse_decisions(name, content).dialect for name, content in SHIPPED}
    assert dialects["leave_approval.dmn"] == "python"  # Flowdesk's namespace
    # Flowdesk ran all of these with SpiffWorkflow, as Python; none needs FEEL
    assert set(dialects.values()) == {"python"}, dialects


def test_leave_approval_keeps_spiffworkflows_first_match_for_unique():
    content = (REPO / "processes" / "leave_approval.dmn").read_bytes()
    model = parse_decisions("leave_approval.dmn", content)
    result = model.evaluate("leave_approval", {"leave_type": "vacation", "days": 2})
    assert result.value == "auto" and result.rule_numbers == (2,)  # rule 3 matches too
    # the same table declared FEEL is strict
    strict = content.replace(b'namespace="https://flowdesk.dev/decisions"',
                             b'namespace="https://example.com" expressionLanguage="https://www.omg.org/spec/DMN/20191111/FEEL/"')
    with pytest.raises(Exception, match="UNIQUE"):
        parse_decisions("x.dmn", strict).evaluate("leave_approval", {"leave_type": "vacation", "days": 2})


@pytest.mark.parametrize(
    ("cells", "dialect"),
    [
        (['"a"', '"b"'], "python"),  # read the same in both: as SpiffWorkflow read it
        (["&lt;= 2", "&gt; 10"], "python"),
        (['"a", "b"', "[1..5]"], "feel"),  # a range: SpiffWorkflow could not have run it
        (['date("2020-01-01")', "-"], "python"),  # a call is Python too
        (["True", "-"], "python"),
        (["== 3", "-"], "python"),
        (["'a'", "-"], "python"),
        (['? in ["a", "b"]', "-"], "python"),  # the same in both
        (["x[-10:]", "-"], "python"),
        (["not x", "-"], "python"),
        (['x.startswith("a")', "-"], "python"),
        (["[1..5]", "-"], "feel"),
    ],
)
def test_undeclared_dialect_is_detected_from_the_cells(cells, dialect):
    rules = [([cell], ['"hit"']) for cell in cells]
    assert parse_decisions("x.dmn", table("FIRST", rules, language=None)).dialect == dialect


def test_declared_language_wins():
    rules = [(['"a", "b"'], ['"hit"'])]
    assert run(table("FIRST", rules, language="https://www.omg.org/spec/DMN/20191111/FEEL/"), x="b").value == "hit"
    # in Python the same cell is a tuple, compared with ==, as SpiffWorkflow does
    assert run(table("FIRST", rules, language="python"), x="b").value is None
    assert run(table("FIRST", [(["(1, 2)"], ['"hit"'])], language="python"), x=(1, 2)).value == "hit"
    content = table("FIRST", [(["&gt; 1"], ["x * 2"])], language="python")
    assert parse_decisions("x.dmn", content).dialect == "python"
    assert run(content, x=3).value == 6
    _, problems = read_decisions("x.dmn", table("FIRST", rules, language="javascript"))
    assert problems and "'javascript' is not supported" in problems[0].message


def test_juel_input_expressions():
    content = table("FIRST", [(["&gt; 1"], ['"big"'])]).replace(
        b"<inputExpression>", b'<inputExpression expressionLanguage="juel">').replace(
        b"<text>x</text></inputExpression>", b"<text>order.amount</text></inputExpression>")
    assert run(content, order={"amount": 5}).value == "big"


def _flowdesk(content: bytes) -> bytes:
    return content.replace(b'namespace="http://example.com"', b'namespace="https://flowdesk.dev/decisions"')


def test_python_cells_follow_spiffworkflows_rule():
    numbers = _flowdesk(table("COLLECT", [(["-"], ["''"]), (["? % 2 == 0"], ['"even"']), (["&gt;= 10"], [""])],
                              language=None))
    assert run(numbers, x=4).value == ["", "even"]
    assert run(numbers, x=12).value == ["", "even", ""]
    texts = _flowdesk(table("COLLECT", [(['in ["a", "b"]'], ['"ab"']), (['"c"'], ['"c"']), (["-"], ["0.5"])],
                            language=None))
    assert run(texts, x="a").value == ["ab", 0.5]  # Python numbers, as SpiffWorkflow gave them
    assert run(texts, x="c").rule_numbers == (2, 3)
