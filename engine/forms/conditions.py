"""Fields the submitter does not decide: read-only fields and conditionally hidden ones.

Three schema keywords on a property say that a submitted value may not count:

* ``readOnly: true`` (JSON Schema's own): the value belongs to the process, never to the
  submitter. A submitted value is dropped before validation, errors at the field are
  ignored (a read-only field cannot be "required" of the submitter), and the completed
  data leaves the field out, so the process keeps what it has.
* ``x-readonly-if: "=FEEL"`` (a text or a list of texts): read-only while one of the
  conditions is true (form-js ``readonly``/``disabled`` given as an expression).
* ``x-hide-if: "=FEEL"`` (a text or a list of texts): hidden while one of the conditions
  is true (form-js ``conditional.hide``). Like form-js, a hidden field's value is dropped
  and the field is not validated (neither required nor any constraint); the completed
  data has it as null. A hidden object or list hides everything inside it.

Conditions are evaluated the way form-js evaluates them: against the whole form's data
(the process data given as `context`, overlaid with the submitted data less its
read-only values, so a submitter cannot forge what a condition reads), with ``this``,
``parent`` and ``i`` (1-based indexes) for fields inside a dynamic list, where ``this``
is the list item. A condition counts only when it is exactly true; one that cannot be
evaluated (an unknown name, a type mismatch, FEEL the evaluator does not support) leaves
the field visible and validated.

`condition_holds` is the single place where FEEL is evaluated (translated once by
`expressions.feel.translate_feel`, run in the sandbox) and `condition_supported` the
single place that says what can be (what translates).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import expressions
from ..errors import FieldError
from ..expressions.feel import translate_feel
from .keywords import Path, follow_refs, object_properties, subschemas
from .messages import pointer

HIDE_IF = "x-hide-if"
READONLY_IF = "x-readonly-if"


def condition_holds(expression: str, scope: Mapping[str, Any]) -> bool:
    """True when a form-js condition (``=FEEL``) is exactly true over `scope`.

    Text without the leading ``=`` is not an expression to form-js, so it never holds; one
    that does not translate or fails to evaluate does not hold either.
    """
    if not isinstance(expression, str) or not expression.startswith("="):
        return False
    names = tuple(sorted(k for k in scope if isinstance(k, str) and not k.isidentifier()))
    try:
        return expressions.evaluate(translate_feel(expression[1:], known_names=names), dict(scope)) is True
    except (expressions.ExpressionError, ArithmeticError, TypeError):
        return False


def condition_supported(expression: str) -> bool:
    """True when `condition_holds` can evaluate `expression` (a form-js ``=FEEL`` text);
    the converters warn about the others: those FEEL does not translate."""
    if not isinstance(expression, str) or not expression.startswith("="):
        return False
    try:
        translate_feel(expression[1:])
    except expressions.ExpressionError:
        return False
    return True


def conditions_of(value: Any) -> tuple[str, ...]:
    """``x-hide-if``/``x-readonly-if`` as a tuple of expressions (text or list of text)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


@dataclass
class _Prop:
    hide: tuple[str, ...] = ()
    readonly: bool = False
    readonly_if: tuple[str, ...] = ()
    required: bool = False
    object: _Object | None = None
    items: _Object | None = None


@dataclass
class _Object:
    props: dict[str, _Prop] = field(default_factory=dict)


Plan = _Object


def compile_plan(schema: Any) -> Plan | None:
    """What to look at in submitted data, or None when the form has no read-only or
    conditional field at all (then validation does nothing extra)."""
    if not any(
        isinstance(sub, dict) and (sub.get("readOnly") is True or HIDE_IF in sub or READONLY_IF in sub)
        for _, sub in subschemas(schema)
    ):
        return None
    memo: dict[int, _Object] = {}
    return _object_plan(schema, schema, memo) or _Object()


def _object_plan(schema: Any, root: Any, memo: dict[int, _Object]) -> _Object | None:
    schema = follow_refs(schema, root)
    if not isinstance(schema, dict):
        return None
    if id(schema) in memo:
        return memo[id(schema)]
    plan = memo[id(schema)] = _Object()
    required = schema.get("required") if isinstance(schema.get("required"), list) else []
    for name, sub in object_properties(schema, root).items():
        target = follow_refs(sub, root)
        if not isinstance(target, dict):
            continue
        own = sub if isinstance(sub, dict) else {}
        prop = _Prop(
            hide=conditions_of(own.get(HIDE_IF, target.get(HIDE_IF))),
            readonly=own.get("readOnly", target.get("readOnly")) is True,
            readonly_if=conditions_of(own.get(READONLY_IF, target.get(READONLY_IF))),
            required=name in required,
            object=_object_plan(target, root, memo),
        )
        items = target.get("items")
        if isinstance(items, dict):
            prop.items = _object_plan(items, root, memo)
        if prop.hide or prop.readonly or prop.readonly_if or prop.object or prop.items:
            plan.props[name] = prop
    return plan if plan.props else None


