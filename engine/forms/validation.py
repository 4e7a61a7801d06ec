"""Compiling a schema into a validator and running it to plain findings.

Shared by forms (submitted data), UI hint files (against `UI_HINTS_SCHEMA`) and
definition checks, so all three speak the same language.

The validator is jsonschema's Draft 2020-12 validator with two keywords re-implemented:
``unevaluatedProperties`` and ``unevaluatedItems``. The originals report one error at the
object ("('x' was unexpected)"); these report one error per offending property or item,
at its own path, like `additionalProperties` does. That matters for forms because
``unevaluatedProperties: false`` is the way to close a form whose fields are declared in
``allOf``/``if``-``then`` branches. They rely on jsonschema's helpers for finding what was
evaluated; should a future jsonschema drop those, the stock keywords (with errors at the
object) are used instead.

Validation is bounded, because anyone who can complete a task can submit anything:

* `data_problems` first refuses data with more than `MAX_DATA_VALUES` values, more than
  `MAX_DATA_TEXT` characters of text, nesting deeper than `MAX_DATA_DEPTH`, and reports
  every number with more than `MAX_NUMBER_DIGITS` digits (written out in full) at its
  own place, without running the schema (a 5,000-digit number is a field error, not a
  crash in whatever converts it next);
* ``uniqueItems`` is re-implemented in linear time: items are reduced to hashable
  canonical forms with JSON Schema's equality (``1 == 1.0``, ``true != 1``, object keys
  unordered) instead of jsonschema's pairwise comparison, quadratic for mixed types;
* `capped_findings` stops explaining after `MAX_ERRORS` findings and only counts a
  bounded number of the rest, for a final "and N more" entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from .formats import FORMAT_CHECKER
from .keywords import Path, replace_false_schemas
from .messages import Finding, deduplicate, explain

MAX_DATA_VALUES = 20_000  # values (objects, arrays and scalars) in one submission
MAX_DATA_TEXT = 1_000_000  # characters of text, keys included, in one submission
MAX_DATA_DEPTH = 64  # levels of nesting
MAX_NUMBER_DIGITS = 100  # digits of a number written out without an exponent
MAX_ERRORS = 100  # findings explained; the rest are counted, up to MAX_COUNTED
MAX_COUNTED = 1_000
_TOO_MANY_DIGITS = 10**MAX_NUMBER_DIGITS

try:  # private helpers, see module doc
    from jsonschema._utils import (
        find_evaluated_item_indexes_by_schema,
        find_evaluated_property_keys_by_schema,
    )
except ImportError:  # pragma: no cover - depends on the jsonschema release
    find_evaluated_item_indexes_by_schema = None
    find_evaluated_property_keys_by_schema = None


def _unevaluated_properties(validator: Any, schema_value: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    evaluated = find_evaluated_property_keys_by_schema(validator, instance, schema)
    for name in instance:
        if name not in evaluated:
            yield from validator.descend(instance[name], schema_value, path=name, schema_path=name)


def _unevaluated_items(validator: Any, schema_value: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "array"):
        return
    evaluated = find_evaluated_item_indexes_by_schema(validator, instance, schema)
    for index, item in enumerate(instance):
        if index not in evaluated:
            yield from validator.descend(item, schema_value, path=index, schema_path=index)


def _multiple_of(validator: Any, step: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """``multipleOf`` in exact decimal arithmetic. Submitted amounts arrive as Decimal
    (never floats), which jsonschema's float division cannot take (it raised TypeError,
    a 500 for a user's input); and ``0.3`` is a multiple of ``0.1`` as people count."""
    if not validator.is_type(instance, "number") or isinstance(instance, bool):
        return
    try:
        quotient = Decimal(str(instance)) / Decimal(str(step))
    except (InvalidOperation, ZeroDivisionError):
        return
    if quotient != quotient.to_integral_value():
        yield ValidationError(f"{instance} is not a multiple of {step}")


