"""What the conformance runner reads from a model before driving it.

The runner is a client of the HTTP API; it reads the BPMN files it deploys the way a
tester reads a diagram: which processes start how, which events wait for which message or
signal (and with which correlation), and which data the gateways decide on. Conditions
are read after Flowdesk's own dialect translation (`translate_document`), so FEEL, JUEL and
Python conditions all come out as one language (sandbox Python) whose syntax tree says
which variables a condition reads and which values make it true.
"""

from __future__ import annotations

import ast
import copy
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from flowdesk.engine.definitions.dialects import executable_process_ids, translate_document
from flowdesk.engine.runtime.mappings import DIRECTIVE, steps_of

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def _b(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def _local(node: Any) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


@dataclass
class Catch:
    """An element that waits for a message or a signal."""

    element_id: str
    kind: str  # message | signal
    name: str
    where: str  # intermediate | receive | boundary | subprocess | gateway | start
    correlations: list[tuple[str, str]] = field(default_factory=list)  # (property, sandbox Python)
    payload: list[str] = field(default_factory=list)  # what the message must carry (correlation properties)


@dataclass
class Start:
    kind: str  # plain | message | signal | timer
    name: str | None = None


@dataclass
class Hints:
    """Everything read from the models of one folder."""

    # variable path -> [(value, rank)]: values that make some condition true, with the
    # distance from the flow they open to an end event (lower is tried first)
    values: dict[str, list[tuple[Any, int]]] = field(default_factory=lambda: defaultdict(list))
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    kinds: dict[str, str] = field(default_factory=dict)  # variable -> datetime | duration | cycle
    collections: dict[str, str | None] = field(default_factory=dict)  # collection -> element variable
    catches: dict[str, Catch] = field(default_factory=dict)
    gateways: dict[str, list[str]] = field(default_factory=dict)  # event-based gateway -> catching targets
    starts: dict[tuple[str, str], list[Start]] = field(default_factory=lambda: defaultdict(list))  # (file, key)
    executable: dict[str, list[str]] = field(default_factory=dict)  # file name -> process keys
    calls: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # file -> called keys
    defines: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # file -> process keys

    def ordered(self, path: str) -> list[Any]:
        seen: list[Any] = []
        for value, _rank in sorted(self.values.get(path, ()), key=lambda item: item[1]):
            if not any(type(value) is type(v) and value == v for v in seen):
                seen.append(value)
        return seen


def read_folder(paths: list[Path], decisions: list[Path] = ()) -> Hints:
    hints = Hints()
    for path in paths:
        read_file(path, hints)
    for path in decisions:
        read_decisions(path, hints)
    return hints


def read_file(path: Path, hints: Hints) -> None:
    try:
        root = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True,
                                                                  remove_comments=True))
    except etree.XMLSyntaxError:
        return
    name = path.name
    original = copy.deepcopy(root)
    keys = executable_process_ids(original)
    hints.executable[name] = keys
    for process in original.findall(_b("process")):
        hints.defines[name].add(process.get("id"))
    for element in original.iter(_b("callActivity")):
        called = element.get("calledElement")
        ext = element.find(_b("extensionElements"))
        zeebe = ext.find(f"{{{ZEEBE}}}calledElement") if ext is not None else None
        if zeebe is not None and zeebe.get("processId"):
            called = zeebe.get("processId")
        if called:
            hints.calls[name].add(called.strip())
    try:
        translate_document(name, root)
    except Exception:
        return
    messages = {m.get("id"): m.get("name") or m.get("id") for m in root.iter(_b("message"))}
    signals = {s.get("id"): s.get("name") or s.get("id") for s in root.iter(_b("signal"))}
    processes = {p.get("id"): p for p in root.findall(_b("process"))}
    for key in keys:
        process = processes.get(key)
        if process is None:
            continue
        _starts(process, (name, key), messages, signals, hints)
        _catches(process, messages, signals, hints)
        _conditions(process, hints)
        _data(process, hints)