@dataclass
class Outcome:
    """What `apply` made of a submission."""

    data: Any  # the submission without the values that do not count: what is validated
    hidden: list[Path] = field(default_factory=list)  # null in the completed data
    readonly: list[Path] = field(default_factory=list)  # left out of the completed data
    errors: list[FieldError] = field(default_factory=list)  # required fields in absent objects

    def counts(self, error: FieldError) -> bool:
        """False for an error at or under a hidden or read-only field."""
        for path in (*self.hidden, *self.readonly):
            place = pointer(path)
            if error.path == place or error.path.startswith(place + "/"):
                return False
        return True


def apply(plan: Plan, data: Any, context: Mapping[str, Any] | None = None) -> Outcome:
    """Drop read-only values and hidden fields' values from a copy of `data` (see module
    doc); `context` is the process data conditions may read besides the submission."""
    if not isinstance(data, dict):
        return Outcome(data)
    outcome = Outcome(copy.deepcopy(data))
    _drop_readonly(plan, outcome.data, (), outcome)
    view = {**(context or {}), **outcome.data}
    _walk(plan, outcome.data, (), _Scope(view, view, None, ()), outcome, present=True)
    return outcome


@dataclass(frozen=True)
class _Scope:
    root: Mapping[str, Any]
    this: Any
    parent: Any
    indexes: tuple[int, ...]

    def feel(self) -> dict[str, Any]:
        special = {"this": self.this, "parent": self.parent, "i": list(self.indexes)}
        return {**special, **self.root, **{f"_{k}_": v for k, v in special.items()}}


def _drop_readonly(plan: _Object, data: dict, path: Path, outcome: Outcome) -> None:
    for name, prop in plan.props.items():
        if name not in data:
            continue
        if prop.readonly:
            del data[name]
            outcome.readonly.append((*path, name))
            continue
        value = data[name]
        if prop.object is not None and isinstance(value, dict):
            _drop_readonly(prop.object, value, (*path, name), outcome)
        if prop.items is not None and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    _drop_readonly(prop.items, item, (*path, name, index), outcome)


def _walk(plan: _Object, data: dict, path: Path, scope: _Scope, outcome: Outcome, present: bool) -> None:
    feel: dict[str, Any] | None = None
    for name, prop in plan.props.items():
        if prop.readonly:
            continue
        where = (*path, name)
        if prop.hide or prop.readonly_if:
            feel = feel if feel is not None else scope.feel()
        if prop.hide and any(condition_holds(c, feel) for c in prop.hide):  # type: ignore[arg-type]
            data.pop(name, None)
            outcome.hidden.append(where)
            continue
        if prop.readonly_if and any(condition_holds(c, feel) for c in prop.readonly_if):  # type: ignore[arg-type]
            data.pop(name, None)
            outcome.readonly.append(where)
            continue
        if name not in data:
            if not present and prop.required and prop.hide:
                # Required only while visible, so its object could not require it: say it here.
                outcome.errors.append(FieldError(pointer(where), "is required"))
            if prop.object is not None:
                _walk(prop.object, {}, where, scope, outcome, present=False)
            continue
        value = data[name]
        if prop.object is not None and isinstance(value, dict):
            _walk(prop.object, value, where, scope, outcome, present)
        if prop.items is not None and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    inner = _Scope(scope.root, item, scope.this, (*scope.indexes, index + 1))
                    _walk(prop.items, item, (*where, index), inner, outcome, present)


def finish(outcome: Outcome, completed: Any) -> Any:
    """The completed data with hidden fields null and read-only fields left out."""
    for path in outcome.readonly:
        parent = _container(completed, path[:-1])
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    for path in outcome.hidden:
        parent = _container(completed, path[:-1])
        if isinstance(parent, dict):
            parent[path[-1]] = None
    return completed


def _container(data: Any, path: Path) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data
