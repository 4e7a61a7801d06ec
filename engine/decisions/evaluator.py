"""Evaluating decisions: requirements first, then the decision's logic, all in the sandbox.

Every expression runs through `expressions.evaluate`; a decision table costs three runs
(its inputs, its rules, the outputs of each matching rule). All runs of one `evaluate`
call draw on one operation budget (`Limits.max_operations`): each run gets what is left
and reports what it left over, so required decisions, contexts and business knowledge
models called from FEEL (which run nested inside the calling expression and charge its
meter) cannot multiply the budget, and a model recursing through its functions stops
at `MAX_CALL_DEPTH`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from ..expressions import DEFAULT_LIMITS, ExpressionError, Limits, ResourceLimitExceeded, evaluate
from ..expressions.callables import SandboxCallable
from ..expressions.errors import SandboxViolation
from ..expressions.feel import library
from ..expressions.feel.operations import compare, equal
from ..expressions.feel.runtime import REMAINING
from ..expressions.meter import Meter, active_meter
from . import model as m
from .errors import DecisionError
from .reader import FEEL_WRAPPER, PYTHON_WRAPPER

MAX_CALL_DEPTH = 20


class Layer(Mapping[str, Any]):
    """Names on top of a base mapping, without copying the base (instance data)."""

    __slots__ = ("base", "top")

    def __init__(self, base: Mapping[str, Any], top: Mapping[str, Any]) -> None:
        self.base = base
        self.top = top

    def __getitem__(self, key: str) -> Any:
        if key in self.top:
            return self.top[key]
        return self.base[key]

    def __contains__(self, key: object) -> bool:
        return key in self.top or key in self.base

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self.top, *self.base]))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class ModelFunction(SandboxCallable):
    """A business knowledge model or boxed function definition, callable from FEEL (with
    positional or named arguments) and from invocations."""

    __slots__ = ("body", "name", "params", "run", "scope")

    def __init__(self, run: _Run, name: str, params: tuple[str, ...], body: m.Expression | None,
                 scope: Mapping[str, Any]) -> None:
        self.run = run
        self.name = name
        self.params = params
        self.body = body
        self.scope = scope

    def __call__(self, *args: Any, **named: Any) -> Any:
        if named:
            unknown = set(named) - set(self.params)
            if args or unknown:
                raise DecisionError(f"{self.name}() has no parameter {sorted(unknown)[0]!r}" if unknown
                                    else f"{self.name}() mixes positional and named arguments")
            bound = {p: named.get(p) for p in self.params}
        else:
            if len(args) != len(self.params):
                raise DecisionError(f"{self.name}() takes {len(self.params)} arguments, not {len(args)}")
            bound = dict(zip(self.params, args, strict=True))
        if self.body is None:
            return None
        run = self.run
        if run.depth >= MAX_CALL_DEPTH:
            raise ResourceLimitExceeded(
                f"business knowledge models called each other more than {MAX_CALL_DEPTH} levels deep")
        run.depth += 1
        try:
            return run.expression(self.body, Layer(self.scope, bound), f"{self.name}()")
        finally:
            run.depth -= 1

    def __repr__(self) -> str:
        return f"<function {self.name}>"


def _context_error(exc: ExpressionError, where: str, line: int | None = None) -> ExpressionError:
    error = type(exc)(f"{where}: {exc.detail}", source=exc.source, line=line if line is not None else exc.line)
    error.__cause__ = exc
    return error


class _Run:
    """One call of `DecisionModel.evaluate`: the shared budget and the results so far."""

    def __init__(self, model: DecisionModel, context: Mapping[str, Any], limits: Limits) -> None:
        self.model = model
        self.limits = limits
        self.remaining = limits.max_operations
        self.depth = 0
        self.results: dict[str, m.DecisionResult] = {}
        self.active: set[str] = set()
        self.functions: dict[str, ModelFunction] = {}
        base_scope = Layer(context, self.functions)
        for knowledge in model.knowledge.values():
            self.functions[knowledge.name] = ModelFunction(self, knowledge.name, knowledge.params, knowledge.body,
                                                          base_scope)
        self.context = context
        self.values: dict[str, Any] = {}
        self.scope = Layer(context, Layer(self.values, self.functions))
        self.priorities: dict[str, list[Any]] = {}

    # -- running sandbox programs ---------------------------------------------------------

    def program(self, source: str, names: Mapping[str, Any]) -> Any:
        try:
            outer: Meter | None = active_meter()
        except SandboxViolation:
            outer = None
        budget = outer.ops if outer is not None else self.remaining
        if budget <= 0:
            raise ResourceLimitExceeded(
                f"the operation budget of {self.limits.max_operations} steps was exhausted by the decision")
        box = [budget]
        token = REMAINING.set(box)
        try:
            value = evaluate(source, names, dataclasses.replace(self.limits, max_operations=budget))
        finally:
            REMAINING.reset(token)
        if outer is not None:
            outer.ops = box[0]
        else:
            self.remaining = box[0]
        return value

    def literal(self, literal: m.Literal, scope: Mapping[str, Any], where: str) -> Any:
        wrapper = PYTHON_WRAPPER if literal.dialect == m.PYTHON else FEEL_WRAPPER
        try:
            return self.program(wrapper.format(body=literal.cell.code), scope)
        except ExpressionError as exc:
            raise _context_error(exc, f"{where} ({self.model.file}:{literal.cell.line})", literal.cell.line) \
                from exc

    # -- boxed expressions -----------------------------------------------------------------

    def expression(self, expression: m.Expression, scope: Mapping[str, Any], where: str) -> Any:
        if isinstance(expression, m.Literal):
            return self.literal(expression, scope, where)
        if isinstance(expression, m.Table):
            return self.table(expression, scope, where)[0]
        if isinstance(expression, m.Context):
            values: dict[str, Any] = {}
            inner = Layer(scope, values)
            for entry in expression.entries:
                value = self.expression(entry.value, inner, f"{where}, entry '{entry.name or 'result'}'")
                if entry.name is None:
                    return value
                values[entry.name] = value
            return dict(values)
        if isinstance(expression, m.Invocation):
            target = expression.target
            if isinstance(target, m.Literal):
                # the usual form names the business knowledge model: look it up, since a
                # function cannot be the value of a sandbox evaluation
                name = " ".join(target.cell.text.split())
                function = scope.get(name)
                if function is None:
                    raise DecisionError(f"{where}: no function named {name!r} to invoke")
            else:
                function = self.expression(target, scope, where)
            named = {name: self.expression(value, scope, f"{where}, binding '{name}'")
                     for name, value in expression.bindings}
            if isinstance(function, ModelFunction):
                return function(**named)
            if callable(function):
                return function(**named)
            raise DecisionError(f"{where}: the invoked expression is not a function")
        if isinstance(expression, m.FunctionDefinition):
            return ModelFunction(self, "function", expression.params, expression.body, scope)
        if isinstance(expression, m.ListExpression):
            return [self.expression(item, scope, where) for item in expression.items]
        if isinstance(expression, m.Relation):
            return [
                {column: self.expression(cell, scope, where) for column, cell in zip(expression.columns, row,
                                                                                     strict=False)}
                for row in expression.rows
            ]
        raise DecisionError(f"{where}: nothing to evaluate")

    # -- decision tables -------------------------------------------------------------------

    def _where_in_table(self, table: m.Table, line: int | None, where: str) -> tuple[str, int | None]:
        if line is None:
            return where, table.line
        located = [code for start, code in table.match_lines if start <= line]
        if not located:
            return where, table.line
        rule_index, input_index = divmod(located[-1], 1000)
        rule = table.rules[rule_index]
        if input_index == 999:
            return f"{where}, rule {rule.number}", rule.line
        cell = rule.tests[input_index]
        return (f"{where}, rule {rule.number} input {input_index + 1} ({table.inputs[input_index].label!r}: "
                f"{cell.text.strip()!r})", cell.line)

    def table(self, table: m.Table, scope: Mapping[str, Any], where: str
              ) -> tuple[Any, tuple[m.RuleMatch, ...], dict[str, Any], tuple[dict[str, Any], ...]]:
        try:
            inputs = self.program(table.inputs_program, scope)
        except ExpressionError as exc:
            index = max(0, min((exc.line or 2) - 2, len(table.inputs) - 1))
            column = table.inputs[index] if table.inputs else None
            label = f"{where}, input {index + 1} ({column.label!r})" if column else where
            raise _context_error(exc, label, column.cell.line if column else table.line) from exc
        names = Layer(scope, {"_feel_in": inputs})
        try:
            found = self.program(table.match_program, names)
        except ExpressionError as exc:
            label, line = self._where_in_table(table, exc.line, where)
            raise _context_error(exc, f"{label} ({self.model.file}:{line})", line) from exc
        if table.first_hit:
            matched = [found] if isinstance(found, int) and found >= 0 else []
        elif table.dialect == m.PYTHON:
            matched = [i for i, result in enumerate(found) if result]
        else:
            matched = [i for i, result in enumerate(found) if result is True]
        column_values = self._labelled(table, inputs)
        policy = table.hit_policy
        if policy == "UNIQUE" and len(matched) > 1:
            numbers = ", ".join(str(table.rules[i].number) for i in matched)
            raise DecisionError(f"{where}: rules {numbers} all match, but the hit policy UNIQUE allows one")
        rows = [(table.rules[i], self._outputs(table, i, names, where)) for i in matched]
        if policy == "ANY" and len(rows) > 1:
            first = rows[0][1]
            meter = Meter(self.limits)
            for rule, outputs in rows[1:]:
                if equal(meter, list(outputs.values()), list(first.values())) is not True:
                    raise DecisionError(f"{where}: rules {rows[0][0].number} and {rule.number} match with different "
                                        "outputs, but the hit policy ANY needs them to agree")
            rows = rows[:1]
        if policy in ("PRIORITY", "OUTPUT ORDER") and len(rows) > 1:
            ranks = self._ranks(table, scope, where)
            rows.sort(key=lambda row: ranks(row[1]))  # stable: rule order breaks ties
            if policy == "PRIORITY":
                rows = rows[:1]
        if policy in ("FIRST",) and len(rows) > 1:
            rows = rows[:1]
        matches = tuple(m.RuleMatch(rule.number, rule.id) for rule, _ in rows)
        outputs = [values for _, values in rows]
        if not outputs and table.defaults_program is not None:
            try:
                defaults = self.program(table.defaults_program, scope)
            except ExpressionError as exc:
                raise _context_error(exc, f"{where}, default output", table.line) from exc
            outputs = [self._named(table, defaults)]
        single = len(table.outputs) == 1
        cells = [next(iter(o.values())) if single else o for o in outputs]
        if policy in ("COLLECT", "RULE ORDER", "OUTPUT ORDER"):
            value: Any = cells
            if table.aggregation is not None:
                value = self._aggregate(table.aggregation, cells)
        else:
            value = cells[0] if cells else None
        return value, matches, column_values, tuple(outputs)

    def _labelled(self, table: m.Table, inputs: list[Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for column, value in zip(table.inputs, inputs, strict=False):
            label = column.label
            suffix = 2
            while label in result:
                label = f"{column.label} ({suffix})"
                suffix += 1
            result[label] = value
        return result

    def _named(self, table: m.Table, values: list[Any]) -> dict[str, Any]:
        named: dict[str, Any] = {}
        for index, (output, value) in enumerate(zip(table.outputs, values, strict=False)):
            name = output.name or output.label or (self.current_name if len(table.outputs) == 1 else None)
            named[name or f"output {index + 1}"] = value
        return named

    def _outputs(self, table: m.Table, index: int, names: Mapping[str, Any], where: str) -> dict[str, Any]:
        rule = table.rules[index]
        try:
            values = self.program(table.output_programs[index], names)
        except ExpressionError as exc:
            position = max(0, min((exc.line or 2) - 2, len(rule.outputs) - 1))
            cell = rule.outputs[position] if rule.outputs else None
            raise _context_error(exc, f"{where}, rule {rule.number} output {position + 1}",
                                 cell.line if cell else rule.line) from exc
        return self._named(table, values)

    def _ranks(self, table: m.Table, scope: Mapping[str, Any], where: str) -> Any:
        lists = self.priorities.get(table.id) if table.id else None
        if lists is None:
            if table.priorities_program is None:
                raise DecisionError(f"{where}: hit policy {table.hit_policy} needs output values to rank outputs")
            lists = self.program(table.priorities_program, scope)
            if table.id:
                self.priorities[table.id] = lists
        meter = Meter(self.limits)

        def rank(outputs: dict[str, Any]) -> tuple[int, ...]:
            result = []
            for values, value in zip(lists, outputs.values(), strict=False):
                if not isinstance(values, list):
                    continue
                position = next((i for i, v in enumerate(values) if equal(meter, v, value) is True), len(values))
                result.append(position)
            return tuple(result)

        return rank

    def _aggregate(self, aggregation: str, values: list[Any]) -> Any:
        present = [v for v in values if v is not None]
        meter = Meter(self.limits)
        if aggregation == "COUNT":
            return len(present)
        if not present:
            return None
        if aggregation == "SUM":
            return library.call(meter, library.FUNCTIONS["sum"], [present])
        best = present[0]
        for value in present[1:]:
            better = compare(meter, "<" if aggregation == "MIN" else ">", value, best)
            if better is None:
                raise DecisionError(f"{aggregation} of values that cannot be compared")
            if better:
                best = value
        return best

    # -- decisions ----------------------------------------------------------------------------

    current_name: str | None = None

    def decide(self, decision_id: str) -> m.DecisionResult:
        if decision_id in self.results:
            return self.results[decision_id]
        decision = self.model.decisions.get(decision_id)
        if decision is None:
            raise DecisionError(f"no decision with the id {decision_id!r} in {self.model.file}")
        if decision_id in self.active:
            raise DecisionError(f"decision '{decision_id}' requires itself")
        self.active.add(decision_id)
        try:
            required = {}
            for required_id in decision.required_decisions:
                result = self.decide(required_id)
                required[result.decision_name] = result
            where = f"decision '{decision.id}'"
            saved = self.current_name
            self.current_name = decision.name
            try:
                result = self._decide(decision, where, required)
            finally:
                self.current_name = saved
        finally:
            self.active.discard(decision_id)
        self.results[decision_id] = result
        self.values[decision.name] = result.value
        if result.hit_policy in ("UNIQUE", "FIRST", "PRIORITY", "ANY") and result.outputs:
            # Camunda 7 reads a required decision's outputs by their names as well
            for name, value in result.outputs[0].items():
                self.values.setdefault(name, value)
        return result

    def _decide(self, decision: m.Decision, where: str, required: dict[str, m.DecisionResult]) -> m.DecisionResult:
        logic = decision.logic
        if logic is None:
            return m.DecisionResult(decision.id, decision.name, None, required=required)
        if isinstance(logic, m.Table):
            value, matches, inputs, outputs = self.table(logic, self.scope, where)
            return m.DecisionResult(decision.id, decision.name, value, matches, inputs, outputs, required,
                                    logic.hit_policy, logic.dialect)
        value = self.expression(logic, self.scope, where)
        dialect = logic.dialect if isinstance(logic, m.Literal) else m.FEEL
        return m.DecisionResult(decision.id, decision.name, value, required=required, dialect=dialect)


class DecisionModel:
    """The decisions of one DMN document, ready to evaluate.

    ``model.evaluate("leave_approval", {"leave_type": "sick", "days": 3})`` evaluates the
    decision with that id (or, failing that, that name) against the context (instance
    data; DMN input data are looked up by name), evaluating required decisions first and
    putting their results in the context under their names.
    """

    def __init__(self, file: str, decisions: dict[str, m.Decision], knowledge: dict[str, m.Knowledge],
                 inputs: dict[str, str], limits: Limits = DEFAULT_LIMITS, dialect: str = m.FEEL) -> None:
        self.file = file
        self.decisions = decisions
        self.knowledge = knowledge
        self.inputs = inputs
        self.limits = limits
        self.dialect = dialect

    @property
    def decision_ids(self) -> tuple[str, ...]:
        return tuple(self.decisions)

    def decision_id(self, name_or_id: str) -> str:
        """The id of the decision with this id or name; raises `DecisionError`."""
        if name_or_id in self.decisions:
            return name_or_id
        for decision in self.decisions.values():
            if decision.name == name_or_id:
                return decision.id
        raise DecisionError(f"no decision with the id or name {name_or_id!r} in {self.file}")

    def input_names(self) -> tuple[str, ...]:
        return tuple(self.inputs.values())

    def evaluate(self, decision_id: str, context: Mapping[str, Any], limits: Limits | None = None
                 ) -> m.DecisionResult:
        """Evaluates one decision (see the class docstring); raises an `ExpressionError`
        (`DecisionError` for a hit-policy violation or an unknown decision)."""
        if not isinstance(context, Mapping):
            raise TypeError(f"the context must be a mapping, not {type(context).__name__}")
        run = _Run(self, context, limits or self.limits)
        return run.decide(self.decision_id(decision_id))


