"""Checking that a form's schema is one the engine can enforce.

A broken schema is worse than none: jsonschema would either crash on the first submission
or, for a typo such as ``requried`` or ``format: dat``, quietly enforce nothing. So a form
is rejected at load time, with a file and line per problem, when:

* it is not a draft 2020-12 schema (checked against the metaschema, every error);
* its top level is not an object schema (``type: object``): a form submits named fields;
* it names a keyword that is in no 2020-12 vocabulary (extensions must start with ``x-``,
  such as ``x-title-i18n``), or a `format` the engine does not check;
* a `$ref` points outside the file or at nothing, or loops back to where it started
  without descending into the data (``a: {$ref: "#/$defs/a"}``), which would make
  every validation recurse until the interpreter gives up;
* ``x-title-i18n``/``x-description-i18n`` are not ``{locale: text}`` mappings;
* an ``x-rules`` entry (cross-field rules, see `rules`) is malformed, names a field the
  object does not declare, or has a rule the expression sandbox does not accept;
* ``x-absent`` (what an absent optional field becomes, see `defaults`) is not ``keep``
  or ``fill``.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from ..errors import Problem
from .defaults import ABSENT
from .formats import FORMAT_CHECKER, known_formats
from .keywords import KNOWN_KEYWORDS, Path, resolve_local_ref, subschemas
from .loading import Document
from .messages import pointer
from .rules import rule_problems
from .validation import findings

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
I18N_KEYWORDS = ("x-title-i18n", "x-description-i18n", "x-pattern-message-i18n")

_METASCHEMA = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_problems(document: Document) -> list[Problem]:
    """Every problem with the schema in a loaded document (see module doc)."""
    schema = document.data
    if not isinstance(schema, dict):
        return [document.problem((), "a form must be an object schema (a mapping with `type: object`)")]
    problems = _top_level_problems(document, schema)
    for finding in findings(_METASCHEMA, schema):
        where = pointer(finding.path) or "/"
        problems.append(document.problem(finding.path, f"invalid schema at {where}: {finding.message}"))
    for path, subschema in subschemas(schema):
        if isinstance(subschema, dict):
            problems.extend(_subschema_problems(document, schema, path, subschema))
    problems.extend(_reference_loops(document, schema))
    return problems


def _top_level_problems(document: Document, schema: dict) -> list[Problem]:
    problems = []
    declared = schema.get("$schema")
    if declared is not None and (not isinstance(declared, str) or declared.rstrip("#") != DRAFT_2020_12):
        problems.append(
            document.problem(("$schema",), f"forms use JSON Schema draft 2020-12: `$schema` must be {DRAFT_2020_12}")
        )
    kind = schema.get("type")
    if "type" not in schema:
        problems.append(document.problem((), "the top level of a form must declare `type: object`"))
    elif kind not in ("object", ["object"]):
        problems.append(document.problem(("type",), "the top level of a form must be `type: object`"))
    return problems


def _subschema_problems(document: Document, root: dict, path: Path, schema: dict) -> list[Problem]:
    problems = []
    where = pointer(path) or "/"
    for keyword in schema:
        if isinstance(keyword, str) and keyword not in KNOWN_KEYWORDS and not keyword.startswith("x-"):
            problems.append(
                document.problem(
                    (*path, keyword),
                    f"unknown keyword `{keyword}` at {where} (custom keywords must start with x-)",
                )
            )
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt not in FORMAT_CHECKER.checkers:
        problems.append(
            document.problem(
                (*path, "format"),
                f"unknown format `{fmt}` at {where}; the engine checks: {', '.join(known_formats())}",
            )
        )
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if not ref.startswith("#"):
            problems.append(
                document.problem(
                    (*path, "$ref"),
                    f"`$ref` {ref} at {where}: only references within the form (#...) are supported",
                )
            )
        elif not resolve_local_ref(root, ref)[0]:
            problems.append(document.problem((*path, "$ref"), f"`$ref` {ref} at {where} points to nothing"))
    if ABSENT in schema and schema[ABSENT] not in ("keep", "fill"):
        problems.append(document.problem((*path, ABSENT), f"`{ABSENT}` at {where} must be `keep` or `fill`"))
    for relative, message in rule_problems(schema, root):
        problems.append(document.problem((*path, *relative), f"{message} (at {where})"))
    for keyword in I18N_KEYWORDS:
        if keyword in schema and not _is_translations(schema[keyword]):
            problems.append(
                document.problem(
                    (*path, keyword),
                    f"`{keyword}` at {where} must map locales to text, e.g. {{en: ..., zh-CN: ...}}",
                )
            )
    return problems


def _is_translations(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(locale, str) and isinstance(text, str) for locale, text in value.items())
    )


#: Keywords applying subschemas to the same value (not to a property or an item of it).
_IN_PLACE_SINGLE = ("not", "if", "then", "else")
_IN_PLACE_LIST = ("allOf", "anyOf", "oneOf")


def _reference_loops(document: Document, root: dict) -> list[Problem]:
    """A problem for each `$ref` closing a loop of in-place applicators.

    Following `properties`/`items` moves into the data, which is finite, so a recursive
    tree schema is fine; a loop through `$ref`, `allOf`, `not`, `if`... stays on the same
    value and never ends. Depth-first search with the usual grey/black colouring.
    """
    paths = {id(schema): path for path, schema in reversed(list(subschemas(root)))}
    state: dict[int, str] = {}
    problems: list[Problem] = []

    def visit(schema: Any) -> None:
        if not isinstance(schema, dict) or state.get(id(schema)) == "done":
            return
        state[id(schema)] = "active"
        targets = [schema.get(key) for key in _IN_PLACE_SINGLE]
        for key in _IN_PLACE_LIST:
            if isinstance(schema.get(key), list):
                targets.extend(schema[key])
        if isinstance(schema.get("dependentSchemas"), dict):
            targets.extend(schema["dependentSchemas"].values())
        for target in targets:
            visit(target)
        ref = schema.get("$ref")
        if isinstance(ref, str):
            found, target = resolve_local_ref(root, ref)
            if found and isinstance(target, dict) and state.get(id(target)) == "active":
                path = paths.get(id(schema), ())
                where = pointer(path) or "/"
                problems.append(document.problem((*path, "$ref"), f"`$ref` {ref} at {where} loops back to itself"))
            elif found:
                visit(target)
        state[id(schema)] = "done"

    for _, schema in subschemas(root):
        visit(schema)
    return problems
