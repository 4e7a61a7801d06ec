"""Turning jsonschema's errors into located, plain-language findings.

jsonschema words its messages for developers and includes the repr of the instance
(``'yesterday' is not a 'date'``); a person filling in a form needs "must be a valid date
(YYYY-MM-DD)" next to the field. It also reports some errors at the object instead of the
field the person has to fix (a missing required property, a property that is not allowed),
and folds the alternatives of ``anyOf``/``oneOf`` into one opaque error. `explain` fixes
all three: each finding names the exact place by its JSON path and says what is expected,
never echoing the submitted value (which may be long, or personal).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from jsonschema import ValidationError

from .keywords import Path, PathPart


class Finding(NamedTuple):
    """One thing wrong, at a JSON path into the validated document."""

    path: Path
    message: str
    # (locale, text) pairs when the form words this finding itself (``x-pattern-message-i18n``).
    translations: tuple[tuple[str, str], ...] = ()


#: A field's own words for a value that does not match its ``pattern`` (``-i18n``: translations).
PATTERN_MESSAGE = "x-pattern-message"

FORMAT_MESSAGES = {
    "date": "must be a valid date (YYYY-MM-DD)",
    "date-time": "must be a valid date and time (YYYY-MM-DDTHH:MM:SS with Z or an offset such as +01:00)",
    "time": "must be a valid time (HH:MM:SS with Z or an offset such as +01:00)",
    "duration": "must be a valid ISO 8601 duration (for example P3D or PT4H)",
    "email": "must be a valid email address",
    "idn-email": "must be a valid email address",
    "hostname": "must be a valid host name",
    "idn-hostname": "must be a valid host name",
    "ipv4": "must be a valid IPv4 address",
    "ipv6": "must be a valid IPv6 address",
    "uri": "must be a valid URI (for example https://example.com/page)",
    "uri-reference": "must be a valid URI reference",
    "iri": "must be a valid IRI",
    "iri-reference": "must be a valid IRI reference",
    "uri-template": "must be a valid URI template",
    "uuid": "must be a valid UUID",
    "json-pointer": "must be a valid JSON Pointer",
    "relative-json-pointer": "must be a valid relative JSON Pointer",
    "regex": "must be a valid regular expression",
    "decimal": "must be a decimal number (for example 1234.50)",
}

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def pointer(path: Iterable[PathPart]) -> str:
    """RFC 6901 JSON Pointer for a path: ``("lines", 0, "a/b")`` -> ``/lines/0/a~1b``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def explain(error: ValidationError) -> list[Finding]:
    """The findings one jsonschema error stands for (usually one, sometimes several)."""
    path: Path = tuple(error.absolute_path)
    keyword, value, instance = error.validator, error.validator_value, error.instance

    if _is_property_name_error(error):
        return [Finding((*path, str(instance)), f"is not an allowed name: {_message(error)}")]
    if keyword in ("anyOf", "oneOf"):
        return _alternatives(error)
    if keyword == "required" and isinstance(instance, dict) and isinstance(value, list):
        return [Finding((*path, name), "is required") for name in value if name not in instance]
    if keyword == "dependentRequired" and isinstance(instance, dict) and isinstance(value, dict):
        return [
            Finding((*path, name), f"is required when {trigger} is given")
            for trigger, names in value.items()
            if trigger in instance
            for name in names
            if name not in instance
        ]
    if keyword == "additionalProperties" and value is False and isinstance(instance, dict):
        return [Finding((*path, name), "is not allowed here") for name in _extras(instance, error.schema)]
    if keyword == "pattern" and isinstance(worded := error.schema.get(PATTERN_MESSAGE), str) and worded:
        # a regular expression means nothing to the person typing: the form says what it wants
        translations = error.schema.get(PATTERN_MESSAGE + "-i18n")
        return [Finding(path, worded, tuple(sorted(translations.items())) if isinstance(translations, dict) else ())]
    return [Finding(path, _message(error))]


def deduplicate(findings: Iterable[Finding]) -> list[Finding]:
    """Drop repeats (the metaschema and overlapping rules report the same thing twice),
    keeping the first occurrence's order."""
    return list(dict.fromkeys(findings))


def types_phrase(types: Any) -> str:
    """Types as a reader says them: ``[string, "null"]`` is "a string or null"."""
    names = [types] if isinstance(types, str) else list(types)
    if names == ["boolean"]:
        return "true or false"
    return " or ".join(_TYPE_NAMES.get(name, str(name)) for name in names)


def values_phrase(values: Iterable[Any]) -> str:
    """Allowed values as a reader sees them: text bare, anything else as JSON."""
    return ", ".join(_show(value) for value in values)


