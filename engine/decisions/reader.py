"""DMN XML (1.1 to 1.5) to a `model`, with every expression translated to sandbox code.

The XML is parsed with entities, DTDs and network access off. Elements are matched by
local name in any DMN namespace (``http://www.omg.org/spec/DMN/20151101/dmn.xsd``,
``.../20180521/MODEL/``, ``.../20191111/MODEL/``, ``.../20211108/MODEL/``,
``.../20230324/MODEL/``); extension elements in other namespaces are ignored. Every
problem found (bad XML, unknown references, expressions that do not translate) is
collected with its file and line; nothing stops at the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from ..errors import Problem
from ..expressions import ExpressionError, check, translate_el
from ..expressions.feel.translate import expression_body, unary_tests_body
from . import model as m
from .dialect import FLOWDESK_NAMESPACE, JUEL, Dialect, choose_dialect, language_of, python_test

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False, load_dtd=False,
    dtd_validation=False,
)
_DMN_NAMESPACE = re.compile(r"^https?://www\.omg\.org/spec/DMN/\d{8}/(MODEL/?|dmn\d*\.xsd)$")
FEEL_WRAPPER = "_feel_eval(lambda E: {body})"
PYTHON_WRAPPER = "_feel_eval(lambda _feel_env: {body})"


def local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _is_dmn(element: etree._Element) -> bool:
    tag = element.tag
    return isinstance(tag, str) and bool(_DMN_NAMESPACE.match(etree.QName(tag).namespace or ""))


def children(element: etree._Element, name: str | None = None) -> list[etree._Element]:
    return [c for c in element if _is_dmn(c) and (name is None or local(c) == name)]


def child(element: etree._Element, name: str) -> etree._Element | None:
    found = children(element, name)
    return found[0] if found else None


def text_of(element: etree._Element | None) -> tuple[str, int | None]:
    """The text of an element's ``<text>`` child (or of the element itself), and its line."""
    if element is None:
        return "", None
    inner = child(element, "text")
    if inner is not None:
        return inner.text or "", inner.sourceline
    return (element.text or "") if not len(element) else "", element.sourceline


def href_id(element: etree._Element) -> str:
    href = element.get("href", "")
    return href.rsplit("#", 1)[-1]