def _starts(process: Any, key: tuple[str, str], messages: dict, signals: dict, hints: Hints) -> None:
    for start in process.findall(_b("startEvent")):
        message = start.find(_b("messageEventDefinition"))
        signal = start.find(_b("signalEventDefinition"))
        timer = start.find(_b("timerEventDefinition"))
        if message is not None:
            ref = message.get("messageRef")
            hints.starts[key].append(Start("message", messages.get(ref, ref) if ref else start.get("name")))
        elif signal is not None:
            ref = signal.get("signalRef")
            hints.starts[key].append(Start("signal", signals.get(ref, ref) if ref else start.get("name")))
        elif timer is not None:
            hints.starts[key].append(Start("timer"))
        elif start.find(_b("conditionalEventDefinition")) is None:
            hints.starts[key].append(Start("plain"))


def _where(node: Any, process: Any) -> str:
    kind = _local(node)
    if kind == "receiveTask":
        return "receive"
    if kind == "boundaryEvent":
        return "boundary"
    if kind == "startEvent":
        return "subprocess" if node.getparent() is not process else "start"
    incoming = {f.get("sourceRef") for f in node.getparent().findall(_b("sequenceFlow"))
                if f.get("targetRef") == node.get("id")}
    gateways = {g.get("id") for g in node.getparent().findall(_b("eventBasedGateway"))}
    return "gateway" if incoming & gateways else "intermediate"


def _catches(process: Any, messages: dict, signals: dict, hints: Hints) -> None:
    for gateway in process.iter(_b("eventBasedGateway")):
        scope = gateway.getparent()
        hints.gateways[gateway.get("id")] = [f.get("targetRef") for f in scope.findall(_b("sequenceFlow"))
                                             if f.get("sourceRef") == gateway.get("id")]
    for node in process.iter():
        kind = _local(node)
        if kind not in ("intermediateCatchEvent", "boundaryEvent", "receiveTask", "startEvent"):
            continue
        if kind == "startEvent" and node.getparent() is process:
            continue
        definition = node if kind == "receiveTask" else node.find(_b("messageEventDefinition"))
        if definition is not None and (kind != "receiveTask" or node.get("messageRef")):
            ref = definition.get("messageRef")
            catch = Catch(node.get("id"), "message", messages.get(ref, ref) if ref else node.get("name") or "",
                          _where(node, process))
            catch.payload = sorted(_message_paths(node.getroottree().getroot(), ref))
            for correlation in node.iter(f"{{{SPIFF}}}processVariableCorrelation"):
                prop = correlation.find(f"{{{SPIFF}}}propertyId")
                expression = correlation.find(f"{{{SPIFF}}}expression")
                if prop is not None and expression is not None and prop.text and expression.text:
                    catch.correlations.append((prop.text.strip(), expression.text.strip()))
            hints.catches[node.get("id")] = catch
            continue
        signal = node.find(_b("signalEventDefinition"))
        if signal is not None:
            ref = signal.get("signalRef")
            hints.catches[node.get("id")] = Catch(node.get("id"), "signal",
                                                  signals.get(ref, ref) if ref else node.get("name") or "",
                                                  _where(node, process))


def _message_paths(root: Any, message_ref: str | None) -> set[str]:
    """Variables a message's correlation properties read from its payload."""
    found: set[str] = set()
    for expression in root.iter(_b("correlationPropertyRetrievalExpression")):
        if expression.get("messageRef") != message_ref:
            continue
        path = expression.find(_b("messagePath"))
        if path is not None and (path.text or "").strip():
            try:
                found |= _names(ast.parse(path.text.strip(), mode="eval"))
            except SyntaxError:
                continue
    return found


# -- conditions ---------------------------------------------------------------------------------
def _distances(scope: Any) -> dict[str, int]:
    """Element id -> the fewest flows to an end event (ignoring conditions)."""
    flows = [f for f in scope.iter(_b("sequenceFlow"))]
    ends = {e.get("id") for e in scope.iter(_b("endEvent"))}
    back: dict[str, list[str]] = defaultdict(list)
    for flow in flows:
        back[flow.get("targetRef")].append(flow.get("sourceRef"))
    distance = {end: 0 for end in ends}
    queue = list(ends)
    while queue:
        current = queue.pop(0)
        for source in back.get(current, ()):
            if source not in distance:
                distance[source] = distance[current] + 1
                queue.append(source)
    return distance


