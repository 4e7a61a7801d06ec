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
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from .formats import FORMAT_CHECKER
from .keywords import replace_false_schemas
from .messages import Finding, deduplicate, explain

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


_OVERRIDES = {
    "multipleOf": _multiple_of,
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
    errors: Iterator[ValidationError] = validator.iter_errors(instance)
    primary: list[Finding] = []
    unevaluated: list[Finding] = []
    for error in errors:
        target = unevaluated if _UNEVALUATED & set(error.absolute_schema_path) else primary
        target.extend(explain(error))
    kept = [
        finding
        for finding in unevaluated
        if not any(other.path[: len(finding.path)] == finding.path for other in primary)
    ]
    return deduplicate([*primary, *kept])


_UNEVALUATED = {"unevaluatedProperties", "unevaluatedItems"}
