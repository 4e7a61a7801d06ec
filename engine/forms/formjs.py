"""form-js forms (Camunda 8, and Camunda 7's "Camunda Forms") as Flowdesk forms.

A form-js document (a ``.form`` file: JSON with ``components``, ``type: default``, an
``id`` and a ``schemaVersion``, 1 to 19 so far) becomes a JSON Schema 2020-12 object
schema plus Flowdesk UI hints, with the same validation behaviour as form-js:

* Keys bind fields to data: ``a.b`` and a group's ``path`` make nested objects; a dynamic
  list is an array of objects; a group without a path only groups visually. Objects are
  closed (``additionalProperties: false``), as Flowdesk's own forms are.
* ``validate``: ``required`` (a text must not be empty, a checkbox must be ticked, a
  checklist must have a choice), ``minLength``/``maxLength``, ``pattern``,
  ``validationType`` email (the HTML standard's address syntax) and phone (``+`` or
  ``00`` then 5 to 27 digits; form-js also checks the country code), number ``min``/
  ``max``, ``decimalDigits`` and ``increment`` (``multipleOf``, exact decimals). Optional
  fields also accept null, optional texts the empty text, as form-js does.
* Static ``values`` become an ``enum`` with ``x-enum-titles``; options read at run time
  (``valuesKey``, ``valuesExpression``) become a plain text field, with a warning.
* ``readonly``/``disabled`` fields are ``readOnly``: a submitted value is dropped, the
  process keeps its own (see `conditions`); given as an expression, ``x-readonly-if``.
* ``conditional.hide`` is kept as ``x-hide-if`` (FEEL source) on the property; see
  `conditions` for what a hidden field means at validation. A hidden group without a
  path passes its condition on to its fields.
* Dates are ISO ``YYYY-MM-DD`` (``format: date``); times and date-times follow form-js's
  own serialisation (``14:30``, ``14:30+02:00``, ``2026-01-31T14:30Z``: minutes, seconds
  optional), checked by a pattern because JSON Schema's formats require seconds.
* A file picker is a Flowdesk file field: the id of an upload (``POST /api/v1/files``),
  a list of ids when it takes several files.
* Static content (text, html, image, iframe, table, document preview) is not data: it goes
  to the UI hints' ``content``, placed ``before`` the field that follows it. Buttons,
  spacers and separators are dropped. A leading Markdown heading becomes the form's title.
* An expression field is computed by form-js; Flowdesk does not compute FEEL, so the field
  is read-only (a submitted value is not trusted) and a warning says so.

Whatever is accepted but not enforced comes back as a warning with the JSON Pointer of
the component; input that is not a form-js document raises `ConversionError`. Known
differences: form-js trims text before counting its length; dynamic ``min``/``max`` and
``readonly`` expressions are FEEL, translated and evaluated by `expressions.feel` (see `conditions`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .conditions import HIDE_IF, condition_supported
from .converted import DRAFT_2020_12, ConversionError, ConversionWarning, ConvertedForm
from .formjs_fields import Field, text_or_none
from .messages import pointer

__all__ = ["ConversionError", "ConversionWarning", "ConvertedForm", "formjs_to_form", "is_formjs_document"]

INPUTS = {"textfield", "textarea", "number", "datetime", "checkbox", "checklist", "radio", "select", "taglist",
          "filepicker", "expression"}
STATIC = {"text": "markdown", "html": "html", "image": "image", "iframe": "iframe", "table": "table",
          "documentPreview": "document"}
DROPPED = {"button", "spacer", "separator"}
PATHLESS_CONTAINERS = {"multipage", "page"}
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>.+?)\s*#*\s*$")


def is_formjs_document(data: Any) -> bool:
    """True for parsed JSON that is a form-js document rather than a JSON Schema."""
    return isinstance(data, dict) and isinstance(data.get("components"), list) and (
        data.get("type") == "default" or "schemaVersion" in data
    )


def formjs_to_form(name: str, content: bytes | str) -> ConvertedForm:
    """Convert the form-js document `content` (read from file `name`)::

        converted = formjs_to_form("invoice.form", Path("invoice.form").read_bytes())
        converted.schema, converted.ui, converted.form_id, converted.warnings

    Raises `ConversionError` (with a JSON Pointer) for anything that is not a form-js
    document.
    """
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ConversionError("", f"{name} is not UTF-8 text") from error
    try:
        document = json.loads(content)
    except json.JSONDecodeError as error:
        raise ConversionError("", f"{name} is not JSON: {error.msg} (line {error.lineno})") from error
    return convert_document(document)


def convert_document(document: Any) -> ConvertedForm:
    """Convert an already parsed form-js document (see `formjs_to_form`)."""
    if not isinstance(document, dict):
        raise ConversionError("", "a form-js document is a JSON object with `components`")
    if not isinstance(document.get("components"), list):
        raise ConversionError("/components", "not a form-js document: it has no `components` list")
    if "type" in document and document["type"] != "default":
        raise ConversionError("/type", f"a form-js document has `type: default`, not {document['type']!r}")
    form_id = document.get("id")
    if form_id is not None and not isinstance(form_id, str):
        raise ConversionError("/id", "the form's `id` must be text")
    return _Converter().run(document, form_id)


# -- building ---------------------------------------------------------------------------------------
def _object(title: str | None = None) -> dict:
    schema: dict[str, Any] = {"title": title} if title else {}
    schema.update({"type": "object", "additionalProperties": False, "properties": {}})
    return schema


def _is_object(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "object" and "properties" in schema


class _Converter:
    def __init__(self) -> None:
        self.warnings: list[ConversionWarning] = []
        self.root = _object()
        self.ui_fields: dict[str, dict] = {}
        self.order: list[str] = []
        self.content: list[dict] = []
        self.pending: list[dict] = []

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(ConversionWarning(path, message))

    def run(self, document: dict, form_id: str | None) -> ConvertedForm:
        self.components(document["components"], "/components", self.root, (), ())
        schema: dict[str, Any] = {"$schema": DRAFT_2020_12}
        title = _leading_title(document["components"])
        if title:
            schema["title"] = title
        schema.update(self.root)
        _settle_required(schema)
        source: dict[str, Any] = {"format": "form-js"}
        for key in ("schemaVersion", "executionPlatform", "executionPlatformVersion"):
            if isinstance(document.get(key), str | int) and not isinstance(document.get(key), bool):
                source[key] = document[key]
        if form_id:
            schema["x-form-id"] = form_id
        schema["x-source"] = source
        ui: dict[str, Any] = {}
        if self.order:
            ui["order"] = list(dict.fromkeys(self.order))
        if self.ui_fields:
            ui["fields"] = self.ui_fields
        if self.content:
            ui["content"] = self.content
        return ConvertedForm(schema=schema, ui=ui, form_id=form_id, warnings=self.warnings)

    # -- walking ------------------------------------------------------------------------------------
    def components(self, components: Any, where: str, target: dict, data_path: tuple, hide: tuple) -> None:
        if not isinstance(components, list):
            raise ConversionError(where, "`components` must be a list")
        for index, component in enumerate(components):
            self.component(component, f"{where}/{index}", target, data_path, hide)

    def component(self, component: Any, where: str, target: dict, data_path: tuple, inherited: tuple) -> None:
        if not isinstance(component, dict):
            raise ConversionError(where, "a component must be a JSON object")
        kind = component.get("type")
        if not isinstance(kind, str) or not kind:
            raise ConversionError(f"{where}/type", "a component needs a `type`")
        hide = (*inherited, *self.hide_condition(component, where))
        if kind in DROPPED:
            return
        if kind in STATIC:
            self.static(kind, component, where, data_path, hide)
        elif kind == "group" or kind in PATHLESS_CONTAINERS:
            self.group(component, where, target, data_path, hide, kind)
        elif kind == "dynamiclist":
            self.dynamic_list(component, where, target, data_path, hide)
        elif kind in INPUTS:
            self.input(kind, component, where, target, data_path, hide)
        elif isinstance(component.get("key"), str) and component["key"]:
            self.warn(where, f"unknown component type `{kind}`: its value is accepted unchecked")
            prop: dict[str, Any] = {}
            if isinstance(component.get("label"), str) and component["label"]:
                prop["title"] = component["label"]
            if hide:
                prop[HIDE_IF] = hide[0] if len(hide) == 1 else list(hide)
            self.place(prop, component["key"], f"{where}/key", target, data_path, required=False)
        else:
            self.warn(where, f"unknown component type `{kind}` without a key: ignored")

    def hide_condition(self, component: dict, where: str) -> tuple[str, ...]:
        conditional = component.get("conditional")
        if not isinstance(conditional, dict) or conditional.get("hide") in (None, ""):
            return ()
        hide = conditional["hide"]
        at = f"{where}/conditional/hide"
        if not isinstance(hide, str) or not hide.startswith("="):
            self.warn(at, "the hide condition is not an expression (=...); form-js ignores it, so does Flowdesk")
            return ()
        if not condition_supported(hide):
            self.warn(at, "the hide condition uses FEEL that Flowdesk cannot evaluate yet: the component is "
                          "always shown and validated")
        return (hide,)

    def static(self, kind: str, component: dict, where: str, data_path: tuple, hide: tuple) -> None:
        block: dict[str, Any] = {"kind": STATIC[kind]}
        if kind == "text":
            block["text"] = component.get("text") if isinstance(component.get("text"), str) else ""
        elif kind == "html":
            block["text"] = component.get("content") if isinstance(component.get("content"), str) else ""
        for source, target in (("label", "label"), ("source", "source"), ("alt", "alt"), ("url", "url"),
                               ("dataSource", "data_source")):
            if isinstance(component.get(source), str) and component[source]:
                block[target] = component[source]
        height = component.get("height", component.get("maxHeight"))
        if isinstance(height, int | float) and not isinstance(height, bool):
            block["height"] = height
        if isinstance(component.get("columns"), list):
            block["columns"] = component["columns"]
        if isinstance(component.get("columnsExpression"), str):
            self.warn(f"{where}/columnsExpression", "table columns from an expression are not computed by Flowdesk")
        text = block.get("text", "")
        if text.startswith("=") or "{{" in text:
            self.warn(where, "the text is computed by form-js (FEEL or templating); Flowdesk keeps its source")
        if hide:
            block["hide_if"] = hide[0] if len(hide) == 1 else list(hide)
        self.content.append(block)
        self.pending.append(block)

    def group(self, component: dict, where: str, target: dict, data_path: tuple, hide: tuple, kind: str) -> None:
        path = component.get("path") if kind == "group" else None
        if path in (None, ""):
            self.components(component.get("components", []), f"{where}/components", target, data_path, hide)
            return
        segments = self.segments(path, f"{where}/path")
        container, parent_path = self.container_for(segments[:-1], f"{where}/path", target, data_path)
        name = segments[-1]
        existing = container["properties"].get(name)
        own_hide = hide
        if existing is None:
            group = _object(text_or_none(component.get("label")))
            if hide:
                group[HIDE_IF] = hide[0] if len(hide) == 1 else list(hide)
                own_hide = ()
            container["properties"][name] = group
            self.placed((*parent_path, name))
        elif _is_object(existing):
            group = existing
            if hide:
                self.warn(f"{where}/conditional/hide", "the group's path is shared with other fields: its hide "
                                                       "condition applies to each of its own fields")
        else:
            raise ConversionError(f"{where}/path", f"binding path '{'.'.join(segments)}' is already claimed")
        self.components(component.get("components", []), f"{where}/components", group, (*parent_path, name),
                        own_hide if existing is None else hide)

    def dynamic_list(self, component: dict, where: str, target: dict, data_path: tuple, hide: tuple) -> None:
        path = component.get("path")
        if not isinstance(path, str) or not path:
            raise ConversionError(f"{where}/path", "a dynamic list needs a `path` for its items")
        segments = self.segments(path, f"{where}/path")
        items = _object()
        prop: dict[str, Any] = {"title": component["label"]} if text_or_none(component.get("label")) else {}
        prop.update({"type": "array", "items": items})
        validate = component.get("validate") if isinstance(component.get("validate"), dict) else {}
        for keyword in ("minItems", "maxItems"):
            value = component.get(keyword, validate.get(keyword))
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                prop[keyword] = value
        if hide:
            prop[HIDE_IF] = hide[0] if len(hide) == 1 else list(hide)
        list_path = self.place(prop, ".".join(segments), f"{where}/path", target, data_path, required=False)
        self.components(component.get("components", []), f"{where}/components", items, (*list_path, "*"), ())

    def input(self, kind: str, component: dict, where: str, target: dict, data_path: tuple, hide: tuple) -> None:
        key = component.get("key")
        if not isinstance(key, str) or not key:
            self.warn(where, f"a {kind} field without a key is bound to a generated name by form-js: ignored")
            return
        field = Field(self, kind, component, where)
        prop, required, hint = field.build()
        if hide:
            prop[HIDE_IF] = hide[0] if len(hide) == 1 else list(hide)
        placed = self.place(prop, key, f"{where}/key", target, data_path, required=required)
        if hint:
            if len(placed) == 1:
                self.ui_fields[placed[0]] = hint
            else:
                for hint_key in ("prefix", "suffix"):
                    if hint_key in hint:
                        prop[f"x-{hint_key}"] = hint[hint_key]

    # -- placing ------------------------------------------------------------------------------------
    def segments(self, path: Any, where: str) -> list[str]:
        if not isinstance(path, str) or not path or any(not part for part in path.split(".")):
            raise ConversionError(where, f"{path!r} is not a key or path (names separated by dots)")
        return path.split(".")

    def container_for(self, segments: list[str], where: str, target: dict, data_path: tuple) -> tuple[dict, tuple]:
        for segment in segments:
            existing = target["properties"].get(segment)
            if existing is None:
                existing = target["properties"][segment] = _object()
                self.placed((*data_path, segment))
            elif not _is_object(existing):
                raise ConversionError(where, f"binding path '{'.'.join((*data_path, segment))}' is already claimed")
            target, data_path = existing, (*data_path, segment)
        return target, data_path

    def place(self, prop: dict, key: str, where: str, target: dict, data_path: tuple, required: bool) -> tuple:
        segments = self.segments(key, where)
        container, parent_path = self.container_for(segments[:-1], where, target, data_path)
        name = segments[-1]
        if name in container["properties"]:
            claimed = ".".join(str(part) for part in (*parent_path, name) if part != "*")
            raise ConversionError(where, f"binding path '{claimed}' is already claimed by another field")
        container["properties"][name] = prop
        if required:
            container.setdefault("required", []).append(name)
        path = (*parent_path, name)
        self.placed(path)
        return path

    def placed(self, path: tuple) -> None:
        if len(path) == 1:
            self.order.append(path[0])
        if self.pending:
            for block in self.pending:
                block["before"] = pointer(path)
            self.pending = []


def _settle_required(schema: dict) -> bool:
    """Make an object property required when something inside it is required without a
    hide condition of its own (so a missing object is reported, as its fields would be);
    True when `schema` has such content."""
    required = schema.setdefault("required", [])
    for name, prop in schema.get("properties", {}).items():
        if _is_object(prop) and _settle_required(prop) and name not in required:
            required.append(name)
        elif prop.get("type") == "array" and _is_object(prop.get("items")):
            _settle_required(prop["items"])
    if not required:
        del schema["required"]
    return any(HIDE_IF not in schema["properties"][name] for name in schema.get("required", []))


def _leading_title(components: list) -> str | None:
    first = components[0] if components else None
    if not isinstance(first, dict) or first.get("type") != "text" or not isinstance(first.get("text"), str):
        return None
    text = first["text"]
    if text.startswith("=") or "{{" in text:
        return None
    line = next((line for line in text.splitlines() if line.strip()), "")
    match = _HEADING.match(line)
    return match["title"] if match else None