def _conditions(process: Any, hints: Hints) -> None:
    distance = _distances(process)
    for flow in process.iter(_b("sequenceFlow")):
        condition = flow.find(_b("conditionExpression"))
        if condition is None or not (condition.text or "").strip():
            continue
        rank = distance.get(flow.get("targetRef"), 50)
        _learn(condition.text, hints, rank)
    for tag in ("completionCondition", "condition", "loopCondition"):
        for node in process.iter(_b(tag)):
            if (node.text or "").strip():
                _learn(node.text, hints, 60)


def _learn(source: str, hints: Hints, rank: int) -> None:
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return
    _Reader(hints, rank).truth(tree.body, True)
    hints.reads.update(_names(tree))


def _names(tree: ast.AST) -> set[str]:
    """Paths an expression reads (``a``, ``a.b``), the longest of each."""
    found = set()
    for node in ast.walk(tree):
        path = _path(node)
        if path:
            found.add(path)
    lambdas = {arg.arg for node in ast.walk(tree) if isinstance(node, ast.Lambda) for arg in node.args.args}
    locals_ = lambdas | {n.id for node in ast.walk(tree) if isinstance(node, ast.comprehension)
                         for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    from flowdesk.engine.expressions.builtins import BUILTINS

    ignored = locals_ | {"E", "True", "False", "None"} | set(BUILTINS)
    return {p for p in found if p.split(".")[0] not in ignored and not any(q.startswith(p + ".") for q in found)}


def _path(node: ast.AST) -> str | None:
    """The variable (path) an expression reads, if it is one."""
    if isinstance(node, ast.Name) and not node.id.startswith("_") and node.id not in ("E",):
        return node.id
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name == "E" and len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
            return str(node.args[0].value)
        if name in ("_feel_path", "_el_call") and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
            inner = _path(node.args[0])
            return f"{inner}.{node.args[1].value}" if inner else None
        if name == "_feel_main" and node.args and isinstance(node.args[0], ast.Lambda):
            return _path(node.args[0].body)
    if isinstance(node, ast.Attribute):
        inner = _path(node.value)
        return f"{inner}.{node.attr}" if inner else None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        inner = _path(node.value)
        return f"{inner}.{node.slice.value}" if inner else None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and type(node.slice.value) is int \
            and 0 <= node.slice.value < 100:  # an item of a list: `orders[1].price` (see data._put)
        inner = _path(node.value)
        return f"{inner}[{node.slice.value}]" if inner else None
    return None


def _constant(node: ast.AST) -> tuple[bool, Any]:
    if isinstance(node, ast.Constant):
        return True, node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return True, -node.operand.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_feel_num" and node.args:
        ok, value = _constant(node.args[0])
        if ok:
            try:
                return True, float(value) if "." in str(value) else int(value)
            except ValueError:
                return False, None
    if isinstance(node, ast.List | ast.Tuple):
        items = [_constant(e) for e in node.elts]
        if all(ok for ok, _ in items):
            return True, [v for _, v in items]
    return False, None


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!=", "=": "="}
_PY_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
           ast.In: "in", ast.NotIn: "not in", ast.Is: "==", ast.IsNot: "!="}


