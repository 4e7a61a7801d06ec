"""One form-js input component as a JSON Schema property (see `formjs` for the rules):
its type, validation, options, read-only state and the warnings for what is not enforced."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from jsonschema import Draft202012Validator

from .conditions import READONLY_IF, condition_supported
from .formats import FORMAT_CHECKER

#: The HTML standard's "valid e-mail address", which form-js checks email fields against.
EMAIL_PATTERN = (
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
#: An international number: + or 00, then digits (form-js also checks the country code).
PHONE_PATTERN = r"(?:\+|00)[1-9][0-9]{4,26}$"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
TIME_PATTERN = f"^{_TIME}$"
DATETIME_PATTERN = f"^[0-9]{{4}}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T{_TIME}$"
FILE_MEDIA_TYPE = "application/octet-stream"


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None

class Warns(Protocol):
    """What a field reports its warnings to (the document's converter)."""

    def warn(self, where: str, message: str) -> None: ...


class Field:
    """One input component of a form-js document as a JSON Schema property and UI hints."""

    def __init__(self, owner: Warns, kind: str, component: dict, where: str) -> None:
        self.owner, self.kind, self.component, self.where = owner, kind, component, where
        validate = component.get("validate")
        self.validate: dict = validate if isinstance(validate, dict) else {}
        self.hint: dict[str, Any] = {}

    def warn(self, suffix: str, message: str) -> None:
        self.owner.warn(f"{self.where}{suffix}", message)

    def build(self) -> tuple[dict, bool, dict]:
        c = self.component
        base, empty_ok = getattr(self, f"_{self.kind}")()
        prop: dict[str, Any] = {}
        title = self.title()
        if title:
            prop["title"] = title
            if title.startswith("="):
                self.warn("/label", "the label is an expression; Flowdesk shows its source")
        if text_or_none(c.get("description")):
            prop["description"] = c["description"]
        readonly = self.readonly()
        required = self.validate.get("required") is True and self.kind != "expression"
        if readonly is True and required and c.get("readonly") not in (None, False):
            self.warn("/validate/required", "the field is read-only: its value comes from the process, so "
                                            "`required` is not asked of the submitter")
        if readonly is True:
            required = False
        prop.update(base)
        self.default(prop)
        if readonly is True:
            prop["readOnly"] = True
            prop["x-absent"] = "keep"
        elif isinstance(readonly, tuple):
            prop[READONLY_IF] = readonly[0] if len(readonly) == 1 else list(readonly)
        if required:
            self.require(prop)
        elif readonly is not True:
            self.allow_empty(prop, empty_ok)
        if isinstance(c.get("properties"), dict) and c["properties"]:
            prop["x-properties"] = c["properties"]
        return prop, required, self.hint

    def title(self) -> str | None:
        c = self.component
        if self.kind == "datetime":
            subtype = c.get("subtype", "date")
            labels = [c.get("dateLabel")] if subtype != "time" else []
            labels += [c.get("timeLabel")] if subtype != "date" else []
            found = [label for label in labels if text_or_none(label)]
            return " / ".join(found) if found else text_or_none(c.get("label"))
        return text_or_none(c.get("label"))

    def readonly(self) -> bool | tuple[str, ...]:
        if self.kind == "expression":
            return True
        found: list[str] = []
        for key in ("readonly", "disabled"):
            value = self.component.get(key)
            if value is True or (isinstance(value, str) and value and not value.startswith("=")):
                return True
            if isinstance(value, str) and value.startswith("="):
                if not condition_supported(value):
                    self.warn(f"/{key}", "the expression uses FEEL that Flowdesk cannot evaluate yet: the field "
                                         "is treated as editable")
                found.append(value)
        return tuple(found) or False

    def default(self, prop: dict) -> None:
        if "defaultValue" not in self.component:
            return
        value = self.component["defaultValue"]
        if self.kind == "number" and isinstance(value, str) and "string" not in _types(prop):
            value = _number(value)
        check = {k: v for k, v in prop.items() if not k.startswith("x-")}
        if value is not None and Draft202012Validator(check, format_checker=FORMAT_CHECKER).is_valid(value):
            prop["default"] = value
        else:
            self.warn("/defaultValue", f"the default {json.dumps(value)} does not fit the field: ignored")

    def require(self, prop: dict) -> None:
        kinds = _types(prop)
        if "string" in kinds and "format" not in prop and self.kind not in ("select", "radio"):
            prop["minLength"] = max(1, prop.get("minLength", 0))
        if "boolean" in kinds:
            prop["const"] = True
        if "array" in kinds:
            prop["minItems"] = max(1, prop.get("minItems", 0))

    def allow_empty(self, prop: dict, empty_ok: bool) -> None:
        """Optional fields accept null (form-js's unset value); optional texts "" too."""
        if "enum" in prop:
            if None not in prop["enum"]:
                prop["enum"] = [*prop["enum"], None]
            return
        kinds = prop.get("type")
        if isinstance(kinds, str):
            prop["type"] = [kinds, "null"]
        if not empty_ok:
            return
        strict = {k: prop.pop(k) for k in ("minLength", "pattern", "allOf") if k in prop}
        if strict.get("minLength") == 0:
            del strict["minLength"]
        if strict:
            prop["anyOf"] = [{"const": ""}, strict]

    # -- the types ----------------------------------------------------------------------------------
    def _textfield(self) -> tuple[dict, bool]:
        schema: dict[str, Any] = {"type": "string"}
        self.lengths(schema)
        kind = self.validate.get("validationType")
        patterns = []
        if kind == "email":
            patterns.append(EMAIL_PATTERN)
            self.hint["widget"] = "email"
        elif kind == "phone":
            patterns.append(PHONE_PATTERN)
        pattern = self.validate.get("pattern")
        if isinstance(pattern, str) and pattern:
            checked = _python_pattern(pattern)
            if checked is None:
                self.warn("/validate/pattern", "the pattern is not a regular expression Flowdesk can check: "
                                               "not enforced")
            else:
                patterns.append(checked)
        if patterns:
            schema["pattern"] = patterns[0]
            if len(patterns) > 1:
                schema["allOf"] = [{"pattern": p} for p in patterns[1:]]
        self.adorners()
        return schema, True

    def _textarea(self) -> tuple[dict, bool]:
        schema: dict[str, Any] = {"type": "string"}
        self.lengths(schema)
        self.hint["widget"] = "textarea"
        return schema, True

    def lengths(self, schema: dict) -> None:
        for keyword in ("minLength", "maxLength"):
            if keyword not in self.validate:
                continue
            value = self.validate[keyword]
            number = _number(value)
            if isinstance(number, int) and number >= 0:
                schema[keyword] = number
            elif value not in (None, ""):
                self.warn(f"/validate/{keyword}", f"`{keyword}` {json.dumps(value)} is not a fixed length "
                                                  "(an expression?): not enforced")

    def adorners(self) -> None:
        appearance = self.component.get("appearance")
        if isinstance(appearance, dict):
            for source, target in (("prefixAdorner", "prefix"), ("suffixAdorner", "suffix")):
                if text_or_none(appearance.get(source)):
                    self.hint[target] = appearance[source]

    def _number(self) -> tuple[dict, bool]:
        c = self.component
        digits = c.get("decimalDigits")
        digits = digits if isinstance(digits, int) and not isinstance(digits, bool) and digits >= 0 else None
        increment = _number(c.get("increment")) if c.get("increment") not in (None, "") else None
        if c.get("increment") not in (None, "") and (increment is None or increment <= 0):
            self.warn("/increment", "the increment is not a positive number: not enforced")
            increment = None
        bounds = {}
        for source, keyword in (("min", "minimum"), ("max", "maximum")):
            if source in self.validate and self.validate[source] not in (None, ""):
                value = _number(self.validate[source])
                if value is None:
                    self.warn(f"/validate/{source}", f"`{source}` {json.dumps(self.validate[source])} is not a "
                                                     "fixed number (an expression?): not enforced")
                else:
                    bounds[keyword] = value
        self.adorners()
        if c.get("serializeToString") is True:
            schema: dict[str, Any] = {"type": "string", "format": "decimal"}
            if digits is not None:
                schema["pattern"] = rf"^[+-]?[0-9]+(?:\.[0-9]{{0,{digits}}})?$" if digits else r"^[+-]?[0-9]+$"
            if bounds or increment is not None:
                self.warn("/serializeToString", "the number is submitted as text: `min`, `max` and `increment` "
                                                "are not enforced on it")
            return schema, False
        schema = {"type": "integer" if digits == 0 else "number", **bounds}
        steps = [step for step in (increment, _step(digits) if digits else None) if step is not None]
        if steps:
            schema["multipleOf"] = steps[0]
            if len(steps) > 1:
                schema["allOf"] = [{"multipleOf": steps[1]}]
        return schema, False

    def _datetime(self) -> tuple[dict, bool]:
        subtype = self.component.get("subtype", "date")
        if self.component.get("disallowPassedDates") is True:
            self.warn("/disallowPassedDates", "past dates are not rejected by Flowdesk")
        if subtype == "time":
            return {"type": "string", "pattern": TIME_PATTERN}, False
        if subtype == "datetime":
            self.hint["widget"] = "datetime"
            return {"type": "string", "pattern": DATETIME_PATTERN}, False
        if subtype != "date":
            self.warn("/subtype", f"unknown datetime subtype {subtype!r}: treated as a date")
        self.hint["widget"] = "date"
        return {"type": "string", "format": "date"}, False

    def _checkbox(self) -> tuple[dict, bool]:
        self.hint["widget"] = "checkbox"
        return {"type": "boolean"}, False

    def _radio(self) -> tuple[dict, bool]:
        self.hint["widget"] = "radio"
        return self.choice(), False

    def _select(self) -> tuple[dict, bool]:
        return self.choice(), False

    def _checklist(self) -> tuple[dict, bool]:
        return {"type": "array", "items": self.choice(), "uniqueItems": True}, False

    def _taglist(self) -> tuple[dict, bool]:
        return self._checklist()

    def choice(self) -> dict:
        c = self.component
        for source in ("valuesKey", "valuesExpression"):
            if text_or_none(c.get(source)):
                self.warn(f"/{source}", "the options are read from process data at run time: any text is accepted")
                return {"type": "string"}
        values = c.get("values")
        options = [v for v in values if isinstance(v, dict) and "value" in v] if isinstance(values, list) else []
        if not options:
            self.warn("/values", "the field has no options: any text is accepted")
            return {"type": "string"}
        enum = list(dict.fromkeys(option["value"] for option in options if _scalar(option["value"])))
        titles = {str(option["value"]): option["label"] for option in options
                  if _scalar(option["value"]) and text_or_none(option.get("label"))}
        schema: dict[str, Any] = {"enum": enum}
        if titles:
            schema["x-enum-titles"] = titles
        return schema

    def _filepicker(self) -> tuple[dict, bool]:
        c = self.component
        file: dict[str, Any] = {"type": "string", "format": "uuid", "contentMediaType": FILE_MEDIA_TYPE}
        accept = c.get("accept")
        if text_or_none(accept):
            file["x-accept"] = accept
            if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", accept.strip()):
                file["contentMediaType"] = accept.strip()
            self.warn("/accept", "the accepted file types are not checked by Flowdesk")
        self.hint["widget"] = "file"
        if c.get("multiple") is True:
            return {"type": "array", "items": file}, False
        return file, False

    def _expression(self) -> tuple[dict, bool]:
        self.warn("", "an expression field is computed by form-js with FEEL; Flowdesk does not compute it, so "
                      "the field is read-only and a submitted value is ignored")
        schema: dict[str, Any] = {}
        if isinstance(self.component.get("expression"), str):
            schema["x-expression"] = self.component["expression"]
        return schema, False


def _types(schema: dict) -> set[str]:
    kinds = schema.get("type")
    if isinstance(kinds, str):
        return {kinds}
    return set(kinds) if isinstance(kinds, list) else set()


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _number(value: Any) -> int | float | None:
    """A JSON number from a number or numeric text; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        if not number.is_finite():
            return None
        return int(number) if number == number.to_integral_value() and "." not in value else float(value)
    return None


def _step(digits: int) -> float:
    return float(f"1e-{digits}")


def _python_pattern(pattern: str) -> str | None:
    """A JavaScript regular expression as one Python's `re` reads the same way, or None."""
    candidates = [pattern, re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", pattern)]
    for candidate in candidates:
        try:
            re.compile(candidate)
        except re.error:
            continue
        return candidate
    return None
