"""UI hints: how a form is laid out, kept apart from what it accepts.

The schema says what data is valid; the hints say how to ask for it (field order,
widgets, help texts, translated titles). Keeping them in a separate file lets a designer
restyle a form without touching - and re-deploying a new version of - its rules, and keeps
the schema a standard JSON Schema any tool understands.

A hints file must fit `UI_HINTS_SCHEMA`, and every field it names (in ``order``,
``fields``, a table's ``columns``, a money field's ``currency_field``) must be a field of
the form: a hint for a field that does not exist is almost always a renamed field, and
the form would silently lose its layout.

Fields may carry a ``prefix``/``suffix`` shown beside the input (a currency sign, a unit),
and ``content`` lists static blocks shown among the fields (Markdown or HTML text, images,
embedded pages, tables and documents read from process data), each ``before`` the field
it precedes and optionally ``hide_if`` a condition: converted form-js forms bring them.
"""

from __future__ import annotations

from typing import Any

from ..errors import Problem
from .keywords import Path, follow_refs, object_properties
from .loading import Document
from .messages import pointer
from .validation import compile_validator, findings

WIDGETS = (
    "text",
    "textarea",
    "number",
    "money",
    "date",
    "datetime",
    "select",
    "radio",
    "checkbox",
    "table",
    "file",
    "email",
    "readonly",
)
#: A BCP 47 language tag, loosely: ``en``, ``de-CH``, ``zh-CN``, ``zh-Hant-TW``.
LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"

UI_HINTS_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Flowdesk form UI hints",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "order": {
            "description": "Field order; fields not listed follow in schema order.",
            "type": "array",
            "items": {"$ref": "#/$defs/field_name"},
            "uniqueItems": True,
        },
        "fields": {
            "description": "Per-field hints, by field name.",
            "type": "object",
            "additionalProperties": {"$ref": "#/$defs/field"},
        },
        "title": {"$ref": "#/$defs/text"},
        "content": {
            "description": "Static content shown among the fields (text, HTML, images); none of it is data.",
            "type": "array",
            "items": {"$ref": "#/$defs/content"},
        },
    },
    "$defs": {
        "content": {
            "type": "object",
            "additionalProperties": False,
            "required": ["kind"],
            "properties": {
                "kind": {"enum": ["markdown", "html", "image", "iframe", "table", "document"]},
                "text": {"type": "string"},
                "label": {"$ref": "#/$defs/text"},
                "source": {"type": "string"},
                "alt": {"type": "string"},
                "url": {"type": "string"},
                "height": {"type": "number"},
                "data_source": {"type": "string"},
                "columns": {"type": "array"},
                "before": {"description": "JSON Pointer of the field it is shown before; absent: at the end.",
                           "type": "string"},
                "hide_if": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            },
        },
        "field_name": {"type": "string", "minLength": 1},
        "translations": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": LOCALE_PATTERN},
            "additionalProperties": {"type": "string"},
        },
        "text": {
            "description": "Plain text, or translations by locale.",
            "anyOf": [{"type": "string"}, {"$ref": "#/$defs/translations"}],
        },
        "field": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "widget": {"enum": list(WIDGETS)},
                "label": {"$ref": "#/$defs/text"},
                "help": {"$ref": "#/$defs/text"},
                "placeholder": {"$ref": "#/$defs/text"},
                "prefix": {"$ref": "#/$defs/text"},
                "suffix": {"$ref": "#/$defs/text"},
                "readonly": {"type": "boolean"},
                "hidden": {"type": "boolean"},
                "columns": {
                    "description": "For the table widget: which item fields to show, in order.",
                    "type": "array",
                    "items": {"$ref": "#/$defs/field_name"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "currency_field": {
                    "description": "For the money widget: the field holding the ISO 4217 currency.",
                    "$ref": "#/$defs/field_name",
                },
            },
        },
    },
}

_VALIDATOR = compile_validator(UI_HINTS_SCHEMA)


def ui_problems(document: Document, schema: Any) -> list[Problem]:
    """Problems with a loaded hints file; `schema` is the form's schema, or None when it
    could not be read (then only the shape of the hints is checked)."""
    problems = [
        document.problem(finding.path, f"invalid UI hints at {pointer(finding.path) or '/'}: {finding.message}")
        for finding in findings(_VALIDATOR, document.data)
    ]
    if isinstance(schema, dict) and isinstance(document.data, dict):
        problems.extend(_unknown_fields(document, schema, document.data))
    return problems


def _unknown_fields(document: Document, schema: dict, hints: dict) -> list[Problem]:
    properties = object_properties(schema, schema)
    problems = []

    def check(name: Any, path: Path, where: str, known: dict[str, Any]) -> None:
        if isinstance(name, str) and name not in known:
            listing = ", ".join(known) or "none"
            problems.append(document.problem(path, f"{where} names `{name}`, which is not a field (fields: {listing})"))

    order = hints.get("order")
    if isinstance(order, list):
        for index, name in enumerate(order):
            check(name, ("order", index), "order", properties)
    fields = hints.get("fields")
    if not isinstance(fields, dict):
        return problems
    for name, hint in fields.items():
        check(name, ("fields", name), "fields", properties)
        if not isinstance(hint, dict):
            continue
        widget = hint.get("widget")
        if "currency_field" in hint:
            if widget != "money":
                problems.append(
                    document.problem(("fields", name, "currency_field"), "`currency_field` needs `widget: money`")
                )
            check(
                hint["currency_field"],
                ("fields", name, "currency_field"),
                f"fields/{name}/currency_field",
                properties,
            )
        if "columns" in hint:
            if widget != "table":
                problems.append(document.problem(("fields", name, "columns"), "`columns` needs `widget: table`"))
            columns = hint["columns"]
            item = follow_refs(properties.get(name), schema)
            item = follow_refs(item.get("items"), schema) if isinstance(item, dict) else None
            if isinstance(columns, list) and isinstance(item, dict):
                item_properties = object_properties(item, schema)
                for index, column in enumerate(columns):
                    check(column, ("fields", name, "columns", index), f"fields/{name}/columns", item_properties)
    return problems