class _Reader:
    """Values that make a condition come out `want` (True or False)."""

    def __init__(self, hints: Hints, rank: int) -> None:
        self.hints = hints
        self.rank = rank

    def add(self, path: str, value: Any) -> None:
        self.hints.values[path].append((value, self.rank))

    def truth(self, node: ast.AST, want: bool) -> None:
        path = _path(node)
        if path is not None:
            self.add(path, want)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.truth(node.operand, not want)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.truth(value, want)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            op = _PY_OPS.get(type(node.ops[0]))
            if op is not None:
                self.compare(op, node.left, node.comparators[0], want)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name, args = node.func.id, node.args
            if name == "_feel_main" and args and isinstance(args[0], ast.Lambda):
                self.truth(args[0].body, want)
            elif name == "_feel_cmp" and len(args) == 3 and isinstance(args[0], ast.Constant):
                self.compare("==" if args[0].value == "=" else args[0].value, args[1], args[2], want)
            elif name in ("_feel_and", "_feel_or"):
                for arg in args:
                    self.truth(arg, want)
            elif name == "_feel_call" and args and isinstance(args[0], ast.Constant) and args[0].value == "not":
                for arg in args[1:]:
                    self.truth(arg, not want)
            elif name in ("_feel_some", "_feel_every") and len(args) >= 3:
                self.quantified(node, want)
            elif name == "empty" and args:
                path = _path(args[0])
                if path:
                    self.add(path, "" if want else "x")

    def quantified(self, node: ast.Call, want: bool) -> None:
        """``some item in cargo satisfies not(item.is_legal)``: the collection gets one item
        with the values the test needs."""
        names, domains = node.args[1], node.args[2]
        if not (isinstance(names, ast.Tuple) and isinstance(domains, ast.Tuple) and names.elts and domains.elts):
            return
        item = names.elts[0].value if isinstance(names.elts[0], ast.Constant) else None
        domain = domains.elts[0]
        collection = _path(domain.body) if isinstance(domain, ast.Lambda) else None
        body = node.args[3] if len(node.args) > 3 else None
        if not item or not collection or not isinstance(body, ast.Lambda):
            return
        inner = Hints()
        _Reader(inner, self.rank).truth(body.body, want)
        element: dict[str, Any] = {}
        for path, values in inner.values.items():
            parts = path.split(".")
            if parts[0] == item and len(parts) > 1 and values:
                element[".".join(parts[1:])] = values[0][0]
        self.add(collection, [_nest(element)] if element else [])

    def compare(self, op: str, left: ast.AST, right: ast.AST, want: bool) -> None:
        path, (ok, value) = _path(left), _constant(right)
        if path is None or not ok:
            path, (ok, value) = _path(right), _constant(left)
            op = _FLIP.get(op, op)
        if path is None or not ok:
            self._between_variables(op, _path(left), _path(right), want)
            return
        if op in ("in", "not in"):
            members = value if isinstance(value, list) else [value]
            positive = (op == "in") == want
            for member in members if positive else ():
                self.add(path, member)
            if not positive:
                self.add(path, _other(members[0] if members else "x"))
            return
        if op == "==":
            self.add(path, value if want else _other(value))
            return
        if op == "!=":
            self.add(path, _other(value) if want else value)
            return
        if not isinstance(value, int | float) or isinstance(value, bool):
            if isinstance(value, str):  # dates and text compared in order
                self.add(path, value)
            return
        above, below = value + 1, value - 1
        if op in (">", ">="):
            self.add(path, above if want else below)
        else:
            self.add(path, below if want else above)
        if op in (">=", "<="):
            self.add(path, value)


    def _between_variables(self, op: str, left: str | None, right: str | None, want: bool) -> None:
        """Two variables compared (``loopAmount != totalLoops``): numbers that make the
        comparison come out as wanted (the model may overwrite the ones it computes)."""
        pairs = {"==": ((1, 1), (1, 2)), "!=": ((1, 2), (1, 1)), "<": ((1, 2), (2, 1)), "<=": ((1, 2), (2, 1)),
                 ">": ((2, 1), (1, 2)), ">=": ((2, 1), (1, 2))}
        if left is None or right is None or left == right or op not in pairs:
            return
        first, second = pairs[op][0 if want else 1]
        self.add(left, first)
        self.add(right, second)