def _canonical(value: Any) -> Any:
    """A hashable form of a JSON value, equal for values JSON Schema calls equal."""
    if isinstance(value, str):
        return ("s", value)
    if value is True or value is False:
        return ("b", value)
    if value is None:
        return ("z",)
    if isinstance(value, int | float | Decimal):
        return ("n", _number_key(value))
    if isinstance(value, Mapping):
        return ("o", frozenset((key, _canonical(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return ("a", tuple(_canonical(item) for item in value))
    return ("?", repr(value))


def _number_key(value: int | float | Decimal) -> Any:
    """An exact number with its trailing zeros stripped: 1, 1.0 and 1.00 give one key.
    The digits are text, so the key's hash is randomised like any text's."""
    number = Decimal(value) if not isinstance(value, Decimal) else value
    if not number.is_finite():
        return ("x", str(number))
    sign, digits, exponent = number.as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    if not text:
        return "0"
    assert isinstance(exponent, int)
    return (sign, text, exponent + len(digits) - len(text))


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """``uniqueItems`` in linear time (see the module doc); the error does not quote the
    array (jsonschema's does, all of it)."""
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for item in instance:
        key = _canonical(item)
        if key in seen:
            yield ValidationError("has non-unique elements")
            return
        seen.add(key)


_OVERRIDES = {
    "multipleOf": _multiple_of,
    "uniqueItems": _unique_items,
    **({"unevaluatedProperties": _unevaluated_properties, "unevaluatedItems": _unevaluated_items}
       if find_evaluated_property_keys_by_schema and find_evaluated_item_indexes_by_schema else {}),
}

#: Draft 2020-12 with per-property `unevaluated*` errors (see module doc).
FormValidator = validators.extend(Draft202012Validator, _OVERRIDES)


def compile_validator(schema: Any) -> Any:
    """A validator for `schema` that enforces formats and reports `false` subschemas at
    their own path (see `keywords.replace_false_schemas`). The schema is not checked:
    that is `schema_checks`' job, done once when the form is loaded."""
    return FormValidator(replace_false_schemas(schema), format_checker=FORMAT_CHECKER)


def findings(validator: Any, instance: Any) -> list[Finding]:
    """Every finding for `instance`, deduplicated, in jsonschema's order.

    Under 2020-12 a property declared in a branch that failed (``allOf: [{properties:
    {qty: {minimum: 1}}}]`` given ``qty: 0``) also counts as unevaluated, so it would be
    reported twice: "must be at least 1" and "is not allowed here". The second is noise
    and misleading, so an `unevaluated*` finding is dropped when the same place (or
    something inside it) already has a finding of its own. The data is rejected either way.
    """
    return capped_findings(validator, instance, None)[0]


def capped_findings(validator: Any, instance: Any, limit: int | None = MAX_ERRORS) -> tuple[list[Finding], int]:
    """`findings`, but explaining only the first `limit` errors of jsonschema; returns
    them and how many more errors there were (counted up to `MAX_COUNTED`)."""
    errors: Iterator[ValidationError] = validator.iter_errors(instance)
    primary: list[Finding] = []
    unevaluated: list[Finding] = []
    more = 0
    for error in errors:
        if limit is not None and len(primary) + len(unevaluated) >= limit:
            more = 1 + sum(1 for _ in islice(errors, MAX_COUNTED - 1))
            break
        target = unevaluated if _UNEVALUATED & set(error.absolute_schema_path) else primary
        target.extend(explain(error))
    # every place a primary finding is at or inside: an unevaluated finding there is noise
    covered = {finding.path[:n] for finding in primary for n in range(len(finding.path) + 1)}
    kept = [finding for finding in unevaluated if finding.path not in covered]
    return deduplicate([*primary, *kept]), more


def data_problems(data: Any) -> list[Finding]:
    """What makes submitted data unfit to validate (see the module doc): one finding at the
    top for data too large or too deep, or one per number with too many digits."""
    values = 0
    text = 0
    numbers: list[Finding] = []
    stack: list[tuple[Path, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        values += 1
        if values > MAX_DATA_VALUES:
            return [Finding((), f"has more than {MAX_DATA_VALUES:,} values, more than a form accepts")]
        if len(path) > MAX_DATA_DEPTH:
            return [Finding((), f"is nested more than {MAX_DATA_DEPTH} levels deep, more than a form accepts")]
        if isinstance(value, str):
            text += len(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                text += len(key) if isinstance(key, str) else 0
                stack.append(((*path, key), item))
        elif isinstance(value, list | tuple):
            stack.extend(((*path, index), item) for index, item in enumerate(value))
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool) and _digits_exceed(value):
            numbers.append(Finding(path, f"must have at most {MAX_NUMBER_DIGITS} digits"))
        if text > MAX_DATA_TEXT:
            return [Finding((), f"has more than {MAX_DATA_TEXT:,} characters of text, more than a form accepts")]
    return numbers


def _digits_exceed(value: int | float | Decimal) -> bool:
    """True when `value` written out in full (no exponent) has more than
    `MAX_NUMBER_DIGITS` digits; never converts an int to text (Python refuses that
    beyond 4,300 digits)."""
    if isinstance(value, int):
        return abs(value) >= _TOO_MANY_DIGITS
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    if not number.is_finite():
        return False
    adjusted = number.adjusted()
    if adjusted >= MAX_NUMBER_DIGITS or adjusted < -MAX_NUMBER_DIGITS:
        return True
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    return len(digits) + max(exponent, 0) > MAX_NUMBER_DIGITS or -exponent > MAX_NUMBER_DIGITS


_UNEVALUATED = {"unevaluatedProperties", "unevaluatedItems"}
