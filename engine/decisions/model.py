"""The parsed decision model: what `reader` builds and `evaluator` runs.

Every expression is kept twice: its text and line (for messages) and the sandbox Python
it was translated to at parse time, so evaluation never parses FEEL again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..expressions.feel.values import FeelError, to_data
from .errors import DecisionError

FEEL = "feel"
PYTHON = "python"

HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")


@dataclass(frozen=True)
class Cell:
    """One expression of the model: its text, where it is, and its sandbox code."""

    text: str
    line: int | None
    code: str  # a sandbox Python expression (a fragment for table cells, see Table)


@dataclass(frozen=True)
class Literal:
    cell: Cell
    dialect: str


@dataclass(frozen=True)
class Column:
    label: str  # what the audit shows: label, else name, else the expression text
    cell: Cell  # the input expression


@dataclass(frozen=True)
class Output:
    name: str | None
    label: str | None
    type_ref: str | None
    priorities: Cell | None  # outputValues as a FEEL list, for PRIORITY / OUTPUT ORDER
    default: Cell | None  # defaultOutputEntry


@dataclass(frozen=True)
class Rule:
    number: int  # 1-based, as modellers show it
    id: str
    line: int | None
    tests: tuple[Cell, ...]  # per input; code is a boolean fragment on _feel_in[i]
    outputs: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    id: str
    line: int | None
    dialect: str
    hit_policy: str
    aggregation: str | None
    inputs: tuple[Column, ...]
    outputs: tuple[Output, ...]
    rules: tuple[Rule, ...]
    # sandbox programs, built once (see reader._programs)
    inputs_program: str
    match_program: str  # a list of every rule's result, or the index of the first match
    first_hit: bool
    output_programs: tuple[str, ...]  # per rule: the list of its output values
    defaults_program: str | None
    priorities_program: str | None
    match_lines: tuple[tuple[int, int], ...]  # program line -> (rule index, input index)


@dataclass(frozen=True)
class ContextEntry:
    name: str | None  # None: the entry whose value is the context's result
    value: Expression


@dataclass(frozen=True)
class Context:
    entries: tuple[ContextEntry, ...]
    line: int | None


@dataclass(frozen=True)
class Invocation:
    target: Expression
    bindings: tuple[tuple[str, Expression], ...]
    line: int | None


@dataclass(frozen=True)
class FunctionDefinition:
    params: tuple[str, ...]
    body: Expression
    line: int | None


@dataclass(frozen=True)
class ListExpression:
    items: tuple[Expression, ...]
    line: int | None


@dataclass(frozen=True)
class Relation:
    columns: tuple[str, ...]
    rows: tuple[tuple[Expression, ...], ...]
    line: int | None


Expression = Literal | Table | Context | Invocation | FunctionDefinition | ListExpression | Relation


@dataclass(frozen=True)
class Decision:
    id: str
    name: str  # the variable name its result is known by
    line: int | None
    logic: Expression | None
    required_decisions: tuple[str, ...]  # ids
    required_inputs: tuple[str, ...]  # input data names
    knowledge: tuple[str, ...]  # ids of business knowledge models


@dataclass(frozen=True)
class Knowledge:
    """A business knowledge model: a function of its parameters."""

    id: str
    name: str
    line: int | None
    params: tuple[str, ...]
    body: Expression | None
    knowledge: tuple[str, ...]


@dataclass(frozen=True)
class RuleMatch:
    number: int  # 1-based rule number
    id: str


@dataclass(frozen=True)
class DecisionResult:
    """The outcome of one decision.

    `value` follows DMN: a decision table with one output column gives that column's
    value (single-hit) or a list of values (multiple-hit); with several columns, a dict
    of outputs by name (single-hit) or a list of such dicts; COLLECT with SUM/MIN/MAX/
    COUNT gives one number; a literal expression gives its value; no matching rule gives
    the default output entries or null (single-hit) and an empty list (multiple-hit).
    `rules` are the matched rules in the order of the result; `inputs` the input values
    by column label; `outputs` each matched rule's outputs by name (what an audit
    shows); `required` the results of the decisions this one required, by name.
    """

    decision_id: str
    decision_name: str
    value: Any
    rules: tuple[RuleMatch, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: tuple[dict[str, Any], ...] = ()
    required: dict[str, DecisionResult] = field(default_factory=dict)
    hit_policy: str | None = None
    dialect: str = FEEL

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)

    @property
    def rule_numbers(self) -> tuple[int, ...]:
        return tuple(r.number for r in self.rules)

    def variables(self) -> dict[str, Any]:
        """What a business rule task merges into the instance data, in the shape
        SpiffWorkflow's DMN engine produced and existing models rely on: the outputs by
        name for a single-hit table (dotted names nest: ``a.b`` sets ``{"a": {"b": ...}}``),
        a list per output for a multiple-hit one, nothing when no rule matched; for a
        literal expression or an aggregation, ``{decision name: value}``. Values are
        instance data (`feel.to_data`: durations and times as ISO 8601 text)."""
        try:
            return to_data(self._variables())
        except FeelError as exc:
            raise DecisionError(f"decision '{self.decision_id}': {exc}") from exc

    def _variables(self) -> dict[str, Any]:
        if self.hit_policy is None or (self.hit_policy == "COLLECT" and not isinstance(self.value, list)):
            return {self.decision_name: self.value}
        multiple = self.hit_policy in ("COLLECT", "RULE ORDER", "OUTPUT ORDER")
        result: dict[str, Any] = {}
        for outputs in self.outputs:
            for name, value in outputs.items():
                if multiple:
                    result.setdefault(name, []).append(value)
                else:
                    result[name] = value
            if not multiple:
                break
        nested: dict[str, Any] = {}
        for name, value in result.items():
            if "." in name:
                parts = name.split(".")
                target = nested
                for part in parts[:-1]:
                    target = target.setdefault(part, {}) if isinstance(target.get(part, {}), dict) else {}
                target[parts[-1]] = value
            else:
                nested[name] = value
        return nested