def _other(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if value is None:
        return "x"
    if isinstance(value, str):
        return f"not {value}" if value else "x"
    return None


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for path, value in flat.items():
        target = result
        parts = path.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return result


# -- data the model reads and writes ------------------------------------------------------------
def _data(process: Any, hints: Hints) -> None:
    for node in process.iter():
        kind = _local(node)
        if kind in ("script", "preScript", "postScript", "bodyPreScript", "bodyPostScript") and node.text:
            _script(node.text, hints)
        elif kind == "multiInstanceLoopCharacteristics":
            ref = node.find(_b("loopDataInputRef"))
            item = node.find(_b("inputDataItem"))
            if ref is not None and ref.text:
                hints.collections[ref.text.strip()] = item.get("id") if item is not None else None
        elif kind in ("timeDate", "timeDuration", "timeCycle") and node.text:
            try:
                tree = ast.parse(node.text.strip(), mode="eval")
            except SyntaxError:
                continue
            for path in _names(tree):
                hints.reads.add(path)
                hints.kinds[path] = {"timeDate": "datetime", "timeDuration": "duration",
                                     "timeCycle": "cycle"}[kind]
        elif kind == "parameter" and node.get("value"):
            _expression_reads(node.get("value"), hints)
        elif kind == "humanTask":
            for value in node.attrib.values():
                if value.startswith("="):
                    _expression_reads(value[1:], hints)
        elif kind == "decisionResult" and node.get("variable"):
            hints.writes.add(node.get("variable"))
        elif kind == "serviceTaskOperator" and node.get("resultVariable"):
            hints.writes.add(node.get("resultVariable"))


def _script(text: str, hints: Hints) -> None:
    if text.startswith(DIRECTIVE):
        for step in steps_of(text):
            if step[0] in ("set", "local") and step[2] is not None:
                # passing a variable on under its own name writes nothing new; an input mapping
                # (local) is the element's own and leaves the process's variable unwritten
                if step[0] == "set" and step[2] != step[1]:
                    hints.writes.add(step[1].split(".")[0])
                _expression_reads(step[2], hints)
                if step[1].endswith("_items"):
                    _collection(step[2], hints, hints.collections.get(step[1]))
            elif step[0] == "outputs":
                for target, source in step[1]:
                    hints.writes.add(target.split(".")[0])
                    if source:
                        _expression_reads(source, hints)
        return
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            hints.writes.add(node.id)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and not node.id.startswith("_"):
            from flowdesk.engine.expressions.builtins import BUILTINS

            if node.id not in BUILTINS:
                hints.reads.add(node.id)


def _expression_reads(source: str, hints: Hints) -> None:
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return
    hints.reads.update(_names(tree))


def _collection(source: str, hints: Hints, element: str | None = None) -> None:
    """The variable a multi-instance body computes its items from, with the element
    variable each instance reads its item by (so that the items satisfy the conditions on
    that variable: ``${score > 5}`` inside a loop over ``creditScores``)."""
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return
    path = _path(tree.body)
    if path is not None and (hints.collections.get(path) is None):
        hints.collections[path] = element


# -- decision tables ----------------------------------------------------------------------------
def read_decisions(path: Path, hints: Hints) -> None:
    """The values decision tables test their inputs against: a gateway after a business rule
    task decides on the table's outputs, which depend on these."""
    try:
        root = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return
    for table in root.iter():
        if _local(table) != "decisionTable":
            continue
        inputs = []
        for column in [c for c in table if _local(c) == "input"]:
            expression = next((e for e in column.iter() if _local(e) == "text"), None)
            text = (expression.text or "").strip() if expression is not None else ""
            inputs.append(text if _simple_path(text) else None)
        for rank, rule in enumerate(c for c in table if _local(c) == "rule"):
            entries = [e for e in rule if _local(e) == "inputEntry"]
            for index, entry in enumerate(entries):
                if index >= len(inputs) or inputs[index] is None:
                    continue
                text = next((t.text for t in entry.iter() if _local(t) == "text"), "") or ""
                for value in _entry_values(text.strip()):
                    hints.values[inputs[index]].append((value, 100 + rank))
                hints.reads.add(inputs[index])


def _simple_path(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def _entry_values(text: str) -> list[Any]:
    import re

    if not text or text == "-":
        return []
    values: list[Any] = []
    for part in (p.strip() for p in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", text)):
        if part.startswith('"') and part.endswith('"'):
            values.append(part[1:-1])
        elif part in ("true", "false"):
            values.append(part == "true")
        elif match := re.fullmatch(r"(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)", part):
            number = float(match.group(2)) if "." in match.group(2) else int(match.group(2))
            values.append({"<": number - 1, "<=": number, ">": number + 1, ">=": number}[match.group(1)])
        elif match := re.fullmatch(r"[\[\]\(]\s*(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)\s*[\[\]\)]", part):
            low = float(match.group(1)) if "." in match.group(1) else int(match.group(1))
            high = float(match.group(2)) if "." in match.group(2) else int(match.group(2))
            values.append((low + high) / 2 if isinstance(low, float) or isinstance(high, float) else (low + high) // 2)
        elif re.fullmatch(r"-?\d+(?:\.\d+)?", part):
            values.append(float(part) if "." in part else int(part))
    return values
