"""Everything wrong with a process or decision file that the file alone can tell.

The schema (`schema`) catches wrong types, unknown and missing keys. This module checks
what needs the whole file: ids used twice, steps, lanes and messages that are referenced
but do not exist, steps nothing leads to, loops nothing leads out of, gateways without a
default or without conditions, conditions, scripts and expressions that do not parse in
the sandbox, timers that are not ISO 8601, and the constraints SpiffWorkflow and the BPMN
XML schema put on multi-instance steps and error events. What needs other files (forms,
decision tables, called processes, the data a decision reads) is `context`'s job.

Every problem names the step and sits on the line of the key to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from difflib import get_close_matches

from ... import expressions
from ...errors import Problem
from ...forms import task_rules
from .cells import check_expression, check_input_entry, input_entry
from .flows import Flow, derive_flows
from .model import (
    STARTER_NAMES,
    Boundary,
    DecisionTable,
    ProcessModel,
    Step,
    Timer,
)

_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"^[+-]?P(?=\d|T\d)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_CYCLE = re.compile(r"^R\d*/")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_duration(text: str) -> bool:
    return bool(_DURATION.match(text))


def is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def timer_problem(timer: Timer) -> str | None:
    """Why a timer value cannot work, or None."""
    if timer.expression:
        detail = check_expression(timer.value)
        return f"timer expression {timer.value!r} does not parse: {detail}" if detail else None
    if timer.kind == "duration":
        return None if is_duration(timer.value) else (
            f"timer {timer.value!r} is not an ISO 8601 duration (for example PT30M, P2D, P1DT12H)")
    if timer.kind == "date":
        return None if is_date(timer.value) else (
            f"timer {timer.value!r} is not an ISO 8601 date-time (for example 2026-12-01T09:00:00Z), "
            "duration (P2D) or repeating interval (R3/PT1H)")
    parts = timer.value[_CYCLE.match(timer.value).end():].split("/") if _CYCLE.match(timer.value) else []
    if 1 <= len(parts) <= 2 and all(is_duration(p) or is_date(p) for p in parts) and any(map(is_duration, parts)):
        return None
    return f"timer {timer.value!r} is not an ISO 8601 repeating interval (for example R3/PT1H or R/P1D)"


def process_problems(model: ProcessModel) -> list[Problem]:
    """Every problem of a process file that needs no other file (see module doc)."""
    checker = _ProcessChecker(model)
    checker.run()
    return checker.problems


class _ProcessChecker:
    def __init__(self, model: ProcessModel) -> None:
        self.model = model
        self.problems: list[Problem] = []
        self.steps = {s.id: s for s in model.steps}
        self.boundaries = {b.id: b for b in model.boundaries()}

    def report(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.model.file, line, message))

    def run(self) -> None:
        self.ids()
        self.lanes()
        self.start()
        for step in self.model.steps:
            self.step(step)
            for boundary in step.boundaries:
                self.boundary(step, boundary)
        self.messages()
        flows = derive_flows(self.model)
        self.references(flows)
        self.reachability(flows)
        self.endless_loops(flows)
        for table in self.model.decisions.values():
            self.problems.extend(decision_problems(table))

    # -- ids -------------------------------------------------------------------------------------
    def ids(self) -> None:
        seen: dict[str, int] = {self.model.start.id: self.model.start.at("id")}
        if self.model.start.id == self.model.key:
            self.report(self.model.start.at("id"), f"the start event's id '{self.model.key}' is also the process key")
        for element_id, line in [*((s.id, s.line) for s in self.model.steps if not s.implicit),
                                 *((b.id, b.line) for b in self.model.boundaries())]:
            if element_id in seen:
                self.report(line, f"the id '{element_id}' is used twice (first on line {seen[element_id]})")
            elif element_id == self.model.key:
                self.report(line, f"the id '{element_id}' is also the process key; ids must differ from it")
            else:
                seen[element_id] = line
        # Multi-instance items and correlation properties become XML ids as well.
        for step in self.model.steps:
            if step.for_each is None:
                continue
            for role, name in (("as", step.for_each.item), ("collect", step.for_each.collect)):
                if name is None:
                    continue
                if name in seen:
                    self.report(step.for_each.line,
                                f"step '{step.id}': the for_each variable '{name}' ({role}) is also the id of "
                                f"another element on line {seen[name]}; BPMN needs them to differ, rename one")
                else:
                    seen[name] = step.for_each.line
        for message in self.model.messages.values():
            for prop in message.correlation:
                if prop.name in self.steps or prop.name in self.boundaries or prop.name == self.model.start.id:
                    self.report(prop.line, f"message '{message.name}': the correlation property '{prop.name}' "
                                           "is also the id of a step; BPMN needs them to differ, rename one")

    # -- lanes, start, messages ------------------------------------------------------------------
    def lane(self, lane: str | None, line: int, owner: str) -> None:
        if lane is None or lane in self.model.lanes:
            return
        if not self.model.lanes:
            self.report(line, f"{owner} is in lane '{lane}', but the process declares no lanes "
                              "(add `lanes:` with each lane's group)")
        else:
            self.report(line, f"{owner} is in lane '{lane}', which is not declared under `lanes` "
                              f"(declared: {', '.join(self.model.lanes)})")

    def lanes(self) -> None:
        for step in self.model.steps:
            if "lane" in step.lines:
                self.lane(step.lane, step.at("lane"), f"step '{step.id}'")

    def start(self) -> None:
        start = self.model.start
        if "lane" in start.lines:
            self.lane(start.lane, start.at("lane"), "the start event")
        if start.message:
            self.message_ref(start.message, start.at("message"), "the start event")
            if start.variable is None and not _IDENTIFIER.match(start.message):
                self.report(start.at("message"), f"the start event: message '{start.message}' is not a variable "
                                                 "name; say where its payload goes with `variable:`")
            if start.form:
                self.report(start.at("form"), "the start event: a process started by a message has no start form")
        self.rules(start.validate, "the start event")
        if start.validate and not start.form:
            self.report(start.at("validate"), "the start event: validation rules need a start form to check")
        if start.timer is not None:
            self.timer(start.timer, "the start event")
            if start.message:
                self.report(start.at("timer"), "the start event: start on a message or on a timer, not both")

    def rules(self, rules: tuple[tuple[object, int], ...], owner: str) -> None:
        """Each validation rule on its own line (fields are checked against the form later)."""
        for rule, line in rules:
            for problem in task_rules.normalise([rule])[1]:
                self.report(line, f"{owner}: {problem.removeprefix('validation rule 1: ')}")

    def message_ref(self, name: str, line: int, owner: str) -> None:
        if name not in self.model.messages:
            declared = ", ".join(self.model.messages) or "none"
            self.report(line, f"{owner} uses message '{name}', which is not declared under `messages` "
                              f"(declared: {declared})")

    def messages(self) -> None:
        for message in self.model.messages.values():
            for prop in message.correlation:
                for where, text in (("payload", prop.payload), ("process", prop.process)):
                    detail = check_expression(text)
                    if detail:
                        self.report(prop.line, f"message '{message.name}': the correlation expression {text!r} "
                                               f"({where}) does not parse: {detail}")

    # -- steps -----------------------------------------------------------------------------------
    def expression(self, text: str | None, line: int | None, what: str, mode: str = "eval") -> None:
        if text is None:
            return
        try:
            expressions.check(text, mode)
        except expressions.ExpressionError as err:
            where = line + err.line - 1 if line is not None and err.line and mode == "exec" else line
            self.report(where, f"{what} does not parse: {err.detail}")

    def computed(self, text: str | None, line: int, what: str) -> bool:
        """Check a value computed when the task opens, written ``${...}`` (Camunda EL) or
        ``=expression`` (Python, e.g. ``=deadline('PT8H')``); True when `text` is one."""
        if not text or not (expressions.is_el(text) or text.startswith("=")):
            return False
        try:
            source = expressions.translate_el(text) if expressions.is_el(text) else text[1:]
            expressions.check(source, "eval")
        except expressions.ExpressionError as err:
            hint = " (write =expression to call functions)" if expressions.is_el(text) and "(" in text else ""
            self.report(line, f"{what} {text!r} does not parse: {err.detail}{hint}")
        return True

    def step(self, step: Step) -> None:
        label = f"step '{step.id}'"
        if step.kind == "user":
            if step.due and not self.computed(step.due, step.at("due"), f"{label}: the due date") \
                    and not (is_duration(step.due) or is_date(step.due)):
                self.report(step.at("due"), f"{label}: due {step.due!r} is not an ISO 8601 duration (P2D), "
                                            "date-time, ${...} or =expression")
            if step.priority and not step.priority.isdigit():
                self.computed(step.priority, step.at("priority"), f"{label}: the priority")
            self.computed(step.assignee, step.at("assignee"), f"{label}: the assignee")
            self.rules(step.validate, label)
            for ref in step.separate_from:
                target = self.steps.get(ref)
                if ref in STARTER_NAMES:
                    continue
                if target is None:
                    self.report(step.at("separate_from"),
                                f"{label}: separate_from names '{ref}', which is not a step "
                                "(use `starter` for the person who started the instance)")
                elif target.kind != "user":
                    self.report(step.at("separate_from"),
                                f"{label}: separate_from names '{ref}', which is a {target.kind} step; "
                                "only user steps have someone who completed them")
        elif step.kind == "script":
            self.expression(step.code, step.code_line, f"{label}: the script", "exec")
        elif step.kind == "service":
            for parameter in step.parameters:
                self.expression(parameter.value, parameter.line,
                                f"{label}: parameter '{parameter.name}' ({parameter.value!r})")
        elif step.kind in ("send", "receive"):
            if step.message:
                self.message_ref(step.message, step.at("message"), label)
            if step.kind == "send":
                self.expression(step.payload, step.at("payload"), f"{label}: the payload")
                message = self.model.messages.get(step.message or "")
                if message and message.correlation and not step.payload:
                    self.report(step.at("message"), f"{label}: message '{message.name}' is correlated on "
                                                    f"{', '.join(p.name for p in message.correlation)}; "
                                                    "give the step a `payload` that carries it")
            elif step.variable is None and step.message and not _IDENTIFIER.match(step.message):
                self.report(step.at("message"), f"{label}: message '{step.message}' is not a variable name; "
                                                 "say where its payload goes with `variable:`")
        elif step.kind == "wait":
            if step.timer is None:
                return
            if step.timer.kind == "cycle":
                self.report(step.timer.line, f"{label}: a wait needs a duration or a date-time, not a "
                                             "repeating interval")
            else:
                self.timer(step.timer, label)
        elif step.is_gateway:
            self.gateway(step, label)
        if step.for_each is not None:
            self.for_each(step, label)

    def gateway(self, step: Step, label: str) -> None:
        if step.splits and "next" in step.lines:
            self.report(step.at("next"), f"{label}: a gateway with branches goes where its branches say; "
                                         "remove `next` (or make it a branch)")
        if step.kind != "parallel":
            if step.branches and step.default is None:
                self.report(step.at("branches"),
                            f"{label}: {step.kind} gateway without a default; add `default: <step>` for when "
                            "no condition holds")
            if step.default is not None and not step.branches:
                self.report(step.at("default"), f"{label}: {step.kind} gateway has a default but no conditions; "
                                                "add `branches` with `if:` conditions")
            for branch in step.branches:  # a branch without `if` is the schema's to report
                self.expression(branch.condition, branch.condition_line,
                                f"{label}: the condition {branch.condition!r}")
        seen: set[str] = set()
        for branch in (*step.branches, *([step.default] if step.default else [])):
            if branch.target in seen and branch.default:
                self.report(branch.line, f"{label}: '{branch.target}' is both a branch and the default, so the "
                                         "branch's condition changes nothing")
            elif branch.target in seen:
                self.report(branch.line, f"{label}: '{branch.target}' is a branch target twice; "
                                         "join the conditions with `or` instead")
            seen.add(branch.target)

    def for_each(self, step: Step, label: str) -> None:
        each = step.for_each
        assert each is not None
        if (each.collect is None) != (each.into is None):
            self.report(each.line, f"{label}: for_each needs both `collect` (the variable each instance sets) "
                                   "and `into` (the list they are gathered in), or neither")
        if each.sequential and each.collect is None:
            self.report(each.line, f"{label}: a sequential for_each needs `collect` and `into`; without them "
                                   f"the item variable '{each.item}' of one instance blocks the next")
        if each.item == each.items:
            self.report(each.line, f"{label}: for_each item '{each.item}' must differ from the list it walks")
        self.expression(each.until, each.line, f"{label}: the for_each condition `until`")

    def timer(self, timer: Timer, owner: str) -> None:
        problem = timer_problem(timer)
        if problem:
            self.report(timer.line, f"{owner}: {problem}")

    def boundary(self, step: Step, boundary: Boundary) -> None:
        label = f"step '{step.id}', boundary event '{boundary.id}'"
        if boundary.kind == "timer" and boundary.timer is not None:
            self.timer(boundary.timer, label)
        if boundary.kind == "message" and boundary.message:
            self.message_ref(boundary.message, boundary.line, label)
        if boundary.kind == "error":
            if step.kind not in ("call", "service"):
                self.report(boundary.line, f"{label}: an error boundary event catches errors thrown by a called "
                                           f"process or a connector; a {step.kind} step throws none")
            if not boundary.interrupting:
                self.report(boundary.interrupting_line or boundary.line,
                            f"{label}: error boundary events always interrupt the step")

    # -- the graph -------------------------------------------------------------------------------
    def references(self, flows: Iterable[Flow]) -> None:
        known = set(self.steps)
        for flow in flows:
            if flow.target in known:
                continue
            source = self.steps.get(flow.source) or self.boundaries.get(flow.source)
            owner = f"step '{flow.source}'" if isinstance(source, Step) else (
                f"boundary event '{flow.source}'" if source is not None else "the start event")
            if flow.target == self.model.start.id:
                self.report(flow.line, f"{owner} leads to the start event; nothing can lead back to it "
                                       "(point at the first step instead)")
            else:
                self.report(flow.line, f"{owner} leads to '{flow.target}', which is not a step of this process"
                                       f"{_suggest(flow.target, known)}")

    def reachability(self, flows: list[Flow]) -> None:
        """Report the first step of each part of the process nothing leads to.

        A reference to an unknown step that is a likely typo counts as leading to the step
        it resembles (it is reported once, as unknown), and the steps behind an
        unreachable one are named in its message rather than reported one by one.
        """
        outgoing: dict[str, list[str]] = {}
        for flow in flows:
            target = flow.target if flow.target in self.steps else _closest(flow.target, self.steps)
            if target is not None:
                outgoing.setdefault(flow.source, []).append(target)
        for boundary in self.boundaries.values():
            outgoing.setdefault(boundary.host, []).append(boundary.id)
        reached = _closure([self.model.start.id], outgoing)
        unreached = [s for s in self.model.steps if s.id not in reached and not s.implicit]
        if not unreached:
            return
        ids = {s.id for s in unreached}
        entered = {t for s in unreached for t in _successors(s.id, outgoing, self.boundaries) if t != s.id}
        roots = [s for s in unreached if s.id not in entered] + [s for s in unreached if s.id in entered]
        covered: set[str] = set()
        for step in roots:
            if step.id in covered:
                continue
            behind = [s.id for s in unreached
                      if s.id in _closure([step.id], outgoing) & ids - covered - {step.id}]
            covered |= {step.id, *behind}
            also = f" (nor to the steps after it: {', '.join(behind)})" if behind else ""
            self.report(step.line, f"step '{step.id}' is unreachable: no step, branch or boundary event leads "
                                   f"to it{also}")

    def endless_loops(self, flows: list[Flow]) -> None:
        """Report loops with no way out: every flow from every step in them stays inside."""
        outgoing: dict[str, set[str]] = {}
        for flow in flows:
            if flow.target in self.steps:
                host = self.boundaries[flow.source].host if flow.source in self.boundaries else flow.source
                outgoing.setdefault(host, set()).add(flow.target)
        for component in _strongly_connected(list(self.steps), outgoing):
            looping = len(component) > 1 or component[0] in outgoing.get(component[0], set())
            if not looping:
                continue
            members = set(component)
            if any(outgoing.get(node, set()) - members for node in component):
                continue
            if any(self.steps[node].kind == "end" for node in component):
                continue
            first = min(component, key=lambda node: self.steps[node].index)
            names = ", ".join(sorted(component, key=lambda node: self.steps[node].index))
            self.report(self.steps[first].line, f"steps {names} loop forever: no branch leads out of the loop")


def _strongly_connected(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively (processes can be long)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def _closest(name: str, known: Iterable[str]) -> str | None:
    close = get_close_matches(name, list(known), n=1)
    return close[0] if close else None


def _suggest(name: str, known: Iterable[str]) -> str:
    close = _closest(name, known)
    return f" (did you mean '{close}'?)" if close else ""


def _closure(starts: Iterable[str], outgoing: dict[str, list[str]]) -> set[str]:
    seen, todo = set(starts), list(starts)
    while todo:
        for target in outgoing.get(todo.pop(), []):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _successors(node: str, outgoing: dict[str, list[str]], boundaries: dict[str, Boundary]) -> list[str]:
    """Steps a step leads to, through its own flows and its boundary events'."""
    found = []
    for target in outgoing.get(node, []):
        found.extend(outgoing.get(target, []) if target in boundaries else [target])
    return found