@dataclass
class Reader:
    file: str
    root: etree._Element
    problems: list[Problem] = field(default_factory=list)
    known: frozenset[str] = frozenset()
    dialect: Dialect | None = None

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    # -- names and dialect --------------------------------------------------------------

    def collect_names(self) -> None:
        names: set[str] = set()
        for element in self.root.iter():
            if not _is_dmn(element):
                continue
            kind = local(element)
            if kind in ("inputData", "decision", "businessKnowledgeModel", "decisionService", "variable",
                        "formalParameter", "parameter", "itemComponent", "column") and element.get("name"):
                names.add(element.get("name", "").strip())
        self.known = frozenset(n for n in names if n)

    # -- expressions --------------------------------------------------------------------

    def language(self, element: etree._Element) -> str:
        assert self.dialect is not None
        return language_of(element, self.dialect)

    def cell_error(self, exc: ExpressionError, line: int | None, where: str) -> None:
        offset = (exc.line or 1) - 1
        self.problem(None if line is None else line + offset, f"{where}: {exc.detail}")

    def feel_expression(self, text: str, line: int | None, where: str, input_source: str | None = None
                        ) -> m.Cell | None:
        try:
            return m.Cell(text, line, expression_body(text, self.known, input_source))
        except ExpressionError as exc:
            self.cell_error(exc, line, where)
            return None

    def python_expression(self, text: str, line: int | None, where: str) -> m.Cell | None:
        try:
            check(text, "eval")
        except ExpressionError as exc:
            self.cell_error(exc, line, where)
            return None
        return m.Cell(text, line, f"({text.strip()})")

    def expression(self, element: etree._Element, where: str, empty: str = "None") -> m.Cell | None:
        """A literal expression element (text child), in its language."""
        text, line = text_of(element)
        if not text.strip():
            return m.Cell("", line, empty)
        return self.in_language(self.language(element), text, line, where)

    def in_language(self, language: str, text: str, line: int | None, where: str) -> m.Cell | None:
        if language == m.PYTHON:
            return self.python_expression(text, line, where)
        if language == JUEL:
            try:
                return m.Cell(text, line, f"({translate_el('${' + text.strip() + '}')})")
            except ExpressionError as exc:
                self.cell_error(exc, line, where)
                return None
        if language.startswith("unknown:"):
            self.problem(line, f"{where}: the expression language {language[8:]!r} is not supported "
                               "(use FEEL or Python)")
            return None
        return self.feel_expression(text, line, where)

    def boxed(self, element: etree._Element, where: str) -> m.Expression | None:
        """The boxed expression that is a child of `element` (a decision, a BKM's
        encapsulated logic, a context entry, a binding)."""
        for item in children(element):
            kind = local(item)
            if kind == "literalExpression":
                cell = self.expression(item, where)
                return None if cell is None else m.Literal(cell, self.language(item))
            if kind == "decisionTable":
                return self.table(item, where)
            if kind == "context":
                return self.context(item, where)
            if kind == "invocation":
                return self.invocation(item, where)
            if kind == "functionDefinition":
                return self.function(item, where)
            if kind == "list":
                items = [self.boxed_item(i, where) for i in children(item)]
                if any(i is None for i in items):
                    return None
                return m.ListExpression(tuple(items), item.sourceline)  # type: ignore[arg-type]
            if kind == "relation":
                return self.relation(item, where)
            if kind in ("conditional", "filter", "for", "every", "some"):
                self.problem(item.sourceline, f"{where}: the boxed expression '{kind}' is not supported")
                return None
        return None

    def boxed_item(self, element: etree._Element, where: str) -> m.Expression | None:
        """A boxed expression given as the element itself (a list item, a relation cell)."""
        return self.boxed(_Parentless(element), where)  # type: ignore[arg-type]

    def context(self, element: etree._Element, where: str) -> m.Context | None:
        entries = []
        ok = True
        for entry in children(element, "contextEntry"):
            variable = child(entry, "variable")
            name = variable.get("name") if variable is not None else None
            value = self.boxed(entry, f"{where}, context entry '{name or 'result'}'")
            if value is None:
                ok = False
                continue
            entries.append(m.ContextEntry(name, value))
        return m.Context(tuple(entries), element.sourceline) if ok else None

    def invocation(self, element: etree._Element, where: str) -> m.Invocation | None:
        target = self.boxed(element, f"{where}, invoked function")
        bindings = []
        ok = target is not None
        for binding in children(element, "binding"):
            parameter = child(binding, "parameter")
            name = parameter.get("name", "") if parameter is not None else ""
            value = self.boxed(binding, f"{where}, binding '{name}'")
            if value is None:
                value = m.Literal(m.Cell("", binding.sourceline, "None"), m.FEEL)
            bindings.append((name, value))
        return m.Invocation(target, tuple(bindings), element.sourceline) if ok else None  # type: ignore[arg-type]

    def function(self, element: etree._Element, where: str) -> m.FunctionDefinition | None:
        kind = element.get("kind", "FEEL")
        if kind.upper() != "FEEL":
            self.problem(element.sourceline, f"{where}: functions of kind {kind} are not supported")
            return None
        params = tuple(p.get("name", "") for p in children(element, "formalParameter"))
        body = self.boxed(element, where)
        return None if body is None else m.FunctionDefinition(params, body, element.sourceline)

    def relation(self, element: etree._Element, where: str) -> m.Relation | None:
        columns = tuple(c.get("name", "") for c in children(element, "column"))
        rows = []
        for row in children(element, "row"):
            cells = []
            for item in children(row):
                value = self.boxed_item(item, where)
                if value is None:
                    return None
                cells.append(value)
            rows.append(tuple(cells))
        return m.Relation(columns, tuple(rows), element.sourceline)

    # -- decision tables ------------------------------------------------------------------

    def table(self, element: etree._Element, where: str) -> m.Table | None:
        dialect = self.language(element)
        table_id = element.get("id", "")
        hit_policy = " ".join(element.get("hitPolicy", "UNIQUE").upper().replace("_", " ").split())
        aggregation = element.get("aggregation")
        aggregation = aggregation.upper() if aggregation else None
        ok = True
        if hit_policy not in m.HIT_POLICIES:
            self.problem(element.sourceline, f"{where}: unknown hit policy {hit_policy!r}")
            ok = False
        if aggregation is not None and (aggregation not in m.AGGREGATIONS or hit_policy != "COLLECT"):
            self.problem(element.sourceline, f"{where}: aggregation {aggregation} needs hit policy COLLECT and "
                                             f"one of {', '.join(m.AGGREGATIONS)}")
            ok = False
        columns: list[m.Column] = []
        for index, clause in enumerate(children(element, "input")):
            expression = child(clause, "inputExpression")
            label = clause.get("label") or (expression.get("name") if expression is not None else None)
            text, line = text_of(expression)
            column_where = f"{where}, input {index + 1} ({label or text.strip()!r})"
            language = self.language(expression if expression is not None else clause)
            if not text.strip():
                # SpiffWorkflow's fallback: the label names the variable
                if not label:
                    self.problem(clause.sourceline, f"{column_where}: an input needs an expression or a label")
                    ok = False
                env = "_feel_env" if dialect == m.PYTHON else "E"
                cell: m.Cell | None = m.Cell(label or "", clause.sourceline, f"{env}({(label or '')!r})")
            else:
                cell = self.in_language(language, text, line, column_where)
            if cell is None:
                ok = False
                cell = m.Cell(text, line, "None")
            columns.append(m.Column(label or text.strip() or f"input {index + 1}", cell))
        outputs: list[m.Output] = []
        for index, clause in enumerate(children(element, "output")):
            name = clause.get("name") or None
            output_where = f"{where}, output {index + 1} ({name or clause.get('label') or ''!r})"
            priorities = None
            values = child(clause, "outputValues")
            if values is not None and text_of(values)[0].strip():
                text, line = text_of(values)
                priorities = self.feel_expression(f"[{text}]", line, f"{output_where} output values")
            default = None
            default_element = child(clause, "defaultOutputEntry")
            if default_element is not None and text_of(default_element)[0].strip():
                default = self.expression(default_element, f"{output_where} default")
            outputs.append(m.Output(name, clause.get("label"), clause.get("typeRef"), priorities, default))
        if not outputs:
            self.problem(element.sourceline, f"{where}: a decision table needs at least one output")
            ok = False
        if aggregation is not None and len(outputs) > 1:
            self.problem(element.sourceline, f"{where}: aggregation {aggregation} needs a single output column")
            ok = False
        rules: list[m.Rule] = []
        for number, rule_element in enumerate(children(element, "rule"), start=1):
            rule = self.rule(rule_element, number, columns, len(outputs), dialect, where)
            if rule is None:
                ok = False
            else:
                rules.append(rule)
        if not ok:
            return None
        return _programs(table_id, element.sourceline, dialect, hit_policy, aggregation, columns, outputs, rules)

    def rule(self, element: etree._Element, number: int, columns: list[m.Column], outputs: int, dialect: str,
             where: str) -> m.Rule | None:
        rule_id = element.get("id", f"rule_{number}")
        rule_where = f"{where}, rule {number}"
        entries = children(element, "inputEntry")
        results = children(element, "outputEntry")
        ok = True
        if len(entries) != len(columns) or len(results) != outputs:
            self.problem(element.sourceline, f"{rule_where}: has {len(entries)} input and {len(results)} output "
                                             f"entries for {len(columns)} inputs and {outputs} outputs")
            return None
        tests: list[m.Cell] = []
        for index, entry in enumerate(entries):
            text, line = text_of(entry)
            source = f"_feel_in[{index}]"
            cell_where = f"{rule_where}, input {index + 1} ({columns[index].label!r})"
            if self.language(entry) == m.PYTHON:
                try:
                    code = python_test(text, source)
                except ExpressionError as exc:
                    self.cell_error(exc, line, cell_where)
                    ok = False
                    continue
                tests.append(m.Cell(text, line, code))
            else:
                try:
                    tests.append(m.Cell(text, line, unary_tests_body(text, source, self.known)))
                except ExpressionError as exc:
                    self.cell_error(exc, line, cell_where)
                    ok = False
        cells: list[m.Cell] = []
        for index, entry in enumerate(results):
            empty = "''" if self.language(entry) == m.PYTHON else "None"  # SpiffWorkflow: "" for an empty cell
            cell = self.expression(entry, f"{rule_where}, output {index + 1}", empty=empty)
            if cell is None:
                ok = False
            else:
                cells.append(cell)
        return m.Rule(number, rule_id, element.sourceline, tuple(tests), tuple(cells)) if ok else None

    # -- the document ---------------------------------------------------------------------

    def read(self) -> tuple[dict[str, m.Decision], dict[str, m.Knowledge], dict[str, str]]:
        self.collect_names()
        self.dialect = choose_dialect(self.root, _expression_texts(self.root))
        decisions: dict[str, m.Decision] = {}
        knowledge: dict[str, m.Knowledge] = {}
        inputs: dict[str, str] = {}
        for element in children(self.root):
            kind = local(element)
            element_id = element.get("id", "")
            variable = child(element, "variable")
            name = (variable.get("name") if variable is not None else None) or element.get("name") or element_id
            if kind == "inputData":
                inputs[element_id] = name
            elif kind == "decision":
                if not element_id:
                    self.problem(element.sourceline, "a decision without an id")
                    continue
                where = f"decision '{element_id}'"
                logic = self.boxed(element, where)
                requirements = children(element, "informationRequirement")
                required = tuple(href_id(r) for req in requirements for r in children(req, "requiredDecision"))
                required_inputs = tuple(href_id(r) for req in requirements for r in children(req, "requiredInput"))
                used = tuple(href_id(r) for req in children(element, "knowledgeRequirement")
                             for r in children(req, "requiredKnowledge"))
                decisions[element_id] = m.Decision(element_id, name, element.sourceline, logic, required,
                                                   required_inputs, used)
            elif kind == "businessKnowledgeModel":
                where = f"business knowledge model '{element_id}'"
                logic = child(element, "encapsulatedLogic")
                params = tuple(p.get("name", "") for p in children(logic, "formalParameter")) if logic is not None \
                    else ()
                body = self.boxed(logic, where) if logic is not None else None
                used = tuple(href_id(r) for req in children(element, "knowledgeRequirement")
                             for r in children(req, "requiredKnowledge"))
                knowledge[element_id] = m.Knowledge(element_id, name, element.sourceline, params, body, used)
        self.check_references(decisions, knowledge, inputs)
        return decisions, knowledge, inputs

    def check_references(self, decisions: dict[str, m.Decision], knowledge: dict[str, m.Knowledge],
                         inputs: dict[str, str]) -> None:
        for decision in decisions.values():
            for required in decision.required_decisions:
                if required not in decisions:
                    self.problem(decision.line, f"decision '{decision.id}' requires the unknown decision '{required}'")
            for used in decision.knowledge:
                if used not in knowledge:
                    self.problem(decision.line, f"decision '{decision.id}' requires the unknown business "
                                                f"knowledge model '{used}'")
        # cycles among required decisions
        state: dict[str, int] = {}

        def visit(decision_id: str, path: list[str]) -> None:
            if state.get(decision_id) == 2 or decision_id not in decisions:
                return
            if state.get(decision_id) == 1:
                cycle = " -> ".join([*path[path.index(decision_id):], decision_id])
                self.problem(decisions[decision_id].line, f"required decisions form a cycle: {cycle}")
                return
            state[decision_id] = 1
            for required in decisions[decision_id].required_decisions:
                visit(required, [*path, decision_id])
            state[decision_id] = 2

        for decision_id in decisions:
            visit(decision_id, [])