def _message(error: ValidationError) -> str:
    keyword, value = error.validator, error.validator_value
    plural = "" if value == 1 else "s"
    match keyword:
        case "type":
            return f"must be {types_phrase(value)}"
        case "enum":
            return f"must be one of: {values_phrase(value)}"
        case "const":
            return f"must be {_show(value)}"
        case "minimum":
            return f"must be at least {_number(value)}"
        case "maximum":
            return f"must be at most {_number(value)}"
        case "exclusiveMinimum":
            return f"must be greater than {_number(value)}"
        case "exclusiveMaximum":
            return f"must be less than {_number(value)}"
        case "multipleOf":
            return f"must be a multiple of {_number(value)}"
        case "minLength":
            return "must not be empty" if value == 1 else f"must be at least {value} characters long"
        case "maxLength":
            return f"must be at most {value} character{plural} long"
        case "pattern":
            return f"must match the pattern {value}"
        case "format":
            return FORMAT_MESSAGES.get(value, f"must be a valid {value}")
        case "minItems":
            return f"must have at least {value} item{plural}"
        case "maxItems":
            return f"must have at most {value} item{plural}"
        case "uniqueItems":
            return "must not contain the same item twice"
        case "minProperties":
            return f"must have at least {value} propert{'y' if value == 1 else 'ies'}"
        case "maxProperties":
            return f"must have at most {value} propert{'y' if value == 1 else 'ies'}"
        case "contains":
            return "must contain at least one matching item"
        case "minContains":
            return f"must contain at least {value} matching item{plural}"
        case "maxContains":
            return f"must contain at most {value} matching item{plural}"
        case "not":
            return "is not allowed here" if value in ({}, True) else "is not an allowed value"
        case None | "additionalProperties" | "unevaluatedProperties" | "unevaluatedItems" | "items":
            return "is not allowed here" if keyword is None else "contains entries that are not allowed here"
        case _:
            return "is not valid"


def _alternatives(error: ValidationError) -> list[Finding]:
    """Flatten a failed ``anyOf``/``oneOf`` into what the person should fix.

    Branches are ranked by how plainly they were *not* meant for this value: worst, its
    type differs; next, a constant differs (the value itself, or a discriminating
    property such as ``kind``); best, anything else. The best-ranked branches decide:
    one branch -> its own errors (``anyOf: [{type: string, format: decimal}, {type:
    number}]`` given "abc" says "must be a decimal number"); several branches that only
    differ in type or constant -> merged ("must be a string or a number", "must be one
    of: a, b"); several other branches -> each listed.
    """
    path: Path = tuple(error.absolute_path)
    if not error.context:
        return [Finding(path, "must match exactly one of the allowed alternatives, but matches several")]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    ranked = {index: _mismatch(errors) for index, errors in branches.items()}
    best = min(rank for rank, _ in ranked.values())
    chosen = [index for index, (rank, _) in ranked.items() if rank == best]
    if len(chosen) == 1:
        return deduplicate(finding for sub in branches[chosen[0]] for finding in explain(sub))
    if best > 0:
        return [_merged_mismatch(path, [ranked[index][1] for index in chosen])]  # type: ignore[misc]
    options = []
    for index in chosen:
        findings = deduplicate(finding for sub in branches[index] for finding in explain(sub))
        options.append(", ".join(_relative(finding, path) for finding in findings))
    which = "exactly one" if error.validator == "oneOf" else "one"
    return [Finding(path, f"must satisfy {which} of: " + "; or ".join(options))]


def _mismatch(errors: list[ValidationError]) -> tuple[int, ValidationError | None]:
    """How plainly a branch was not meant for the value (2 type, 1 constant, 0 neither),
    with the error that shows it."""
    constant = None
    for sub in errors:
        depth = len(sub.relative_path)
        if sub.validator == "type" and depth == 0:
            return 2, sub
        if sub.validator in ("const", "enum") and depth <= 1 and constant is None:
            constant = sub
    return (1, constant) if constant is not None else (0, None)


def _merged_mismatch(path: Path, mismatches: list[ValidationError]) -> Finding:
    where = {tuple(m.relative_path) for m in mismatches}
    kinds = {m.validator for m in mismatches}
    if len(where) == 1 and kinds == {"type"}:
        types: list[str] = []
        for m in mismatches:
            for name in [m.validator_value] if isinstance(m.validator_value, str) else m.validator_value:
                if name not in types:
                    types.append(name)
        return Finding(path, f"must be {types_phrase(types)}")
    if len(where) == 1 and kinds <= {"const", "enum"}:
        values: list[Any] = []
        for m in mismatches:
            for item in [m.validator_value] if m.validator == "const" else m.validator_value:
                if item not in values:
                    values.append(item)
        return Finding((*path, *next(iter(where))), f"must be one of: {values_phrase(values)}")
    return Finding(path, "does not match any of the allowed alternatives")


def _relative(finding: Finding, base: Path) -> str:
    rest = finding.path[len(base) :]
    return f"{pointer(rest)[1:]} {finding.message}" if rest else finding.message


def _is_property_name_error(error: ValidationError) -> bool:
    """True for an error raised by `propertyNames`, whose instance is the offending key.

    jsonschema reports those at the object; the person has to fix the key.
    """
    schema_path = list(error.absolute_schema_path)
    return (
        len(schema_path) >= 2
        and schema_path[-2] == "propertyNames"
        and (len(schema_path) < 3 or schema_path[-3] not in ("properties", "patternProperties"))
        and isinstance(error.instance, str)
    )


def _extras(instance: dict, schema: Any) -> list[str]:
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    patterns = schema.get("patternProperties", {}) if isinstance(schema, dict) else {}
    return [
        name
        for name in instance
        if name not in properties and not any(re.search(pattern, name) for pattern in patterns)
    ]


def _number(value: Any) -> str:
    """1 rather than 1.0: YAML and JSON readers turn ``1.0`` into a float."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _show(value: Any) -> str:
    """Text bare (quoted when empty, or it would vanish), anything else as JSON."""
    return value if isinstance(value, str) and value else json.dumps(value, default=str)