# -- decision tables -----------------------------------------------------------------------------


def decision_problems(table: DecisionTable) -> list[Problem]:
    """Problems of one decision table: its columns, its rules and every cell's syntax."""
    problems: list[Problem] = []
    label = f"decision '{table.id}'"

    def report(line: int, message: str) -> None:
        problems.append(Problem(table.file, line, f"{label}: {message}"))

    inputs: dict[str, int] = {}
    for column in table.inputs:
        if column.id in inputs:
            report(column.line, f"input '{column.id}' is listed twice")
        inputs.setdefault(column.id, column.line)
        detail = check_expression(column.expression)
        if detail:
            report(column.line, f"input expression {column.expression!r} does not parse: {detail}")
    outputs: dict[str, int] = {}
    for output in table.outputs:
        if output.name in outputs:
            report(output.line, f"output '{output.name}' is listed twice")
        outputs.setdefault(output.name, output.line)
    for number, rule in enumerate(table.rules, start=1):
        for name, cell in rule.when.items():
            if name not in inputs:
                report(cell.line, f"rule {number} tests '{name}', which is not an input "
                                  f"(inputs: {', '.join(inputs)})")
                continue
            text = input_entry(cell.value)
            detail = check_input_entry(text)
            if detail:
                report(cell.line, f"rule {number}: the test {cell.value!r} for '{name}' does not parse: {detail}")
        for name, cell in rule.then.items():
            if name not in outputs:
                report(cell.line, f"rule {number} sets '{name}', which is not an output "
                                  f"(outputs: {', '.join(outputs)})")
            elif isinstance(cell.value, str) and cell.value.startswith("="):
                detail = check_expression(cell.value[1:].strip() or "")
                if detail:
                    report(cell.line, f"rule {number}: the output expression {cell.value!r} does not parse: {detail}")
        missing = [name for name in outputs if name not in rule.then]
        if missing:
            report(rule.line, f"rule {number} does not set {', '.join(missing)}; every rule sets every output")
    return problems
