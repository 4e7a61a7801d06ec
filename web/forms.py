"""JSON-Schema forms as HTML widgets, and HTML form posts back into typed data.

A form is the schema the engine validates with plus its UI hints (order, widgets, help,
translated labels). This module only *presents*: it turns a schema into widgets, turns
the posted strings back into the types the schema asks for (numbers as exact
``Decimal``s, integers, booleans, null for an empty optional choice), and places the
engine's :class:`FieldError`\\ s next to their fields. Validation itself stays in the
engine, so a browser gets exactly the API's answers.

What was typed is never lost: a post is re-rendered from the posted strings, not from
the parsed data, so "12,5" in a number field comes back as "12,5" with its error.

Arrays of objects are line tables. Adding and removing rows works without JavaScript:
the "add row" and "remove" buttons are submit buttons (``_action=add:<field>``,
``remove:<field>:<row>``) and the page is rendered again with the posted values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from flowdesk.engine.errors import FieldError
from flowdesk.engine.forms.keywords import resolved

from .i18n import localized, text_in
from .messages import field_message

PREFIX = "f"
ROWS = "__rows"
_MISSING = object()


@dataclass
class Option:
    value: str
    label: str


@dataclass
class Widget:
    """One field as the templates draw it."""

    name: str  # the HTML name: f.title, f.lines.0.quantity
    pointer: str  # the JSON Pointer the engine's errors use: /title, /lines/0/quantity
    key: str
    label: str
    kind: str  # text, textarea, number, integer, money, date, datetime, email, select, radio, checkbox,
    #            table, list, object, readonly
    help: str | None = None
    required: bool = False
    value: str = ""
    display: Any = None  # a read-only field's value
    options: list[Option] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    currency: str | None = None
    max_length: int | None = None
    columns: list[Widget] = field(default_factory=list)
    rows: list[list[Widget]] = field(default_factory=list)
    children: list[Widget] = field(default_factory=list)

    @property
    def id(self) -> str:
        return "fld-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)

    @property
    def checked(self) -> bool:
        return self.value in ("true", "on", "1")


# -- schema helpers --------------------------------------------------------------------------------
def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    if "enum" in schema:
        return {type_name(v) for v in schema["enum"]}
    return set()


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float | Decimal):
        return "number"
    return "string"


def _properties(schema: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: resolved(prop, root) for name, prop in (schema.get("properties") or {}).items()}


def _ordered(names: list[str], order: Any) -> list[str]:
    first = [n for n in order if n in names] if isinstance(order, list) else []
    return first + [n for n in names if n not in first]


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _humanise(value: Any) -> str:
    text = str(value)
    return text[:1].upper() + text[1:].replace("_", " ") if text else text


def _kind(prop: Mapping[str, Any], hints: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    types = _types(prop)
    widget = hints.get("widget")
    if prop.get("readOnly") or hints.get("readonly") or widget == "readonly":
        return "readonly"
    if prop.get("format") == "binary" or "contentMediaType" in prop or widget == "file":
        return "file"  # the id of a file uploaded with the form (see routes/collaboration.py)
    if "array" in types:
        items = resolved(prop.get("items") or {}, root)
        return "table" if "object" in _types(items) or "properties" in items else "list"
    if "object" in types:
        return "object"
    if "enum" in prop:
        return "radio" if widget == "radio" else "select"
    if widget in ("textarea", "money", "date", "datetime", "email", "checkbox", "select"):
        return widget
    if "boolean" in types:
        return "checkbox"
    if "integer" in types and "string" not in types:
        return "integer"
    if "number" in types and "string" not in types:
        return "number"
    fmt = prop.get("format")
    if fmt == "date":
        return "date"
    if fmt == "date-time":
        return "datetime"
    if fmt == "email":
        return "email"
    if fmt == "decimal":
        return "number"
    max_length = prop.get("maxLength")
    if isinstance(max_length, int) and max_length > 500:
        return "textarea"
    return "text"


# -- typed data -> posted strings ------------------------------------------------------------------
def raw_from_data(schema: Mapping[str, Any], data: Mapping[str, Any] | None, prefix: str = PREFIX,
                  root: Mapping[str, Any] | None = None, zone: tzinfo = UTC) -> dict[str, str]:
    """The strings a form shows for typed data (prefilling a form from the instance's data);
    a date-time as the user's wall-clock time in ``zone``, for a ``datetime-local`` input."""
    root = schema if root is None else root
    raw: dict[str, str] = {}
    if not isinstance(data, Mapping):
        return raw
    for name, prop in _properties(schema, root).items():
        if name not in data:
            continue
        value, key = data[name], f"{prefix}.{name}"
        types = _types(prop)
        if "array" in types and isinstance(value, list):
            items = resolved(prop.get("items") or {}, root)
            if "object" in _types(items) or "properties" in items:
                raw[f"{key}.{ROWS}"] = str(len(value))
                for index, row in enumerate(value):
                    raw.update(raw_from_data(items, row if isinstance(row, Mapping) else {}, f"{key}.{index}", root,
                                             zone))
            else:
                raw[key] = "\n".join(_plain(v) for v in value)
        elif "object" in types and isinstance(value, Mapping):
            raw.update(raw_from_data(prop, value, key, root, zone))
        elif prop.get("format") == "date-time" and isinstance(value, str) and _instant(value) is not None:
            raw[key] = _wall_clock(_instant(value), zone)
        else:
            raw[key] = _plain(value)
    return raw


def initial_raw(schema: Mapping[str, Any], data: Mapping[str, Any] | None, zone: tzinfo = UTC) -> dict[str, str]:
    """What a task's form shows before anything is typed: each property's ``default``, and
    the instance's current values where the form asks for them - a whole form marked
    ``x-absent: keep`` (a revision form that edits what the process has) or a property
    marked ``x-prefill: true``. Other fields start empty, so a comment written at one
    approval level is not offered again at the next."""
    data = data if isinstance(data, Mapping) else {}
    keep_all = schema.get("x-absent") == "keep"
    initial: dict[str, Any] = {}
    for name, prop in _properties(schema, schema).items():
        if (keep_all or prop.get("x-prefill") is True) and name in data and data[name] is not None:
            initial[name] = data[name]
        elif "default" in prop:
            initial[name] = prop["default"]
    return raw_from_data(schema, initial, zone=zone)


def _instant(text: str) -> datetime | None:
    """A date-time with a zone or offset (``...Z``, ``...+08:00``); None for anything else."""
    if not _INSTANT.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None


def _wall_clock(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def raw_from_post(form: Mapping[str, Any]) -> dict[str, str]:
    """The posted field values (``f.``-prefixed names only; files are not form fields here)."""
    return {k: v for k, v in form.items() if k.startswith(PREFIX + ".") and isinstance(v, str)}


# -- posted strings -> typed data ------------------------------------------------------------------
def parse(schema: Mapping[str, Any], ui: Mapping[str, Any] | None, raw: Mapping[str, str],
          prefix: str = PREFIX, root: Mapping[str, Any] | None = None, zone: tzinfo = UTC) -> dict[str, Any]:
    """Typed data for the engine from posted strings. Strings that do not parse as the type
    asked for are passed on as they are, so the engine reports them like any invalid value.
    A ``datetime-local`` value is the user's wall-clock time in ``zone``: the engine gets UTC."""
    root = schema if root is None else root
    hints = (ui or {}).get("fields") or {}
    data: dict[str, Any] = {}
    for name, prop in _properties(schema, root).items():
        field_hints = hints.get(name) or {}
        kind = _kind(prop, field_hints, root)
        key = f"{prefix}.{name}"
        if kind == "readonly" or field_hints.get("hidden"):
            continue
        if kind == "table":
            items = resolved(prop.get("items") or {}, root)
            data[name] = [parse(items, None, raw, f"{key}.{i}", root, zone) for i in range(row_count(raw, key))]
            continue
        if kind == "object":
            data[name] = parse(prop, None, raw, key, root, zone)
            continue
        if kind == "list":
            items = resolved(prop.get("items") or {}, root)
            lines = [line.strip() for line in raw.get(key, "").splitlines() if line.strip()]
            if lines or key in raw:
                data[name] = [v for v in (coerce(items, line, zone) for line in lines) if v is not _MISSING]
            continue
        if kind == "checkbox" and "boolean" in _types(prop):
            data[name] = raw.get(key, "") in ("true", "on", "1")
            continue
        value = coerce(prop, raw.get(key, ""), zone)
        if value is not _MISSING:
            data[name] = value
    return data


def coerce(prop: Mapping[str, Any], text: str, zone: tzinfo = UTC) -> Any:
    types = _types(prop)
    text = text.strip()
    if text == "":
        return None if "null" in types else _MISSING
    if "enum" in prop:
        return next((v for v in prop["enum"] if v is not None and _plain(v) == text), text)
    if "string" in types and prop.get("format") == "date-time" and _LOCAL_MINUTE.match(text):
        # A browser's datetime-local has no offset: it is the user's zone (the field says which).
        try:
            local = datetime.fromisoformat(text).replace(tzinfo=zone)
        except ValueError:
            return text
        return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if "string" in types:
        return text
    if "integer" in types and re.fullmatch(r"[+-]?\d+", text):
        # past Python's int conversion limit (4,300 digits) an exact Decimal: the form then
        # reports the field's digits (engine/forms/validation.py) instead of a 500 here
        return int(text) if len(text) <= 4000 else Decimal(text)
    if "number" in types:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if number.is_finite():  # (int() of a long Decimal is quadratic in its digits)
            return int(number) if len(text) <= 4000 and re.fullmatch(r"[+-]?\d+", text) else number
        return text
    if "boolean" in types:
        return {"true": True, "false": False}.get(text.lower(), text)
    return text


_LOCAL_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def row_count(raw: Mapping[str, str], key: str) -> int:
    try:
        return max(0, min(500, int(raw.get(f"{key}.{ROWS}", "0"))))
    except ValueError:
        return 0


def add_row(raw: dict[str, str], key: str) -> None:
    raw[f"{key}.{ROWS}"] = str(row_count(raw, key) + 1)


def remove_row(raw: dict[str, str], key: str, index: int) -> None:
    """Drop row ``index`` of table ``key`` and move the rows after it up by one."""
    count = row_count(raw, key)
    if not 0 <= index < count:
        return
    moved: dict[str, str] = {}
    for name in list(raw):
        if not name.startswith(f"{key}.") or name == f"{key}.{ROWS}":
            continue
        head, _, rest = name[len(key) + 1:].partition(".")
        if not head.isdigit():
            continue
        row = int(head)
        value = raw.pop(name)
        if row < index:
            moved[name] = value
        elif row > index:
            moved[f"{key}.{row - 1}.{rest}"] = value
    raw.update(moved)
    raw[f"{key}.{ROWS}"] = str(count - 1)


def apply_action(raw: dict[str, str], action: str) -> bool:
    """Apply an "add row"/"remove row" button; True when the post was one (nothing to submit)."""
    verb, _, rest = action.partition(":")
    if verb == "add" and rest.startswith(PREFIX + "."):
        add_row(raw, rest)
        return True
    if verb == "remove":
        key, _, index = rest.rpartition(":")
        if key.startswith(PREFIX + ".") and index.isdigit():
            remove_row(raw, key, int(index))
            return True
    return False


# -- widgets ---------------------------------------------------------------------------------------
@dataclass
class FormView:
    """A whole form ready to render: title, description, widgets and errors no field took."""

    title: str | None
    description: str | None
    widgets: list[Widget]
    general_errors: list[str]


def build(schema: Mapping[str, Any], ui: Mapping[str, Any] | None, raw: Mapping[str, str], locale: str,
          errors: list[FieldError] = (), context: Mapping[str, Any] | None = None) -> FormView:
    ui = ui or {}
    by_path: dict[str, list[str]] = {}
    for error in errors:
        by_path.setdefault(error.path, []).append(field_message(error.message, locale, error.translations))
    builder = _Builder(schema, raw, locale, by_path, context or {})
    widgets = builder.fields(schema, ui.get("fields") or {}, ui.get("order"), PREFIX, "")
    general = [f"{path or '/'}: {m}" if path else m for path, messages in by_path.items()
               if path not in builder.used for m in messages]
    title = text_in(ui.get("title"), locale) if ui.get("title") else localized(schema, "title", locale)
    return FormView(title, localized(schema, "description", locale), widgets, general)


class _Builder:
    def __init__(self, root: Mapping[str, Any], raw: Mapping[str, str], locale: str,
                 errors: dict[str, list[str]], context: Mapping[str, Any]) -> None:
        self.root, self.raw, self.locale, self.errors, self.context = root, raw, locale, errors, context
        self.used: set[str] = set()

    def _errors(self, pointer: str) -> list[str]:
        if pointer in self.errors:
            self.used.add(pointer)
            return self.errors[pointer]
        return []

    def fields(self, schema: Mapping[str, Any], hints: Mapping[str, Any], order: Any, prefix: str,
               pointer: str) -> list[Widget]:
        properties = _properties(schema, self.root)
        required = set(schema.get("required") or [])
        widgets = []
        for name in _ordered(list(properties), order):
            field_hints = hints.get(name) or {}
            if field_hints.get("hidden"):
                continue
            widgets.append(self.widget(name, properties[name], field_hints, name in required, prefix, pointer))
        return widgets

    def widget(self, name: str, prop: dict[str, Any], hints: Mapping[str, Any], required: bool, prefix: str,
               pointer: str) -> Widget:
        key, path = f"{prefix}.{name}", f"{pointer}/{_escape(name)}"
        label = text_in(hints.get("label"), self.locale) or localized(prop, "title", self.locale) or _humanise(name)
        help_text = text_in(hints.get("help"), self.locale) or localized(prop, "description", self.locale)
        kind = _kind(prop, hints, self.root)
        widget = Widget(name=key, pointer=path, key=name, label=label, kind=kind, help=help_text,
                        required=required and "null" not in _types(prop), value=self.raw.get(key, ""),
                        errors=self._errors(path), max_length=prop.get("maxLength"))
        if kind == "readonly":
            widget.display = self.context.get(name)
        elif kind in ("select", "radio"):
            labels = _enum_labels(prop, self.locale)
            widget.options = [Option(_plain(v), labels.get(_plain(v)) or _humanise(v))
                              for v in prop.get("enum", []) if v is not None]
        elif kind == "money":
            currency_field = hints.get("currency_field")
            if currency_field:
                widget.currency = self.raw.get(f"{prefix}.{currency_field}") or _plain(
                    self.context.get(currency_field)) or None
        elif kind == "table":
            items = resolved(prop.get("items") or {}, self.root)
            columns = hints.get("columns") or list(_properties(items, self.root))
            widget.columns = self.fields(items, {}, columns, f"{key}.#", f"{path}/#")
            widget.columns = [c for c in widget.columns if c.key in columns]
            for index in range(row_count(self.raw, key)):
                row = self.fields(items, {}, columns, f"{key}.{index}", f"{path}/{index}")
                widget.rows.append([c for c in row if c.key in columns])
        elif kind == "object":
            widget.children = self.fields(prop, {}, None, key, path)
        return widget


def _enum_labels(prop: Mapping[str, Any], locale: str) -> dict[str, str]:
    """Labels of enum values: ``x-i18n: {zh-CN: {enum: {approve: 批准}}}``, or ``x-enum-titles``
    (``{value: text}`` or ``{value: {locale: text}}``)."""
    labels: dict[str, str] = {}
    titles = prop.get("x-enum-titles")
    if isinstance(titles, dict):
        for value, text in titles.items():
            # Only translations given: English falls back to the value itself, not to Chinese.
            found = text_in(text, locale, any_language=False)
            if found:
                labels[str(value)] = found
    i18n = prop.get("x-i18n")
    if isinstance(i18n, dict):
        for candidate in (locale.replace("_", "-"), locale, locale.split("_")[0]):
            entry = i18n.get(candidate)
            if isinstance(entry, dict) and isinstance(entry.get("enum"), dict):
                labels.update({str(k): str(v) for k, v in entry["enum"].items()})
                break
    return labels