class _Parentless:
    """Presents one element as the only child of a wrapper, for `Reader.boxed`."""

    def __init__(self, element: etree._Element) -> None:
        self.element = element

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter([self.element])


def _expression_texts(root: etree._Element) -> list[str]:
    found = []
    for element in root.iter():
        if _is_dmn(element) and local(element) == "text" and element.text and element.text.strip():
            parent = element.getparent()
            if parent is not None and local(parent) not in ("allowedValues", "inputValues", "outputValues",
                                                            "typeRef"):
                found.append(element.text)
    return found


def _numbered(items: Iterable[str]) -> tuple[str, list[int]]:
    """Items of a Python list, one per line; returns the text and each item's first line
    (the program's first line is the wrapper)."""
    lines: list[int] = []
    parts: list[str] = []
    line = 2
    for item in items:
        lines.append(line)
        parts.append(item + ",\n")
        line += item.count("\n") + 1
    return "[\n" + "".join(parts) + "]", lines


def _programs(table_id: str, line: int | None, dialect: str, hit_policy: str, aggregation: str | None,
              columns: list[m.Column], outputs: list[m.Output], rules: list[m.Rule]) -> m.Table:
    wrapper = FEEL_WRAPPER if dialect == m.FEEL else PYTHON_WRAPPER
    inputs_list, _ = _numbered(c.cell.code for c in columns)
    inputs_program = wrapper.format(body=inputs_list)
    first_hit = hit_policy == "FIRST" or (hit_policy == "UNIQUE" and dialect == m.PYTHON)
    parts = []
    for rule in rules:
        tests = [t.code for t in rule.tests if t.code != "True"]
        prefix = "lambda: " if first_hit else ""
        if not tests:
            parts.append(prefix + "True,\n")
            continue
        pieces = [("(" if position == 0 else " and (") + code + ")\n" for position, code in enumerate(tests)]
        parts.append(prefix + "(\n" + "".join(pieces) + "),\n")
    text = ("_feel_first(\n" if first_hit else "[\n") + "".join(parts) + (")" if first_hit else "]")
    match_lines = _locate_cells(text, rules)
    match_program = wrapper.format(body=text)
    output_programs = tuple(wrapper.format(body=_numbered(c.code for c in rule.outputs)[0]) for rule in rules)
    defaults_program = None
    if any(o.default is not None for o in outputs):
        defaults = [o.default.code if o.default is not None else "None" for o in outputs]
        defaults_program = wrapper.format(body=_numbered(defaults)[0])
    priorities_program = None
    if any(o.priorities is not None for o in outputs):
        lists = [o.priorities.code if o.priorities is not None else "None" for o in outputs]
        priorities_program = FEEL_WRAPPER.format(body=_numbered(lists)[0])
    return m.Table(
        table_id, line, dialect, hit_policy, aggregation, tuple(columns), tuple(outputs), tuple(rules),
        inputs_program, match_program, first_hit, output_programs, defaults_program, priorities_program,
        tuple(match_lines),
    )


