"""Camunda 7 generated forms (``camunda:formData``) as Flowdesk forms.

A Camunda 7 user task or start event may declare its form inline::

    <camunda:formData>
      <camunda:formField id="amount" label="Amount" type="long" defaultValue="100">
        <camunda:validation>
          <camunda:constraint name="required" />
          <camunda:constraint name="min" config="1" />
        </camunda:validation>
      </camunda:formField>
    </camunda:formData>

`form_fields_from_xml` reads the fields of an element (or of a ``camunda:formData``
element itself); `form_fields_to_form` turns them into a JSON Schema 2020-12 object
schema with the same rules:

* types: ``string`` (text), ``long`` (a whole number within Java's 64-bit range),
  ``boolean``, ``enum`` (the ``camunda:value`` ids, their names as ``x-enum-titles``) and
  ``date``; any other (custom) type accepts any value, with a warning;
* constraints: ``required`` (present and, for text, not empty; ``false`` is a valid
  boolean, as in Camunda), ``minlength``/``maxlength`` (text), ``min``/``max`` (numbers),
  ``readonly`` (``readOnly``: the submitted value is dropped, the process keeps its own);
  a custom ``validator`` is not run, with a warning. Optional fields accept null;
* ``defaultValue`` becomes ``default`` (converted to the field's type); an expression
  (``${...}``) is evaluated by Camunda at run time and is dropped, with a warning;
* ``camunda:properties`` are kept as ``x-properties``.

Dates: Camunda's tasklist shows and parses dates as ``dd/MM/yyyy`` (the field's
``datePattern``, or the engine's ``dateFormat``), and the engine stores a
``java.util.Date``. Flowdesk keeps JSON's own convention instead: a date is ISO 8601 text,
``format: date`` (``2026-01-31``), which the web app's date picker and every API client
produce, and which compares correctly as text in conditions. A ``defaultValue`` written
in the field's pattern (``31/01/2026``) is converted to ISO; a pattern with a time of day
(``dd/MM/yyyy HH:mm``) makes the field a ``date-time``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .converted import DRAFT_2020_12, ConversionError, ConversionWarning, ConvertedForm
from .messages import pointer

__all__ = ["CAMUNDA_NS", "FormField", "form_fields_from_xml", "form_fields_to_form"]

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DEFAULT_DATE_PATTERN = "dd/MM/yyyy"
JAVA_LONG = (-(2**63), 2**63 - 1)
_EXPRESSION = re.compile(r"[$#]\{")


@dataclass(frozen=True)
class FormField:
    """One ``camunda:formField``: constraints as (name, config) pairs, enum values as
    (id, name) pairs, properties as (id, value) pairs, in document order."""

    id: str
    label: str | None = None
    type: str = "string"
    default_value: str | None = None
    date_pattern: str | None = None
    constraints: tuple[tuple[str, str | None], ...] = ()
    values: tuple[tuple[str, str | None], ...] = ()
    properties: tuple[tuple[str, str | None], ...] = field(default=())
    line: int | None = None


def _local(tag: Any) -> tuple[str | None, str]:
    if not isinstance(tag, str):
        return None, ""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return None, tag


def _is(element: Any, local: str) -> bool:
    namespace, name = _local(element.tag)
    return namespace == CAMUNDA_NS and name == local


def form_fields_from_xml(element: Any) -> list[FormField]:
    """The ``camunda:formField``s of a user task or start event (lxml or ElementTree
    element), or of a ``camunda:formData`` element::

        fields = form_fields_from_xml(user_task)   # [] when it has none
    """
    if _is(element, "formData"):
        holders = [element]
    else:
        holders = [
            data
            for extensions in element
            if _local(extensions.tag)[1] == "extensionElements"
            for data in extensions
            if _is(data, "formData")
        ]
    return [_form_field(child) for holder in holders for child in holder if _is(child, "formField")]


def _form_field(element: Any) -> FormField:
    constraints: list[tuple[str, str | None]] = []
    values: list[tuple[str, str | None]] = []
    properties: list[tuple[str, str | None]] = []
    for child in element:
        if _is(child, "validation"):
            constraints.extend((c.get("name") or "", c.get("config")) for c in child if _is(c, "constraint"))
        elif _is(child, "value"):
            values.append((child.get("id") or "", child.get("name")))
        elif _is(child, "properties"):
            properties.extend((p.get("id") or "", p.get("value")) for p in child if _is(p, "property"))
    return FormField(
        id=element.get("id") or "",
        label=element.get("label"),
        type=element.get("type") or "string",
        default_value=element.get("defaultValue"),
        date_pattern=element.get("datePattern"),
        constraints=tuple(constraints),
        values=tuple(values),
        properties=tuple(properties),
        line=getattr(element, "sourceline", None),
    )


def form_fields_to_form(element_id: str, fields: Iterable[FormField]) -> ConvertedForm:
    """The form of element `element_id` made of its form fields::

        converted = form_fields_to_form("approve_invoice", form_fields_from_xml(user_task))

    Raises `ConversionError` for a field without an id or two fields with the same id.
    """
    properties: dict[str, dict] = {}
    required: list[str] = []
    warnings: list[ConversionWarning] = []
    ui_fields: dict[str, dict] = {}
    for index, form_field in enumerate(fields):
        if not form_field.id:
            raise ConversionError(f"/formFields/{index}/id", "a form field needs an id")
        if form_field.id in properties:
            raise ConversionError(f"/formFields/{index}/id", f"two form fields have the id `{form_field.id}`")
        prop, is_required, found, widget = _field_schema(form_field)
        properties[form_field.id] = prop
        if is_required:
            required.append(form_field.id)
        if widget:
            ui_fields[form_field.id] = {"widget": widget}
        warnings.extend(ConversionWarning(pointer((form_field.id,)), message) for message in found)
    schema: dict[str, Any] = {"$schema": DRAFT_2020_12, "type": "object", "additionalProperties": False,
                              "properties": properties}
    if required:
        schema["required"] = required
    schema["x-form-id"] = element_id
    schema["x-source"] = {"format": "camunda-form-fields"}
    ui: dict[str, Any] = {"order": list(properties)} if properties else {}
    if ui_fields:
        ui["fields"] = ui_fields
    return ConvertedForm(schema=schema, ui=ui, form_id=element_id, warnings=warnings)


def _field_schema(form_field: FormField) -> tuple[dict, bool, list[str], str | None]:
    warnings: list[str] = []
    prop: dict[str, Any] = {"title": form_field.label} if form_field.label else {}
    kind, widget = form_field.type, None
    if kind == "string":
        prop["type"] = "string"
    elif kind == "long":
        prop.update({"type": "integer", "minimum": JAVA_LONG[0], "maximum": JAVA_LONG[1]})
    elif kind == "boolean":
        prop["type"] = "boolean"
    elif kind == "date":
        with_time = "H" in (form_field.date_pattern or "") or "h" in (form_field.date_pattern or "")
        prop.update({"type": "string", "format": "date-time" if with_time else "date"})
        widget = "datetime" if with_time else "date"
    elif kind == "enum":
        ids = [value_id for value_id, _ in form_field.values if value_id]
        if not ids:
            warnings.append("an enum field without values: any text is accepted")
            prop["type"] = "string"
        else:
            prop["enum"] = list(dict.fromkeys(ids))
            titles = {value_id: name for value_id, name in form_field.values if value_id and name}
            if titles:
                prop["x-enum-titles"] = titles
    else:
        warnings.append(f"custom form field type `{kind}`: its value is accepted unchecked")

    required = readonly = False
    for name, config in form_field.constraints:
        match name:
            case "required":
                required = True
            case "readonly":
                readonly = True
            case "minlength" | "maxlength":
                _length(prop, name, config, warnings)
            case "min" | "max":
                _bound(prop, name, config, warnings)
            case "validator":
                warnings.append(f"the custom validator {config or ''} is not run by Flowdesk".replace("  ", " "))
            case _:
                warnings.append(f"the constraint `{name}` is not known to Flowdesk: not enforced")

    _default(prop, form_field, warnings)
    if readonly:
        if required:
            warnings.append("the field is read-only: its value comes from the process, so `required` is not "
                            "asked of the submitter")
        required = False
        prop.update({"readOnly": True, "x-absent": "keep"})
    elif required:
        if prop.get("type") == "string" and "format" not in prop:
            prop["minLength"] = max(1, prop.get("minLength", 0))
    elif "enum" in prop:
        prop["enum"] = [*prop["enum"], None]
    elif isinstance(prop.get("type"), str):
        prop["type"] = [prop["type"], "null"]
    properties = dict(form_field.properties)
    if properties:
        prop["x-properties"] = properties
    return prop, required, warnings, widget


def _length(prop: dict, name: str, config: str | None, warnings: list[str]) -> None:
    keyword = "minLength" if name == "minlength" else "maxLength"
    if prop.get("type") != "string":
        warnings.append(f"`{name}` applies to text fields only: not enforced")
    elif config is not None and config.strip().isdigit():
        prop[keyword] = int(config)
    else:
        warnings.append(f"`{name}` needs a whole number, not {config!r}: not enforced")


def _bound(prop: dict, name: str, config: str | None, warnings: list[str]) -> None:
    keyword = "minimum" if name == "min" else "maximum"
    if prop.get("type") not in ("integer", "number"):
        warnings.append(f"`{name}` applies to number fields only: not enforced")
        return
    try:
        value = int(config) if config is not None and re.fullmatch(r"\s*[+-]?\d+\s*", config) else float(config or "")
    except ValueError:
        warnings.append(f"`{name}` needs a number, not {config!r}: not enforced")
        return
    prop[keyword] = value


def _default(prop: dict, form_field: FormField, warnings: list[str]) -> None:
    raw = form_field.default_value
    if raw is None:
        return
    if _EXPRESSION.search(raw):
        warnings.append(f"the default {raw} is an expression Camunda evaluates at run time: not used")
        return
    value: Any = raw
    kind = form_field.type
    if kind == "long":
        value = int(raw) if re.fullmatch(r"\s*[+-]?\d+\s*", raw) else None
    elif kind == "boolean":
        value = {"true": True, "false": False}.get(raw.strip().lower())
    elif kind == "date":
        value = _iso_date(raw, form_field.date_pattern or DEFAULT_DATE_PATTERN, prop.get("format") == "date-time")
    elif kind == "enum" and "enum" in prop and raw not in prop["enum"]:
        value = None
    if value is None:
        warnings.append(f"the default {raw!r} does not fit the field: ignored")
        return
    prop["default"] = value


_JAVA_TOKENS = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


def _iso_date(raw: str, pattern: str, with_time: bool) -> str | None:
    """`raw` written in Java's `pattern` (``dd/MM/yyyy``) as ISO 8601, or None."""
    format_ = re.sub("|".join(sorted(_JAVA_TOKENS, key=len, reverse=True)), lambda m: _JAVA_TOKENS[m.group()],
                     pattern.replace("%", "%%"))
    for candidate in (format_, "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"):
        try:
            parsed = dt.datetime.strptime(raw.strip(), candidate)
        except ValueError:
            continue
        return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if with_time else parsed.date().isoformat()
    return None
