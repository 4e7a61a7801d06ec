"""The sandbox built-ins that translated FEEL calls: environments, operators, iteration.

Translated FEEL is plain sandbox Python that calls these helpers. They are registered in
`expressions.builtins.BUILTINS` under names starting with ``_feel_`` (names with that
prefix are reserved for them), so every `expressions.evaluate` can run FEEL without any
extra argument. They are trusted code and are built like the other sandbox built-ins:
`SafeBuiltin` wrappers that charge the active meter, charge work proportional to their
input, and accept any argument a designer's Python might pass them (they only ever read
the caller's own variables and return FEEL values or null).

Variables. A FEEL name never becomes a Python identifier: the translation is wrapped in
``_feel_main(lambda E: ...)``, and every name is looked up as ``E("Applicant Age")``.
``_feel_main`` builds the root environment from the closure of that lambda, i.e. the
interpreter scope the expression is evaluated in (the ``names`` given to ``evaluate``),
so a missing variable is simply null. ``for``, quantifiers, filters, function parameters
and context literals push child environments. Names are matched exactly as written, with
the words of a multi-word name joined by single spaces: ``Applicant Age`` reads the key
``"Applicant Age"``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ..callables import SafeBuiltin
from ..errors import EvaluationError
from ..functions import SandboxFunction
from ..meter import Meter, active_meter
from . import library
from .environment import MISSING, Env, FeelFunction
from .operations import arithmetic, compare, equal, in_range, negate
from .values import (
    NUMBERS,
    FeelError,
    Range,
    is_number,
    kind,
    needs_conversion,
    parse_temporal,
    to_data,
    zone_name,
)

PREFIX = "_feel_"


def _body(value: Any, what: str) -> Any:
    if type(value) is not SandboxFunction:
        raise TypeError(f"{what} must be a lambda")
    return value


def _env(value: Any) -> Env:
    if type(value) is not Env:
        raise TypeError("expected a FEEL environment")
    return value


def _root(function: Any) -> Env:
    return Env(None, None, _body(function, "_feel_main's argument").closure)


# -- entry points ------------------------------------------------------------------------


def _main(meter: Meter, function: Any) -> Any:
    """Runs a translated expression and returns its value as instance data (`to_data`)."""
    result = function(_root(function))
    if needs_conversion(result):
        meter.weigh(result)
        try:
            return to_data(result)
        except FeelError as exc:
            raise EvaluationError(f"FEEL: {exc}") from exc
    return result


# Set by a caller that runs several evaluations on one budget (engine/decisions): `_eval`
# writes the operations left in the run into it, so the next evaluation gets only those.
REMAINING: ContextVar[list[int] | None] = ContextVar("flowdesk_feel_remaining", default=None)


def _eval(meter: Meter, function: Any) -> Any:
    """Runs a translated expression and returns its FEEL value as it is (DMN uses this)."""
    result = function(_root(function))
    box = REMAINING.get()
    if box is not None:
        box[0] = meter.ops
    return result


def _first(meter: Meter, *rules: Any) -> int:
    """The index of the first of `rules` (lambdas without parameters) whose value is true
    (truthy when `truthy`), or -1: a first-hit decision table evaluates no further."""
    for index, rule in enumerate(rules):
        if _body(rule, "a rule")():
            return index
    return -1


# -- literals ---------------------------------------------------------------------------


_NUMBER_CACHE: dict[str, Decimal] = {}


def _number(meter: Meter, text: str) -> Any:
    value = _NUMBER_CACHE.get(text)
    if value is None:
        value = Decimal(text)
        if len(value.as_tuple().digits) > 34:
            value = NUMBERS.plus(value)
        if len(_NUMBER_CACHE) < 4096:
            _NUMBER_CACHE[text] = value
    return value


def _temporal(meter: Meter, text: str) -> Any:
    return parse_temporal(text)


# -- operators ---------------------------------------------------------------------------


def _op(meter: Meter, op: str, a: Any, b: Any) -> Any:
    return arithmetic(meter, op, a, b)


def _ops(meter: Meter, first: Any, *rest: Any) -> Any:
    """``a op b op c ...`` of one precedence level, left to right."""
    if len(rest) % 2:
        raise TypeError("malformed FEEL operator chain")
    result = first
    for index in range(0, len(rest), 2):
        result = arithmetic(meter, rest[index], result, rest[index + 1])
    return result


def _neg(meter: Meter, value: Any) -> Any:
    return negate(value)


def _cmp(meter: Meter, op: str, a: Any, b: Any) -> Any:
    return compare(meter, op, a, b)


def _and(meter: Meter, *values: Any) -> bool | None:
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


def _or(meter: Meter, *values: Any) -> bool | None:
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None


def _not(meter: Meter, value: Any) -> bool | None:
    return (not value) if type(value) is bool else None


def _between(meter: Meter, value: Any, low: Any, high: Any) -> bool | None:
    return _and(meter, compare(meter, ">=", value, low), compare(meter, "<=", value, high))


def _in_range(meter: Meter, value: Any, low: Any, high: Any, low_closed: bool, high_closed: bool) -> bool | None:
    if (low is None and low_closed) or (high is None and high_closed):
        return None
    return in_range(meter, value, low, high, low_closed, high_closed)


def _range(meter: Meter, low: Any, high: Any, low_closed: bool, high_closed: bool) -> Range | None:
    if low is not None and high is not None and kind(low) != kind(high):
        return None
    return Range(low, high, bool(low_closed), bool(high_closed))


def _one_sided(meter: Meter, op: str, value: Any) -> Range | None:
    if op == "<":
        return Range(None, value, False, False)
    if op == "<=":
        return Range(None, value, False, True)
    if op == ">":
        return Range(value, None, False, False)
    if op == ">=":
        return Range(value, None, True, False)
    return None


def _match(meter: Meter, value: Any, test: Any) -> bool | None:
    """A unary test given as an expression (without ``?``): equal to the value, a member
    of the list, inside the range; a boolean test on a non-boolean input is the test."""
    t = type(test)
    if t is Range:
        return _in_range(meter, value, test.start, test.end, test.start_closed, test.end_closed)
    if t is list:
        if type(value) is list and equal(meter, value, test) is True:
            return True
        meter.charge(len(test) // 10)
        found: bool | None = False
        for item in test:
            result = _match(meter, value, item)
            if result is True:
                return True
            if result is None:
                found = None
        return found
    if t is bool and type(value) is not bool:
        return test
    return equal(meter, value, test)


def _any(meter: Meter, *results: Any) -> bool | None:
    """A disjunction of unary tests: true if one is true, false if all are false."""
    if any(r is True for r in results):
        return True
    return False if all(r is False for r in results) else None


def _instance(meter: Meter, value: Any, type_name: str) -> bool:
    if type_name == "Any":
        return value is not None
    if type_name == "Null":
        return value is None
    base, _, inner = type_name.partition("<")
    actual = kind(value)
    if base == "function":
        return callable(value) and value is not None
    if actual != base:
        return False
    if base == "list" and inner:
        element = inner[:-1]
        meter.charge(len(value) // 10)
        return all(_instance(meter, item, element) for item in value)
    return True


# -- paths, filters, iteration -----------------------------------------------------------

_PROPERTIES: dict[str, Callable[[Any], Any]] = {
    "year": lambda v: v.year,
    "month": lambda v: v.month,
    "day": lambda v: v.day,
    "weekday": lambda v: v.isoweekday(),
    "hour": lambda v: v.hour,
    "minute": lambda v: v.minute,
    "second": lambda v: v.second,
}


def _property(value: Any, name: str) -> Any:
    k = kind(value)
    if k in ("date", "date and time") and name in ("year", "month", "day", "weekday"):
        return _PROPERTIES[name](value)
    if k in ("time", "date and time"):
        if name in ("hour", "minute", "second"):
            return _PROPERTIES[name](value)
        if name == "time offset":
            return value.utcoffset()
        if name == "timezone":
            return zone_name(value.tzinfo)
    if k == "days and time duration":
        sign = -1 if value < timedelta(0) else 1
        magnitude = abs(value)
        total = magnitude.days * 86400 + magnitude.seconds
        parts = {"days": total // 86400, "hours": total % 86400 // 3600, "minutes": total % 3600 // 60,
                 "seconds": total % 60}
        if name in parts:
            return sign * parts[name]
    if k == "years and months duration":
        sign = -1 if value.months < 0 else 1
        if name == "years":
            return sign * (abs(value.months) // 12)
        if name == "months":
            return sign * (abs(value.months) % 12)
    if k == "range":
        return {"start": value.start, "end": value.end, "start included": value.start_closed,
                "end included": value.end_closed}.get(name)
    return None


def _path(meter: Meter, value: Any, name: str) -> Any:
    t = type(value)
    if t is dict:
        return value.get(name)
    if t is list:
        meter.charge(len(value) // 10)
        return meter.produced([_path(meter, item, name) for item in value])
    if value is None or t is str or t is bool:
        return None
    return _property(value, name)


def _index(meter: Meter, items: Any, position: Any) -> Any:
    if not isinstance(items, list | tuple):
        items = [items]
    if not is_number(position):
        return None
    if type(position) is not int:
        d = Decimal(position) if type(position) is not Decimal else position
        if d != d.to_integral_value():
            return None
        position = int(d)
    if position == 0 or abs(position) > len(items):
        return None
    return items[position - 1] if position > 0 else items[position]


def _filter(meter: Meter, env: Any, items: Any, condition: Any) -> Any:
    env = _env(env)
    condition = _body(condition, "a filter condition")
    if items is None:
        return None
    if not isinstance(items, list | tuple):
        items = [items]
    items = meter.consume(items)
    if not items:
        return []
    first = condition(Env(None, env, item=items[0]))
    if is_number(first):
        return _index(meter, items, first)
    result = [items[0]] if first is True else []
    for item in items[1:]:
        if condition(Env(None, env, item=item)) is True:
            result.append(item)
    return meter.produced(result)


def _span(meter: Meter, low: Any, high: Any) -> list[int] | None:
    """``a..b`` in an iteration: the integers from a to b, counting down if b < a."""
    try:
        first, last = library.integer_arg(low), library.integer_arg(high)
    except library.Null:
        return None
    count = abs(last - first) + 1
    meter.need_items(count, f"the range {first}..{last}")
    meter.charge(count // 10)
    step = 1 if last >= first else -1
    return list(range(first, last + step, step))


def _iterate(meter: Meter, env: Env, names: tuple[str, ...], domains: tuple[Any, ...],
             visit: Callable[[Env], bool]) -> None:
    """Calls `visit` with an environment for each combination of the iteration variables
    (the first varies slowest); stops when `visit` returns False."""
    if type(names) is not tuple or type(domains) is not tuple or len(names) != len(domains):
        raise TypeError("malformed FEEL iteration")

    def level(index: int, scope: Env) -> bool:
        domain = _body(domains[index], "an iteration domain")(scope)
        if domain is None:
            return True
        if type(domain) is Range:
            domain = _span(meter, domain.start, domain.end) or []
        if not isinstance(domain, list | tuple):
            domain = [domain]
        for value in meter.consume(domain):
            inner = Env({names[index]: value}, scope)
            if index + 1 < len(names):
                if not level(index + 1, inner):
                    return False
            elif not visit(inner):
                return False
        return True

    level(0, env)


def _for(meter: Meter, env: Any, names: Any, domains: Any, body: Any) -> list[Any]:
    env = _env(env)
    body = _body(body, "a 'for' body")
    results: list[Any] = []

    def visit(scope: Env) -> bool:
        scope.vars["partial"] = results  # type: ignore[index]
        results.append(body(scope))
        if len(results) > meter.max_items:
            meter.need_items(len(results))
        return True

    _iterate(meter, env, names, domains, visit)
    return meter.produced(results)


def _quantified(every: bool) -> Callable[..., bool | None]:
    def run(meter: Meter, env: Any, names: Any, domains: Any, body: Any) -> bool | None:
        env = _env(env)
        body = _body(body, "a quantified expression")
        found = [every]  # some: false until a true; every: true until a false

        def visit(scope: Env) -> bool:
            result = body(scope)
            if every and result is not True:
                found[0] = False
                return False
            if not every and result is True:
                found[0] = True
                return False
            return True

        _iterate(meter, env, names, domains, visit)
        return found[0]

    return run


def _context(meter: Meter, env: Any, keys: Any, values: Any) -> dict[str, Any]:
    """A context literal whose entries refer to earlier ones."""
    env = _env(env)
    if type(keys) is not tuple or type(values) is not tuple or len(keys) != len(values):
        raise TypeError("malformed FEEL context")
    result: dict[str, Any] = {}
    scope = Env(result, env)
    for key, value in zip(keys, values, strict=True):
        result[key] = _body(value, "a context entry")(scope)
    return meter.produced(result)


def _function(meter: Meter, env: Any, params: Any, body: Any) -> FeelFunction:
    if type(params) is not tuple or not all(type(p) is str for p in params):
        raise TypeError("malformed FEEL function")
    return FeelFunction(_env(env), params, _body(body, "a function body"))


# -- invocation --------------------------------------------------------------------------


def _builtin(name: Any) -> library.Builtin:
    function = library.FUNCTIONS.get(name) if type(name) is str else None
    if function is None:
        raise EvaluationError(f"FEEL: no built-in function named {name!r}")
    return function


def _call(meter: Meter, name: Any, *args: Any) -> Any:
    """A built-in called with positional arguments."""
    return library.call(meter, _builtin(name), args)


def _call_named(meter: Meter, name: Any, named: Any) -> Any:
    function = _builtin(name)
    if type(named) is not dict:
        raise TypeError("named arguments must be a dict")
    args = function.bind(named)
    if args is None:
        return None
    return library.call(meter, function, args)


def _apply(meter: Meter, function: Any, args: Any, named: Any = None) -> Any:
    """Calls a function value: a FEEL function, a sandbox lambda or an engine function."""
    if function is None:
        return None
    if type(function) is library.Builtin:
        return library.call(meter, function, args) if named is None else _call_named(meter, function.name, named)
    if not callable(function) or isinstance(function, type):
        return None
    if named:
        if type(function) is FeelFunction:
            return function(**named)
        return None
    return function(*args)


def _invoke(meter: Meter, env: Any, name: Any, args: Any, named: Any = None) -> Any:
    """Calls `name`: a function bound in the scope (a business knowledge model, a context
    entry, an engine function), else the built-in of that name."""
    env = _env(env)
    value = env.lookup(name)
    if value is not MISSING and value is not None and callable(value) and not isinstance(value, type):
        return _apply(meter, value, args, named)
    function = library.FUNCTIONS.get(name)
    if function is not None:
        return library.call(meter, function, args) if named is None else _call_named(meter, name, named)
    if value is MISSING or value is None:
        raise EvaluationError(f"FEEL: no function named {name!r}")
    raise EvaluationError(f"FEEL: {name!r} is a {kind(value)}, not a function")


HELPERS: dict[str, Callable[..., Any]] = {
    "main": _main,
    "eval": _eval,
    "first": _first,
    "num": _number,
    "at": _temporal,
    "op": _op,
    "ops": _ops,
    "neg": _neg,
    "cmp": _cmp,
    "and": _and,
    "or": _or,
    "not": _not,
    "between": _between,
    "inrange": _in_range,
    "range": _range,
    "onesided": _one_sided,
    "match": _match,
    "any": _any,
    "instance": _instance,
    "path": _path,
    "index": _index,
    "filter": _filter,
    "span": _span,
    "for": _for,
    "some": _quantified(False),
    "every": _quantified(True),
    "ctx": _context,
    "fn": _function,
    "call": _call,
    "calln": _call_named,
    "apply": _apply,
    "invoke": _invoke,
}

RUNTIME_BUILTINS: dict[str, SafeBuiltin] = {
    PREFIX + name: SafeBuiltin(PREFIX + name, impl) for name, impl in HELPERS.items()
}


def run_builtin(name: str, *args: Any) -> Any:
    """Calls a FEEL built-in from trusted code inside an active sandbox run."""
    return library.call(active_meter(), library.FUNCTIONS[name], args)