def _locate_cells(text: str, rules: list[m.Rule]) -> list[tuple[int, int]]:
    """For each line of the match program: which rule and input it holds (input 999: the
    rule's own line). The program's first line is the wrapper, so lines start at 2."""
    located: list[tuple[int, int]] = []
    line = 2
    for rule_index, rule in enumerate(rules):
        tests = [(i, t.code) for i, t in enumerate(rule.tests) if t.code != "True"]
        if not tests:
            located.append((line, rule_index * 1000 + 999))
            line += 1
            continue
        located.append((line, rule_index * 1000 + 999))
        line += 1
        for input_index, code in tests:
            located.append((line, rule_index * 1000 + input_index))
            line += code.count("\n") + 1
        line += 1
    return located


def read_document(file: str, content: bytes) -> tuple[Reader | None, dict, dict, dict]:
    try:
        root = etree.fromstring(content, parser=_PARSER)
    except etree.XMLSyntaxError as err:
        reader = Reader(file, etree.Element("x"))
        reader.problem(err.lineno or None, f"not well-formed XML: {err.msg}")
        return reader, {}, {}, {}
    reader = Reader(file, root)
    if local(root) != "definitions" or not _is_dmn(root):
        namespace = etree.QName(root.tag).namespace if isinstance(root.tag, str) else None
        reader.problem(root.sourceline, f"not a DMN document: the root is <{local(root)}> in namespace {namespace!r}")
        return reader, {}, {}, {}
    decisions, knowledge, inputs = reader.read()
    return reader, decisions, knowledge, inputs


__all__ = ["FLOWDESK_NAMESPACE", "read_document"]
