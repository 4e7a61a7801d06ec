"""The data a tireless test user types in: valid for the form, and steering the gateways.

Values for the variables conditions read come from `model.Hints` (the values that open
each outgoing flow, those leading nearest to an end event first). Which of them is used
rotates with the attempt and with how often the element asking for data has been visited,
so that a loop is left on a later round and a second attempt tries the other branches.
Form fields get values their JSON Schema accepts (enums, formats, bounds, lengths).
"""

from __future__ import annotations

from typing import Any

from .model import Hints

_FORMATS = {
    "date": "2026-02-02", "date-time": "2026-02-02T10:00:00Z", "time": "10:00:00", "email": "tester@example.com",
    "uri": "https://example.com/", "uri-reference": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "decimal": "100.00", "ipv4": "10.0.0.1", "hostname": "example.com", "duration": "P1D",
}


# what a variable a timer reads holds: a moment already past (the timer fires at once), a
# short duration, a short cycle
_PLACEHOLDERS = {"datetime": "2026-01-01T00:00:00+00:00", "duration": "PT1M", "cycle": "R1/PT1M"}


class Chooser:
    """Picks, for each variable, one of its candidate values."""

    def __init__(self, hints: Hints, attempt: int) -> None:
        self.hints = hints
        self.attempt = attempt

    def value(self, path: str, visit: int, allowed: list | None = None) -> tuple[bool, Any]:
        candidates = self.hints.ordered(path)
        if allowed is not None:
            candidates = [c for c in candidates if c in allowed] or list(allowed)
        if not candidates:
            return False, None
        return True, candidates[(self.attempt + visit) % len(candidates)]

    def variables(self, visit: int, skip: set[str] = frozenset()) -> dict[str, Any]:
        """Every variable the conditions read, nested by path (``a.b`` -> ``{"a": {"b": ...}}``),
        and a placeholder for what other expressions read that the model does not set itself."""
        data: dict[str, Any] = {}
        for path in sorted(self.hints.reads):
            top = path.split(".")[0]
            if top in skip or path in self.hints.values or top in self.hints.collections:
                continue
            if any(p.startswith(path + ".") for p in self.hints.values):
                continue
            _put(data, path, _PLACEHOLDERS.get(self.hints.kinds.get(path), "test"))
        for path in sorted(self.hints.values):
            found, value = self.value(path, visit)
            if found:
                _put(data, path, value)
        for collection, element in self.hints.collections.items():
            if collection in data or collection in skip or collection.split(".")[0] in self.hints.writes:
                continue
            item: Any = "item"
            if element:
                sub = {p[len(element) + 1:]: self.value(p, visit)[1] for p in self.hints.values
                       if p.startswith(element + ".")}
                if sub:
                    item = {}
                    for key, value in sub.items():
                        _put(item, key, value)
                elif self.value(element, visit)[0]:
                    item = self.value(element, visit)[1]
            _put(data, collection, [item, item])
        return data


def _put(data: dict, path: str, value: Any) -> None:
    """Set ``a.b.c`` in nested objects; ``a[2].b`` makes ``a`` a list of at least three items,
    each carrying ``b`` (a list read by its index is read the same way at any index)."""
    parts = path.split(".")
    targets = [data]
    for i, part in enumerate(parts):
        name, index = _indexed(part)
        last = i == len(parts) - 1
        following: list[dict] = []
        for target in targets:
            if index is None:
                if last:
                    target[name] = value
                    continue
                inner = target.get(name)
                if not isinstance(inner, dict):
                    inner = target[name] = {}
                following.append(inner)
                continue
            items = target.get(name)
            if not isinstance(items, list):
                items = target[name] = []
            while len(items) < max(index + 1, 2):
                items.append(None if last else {})
            for position in range(len(items)):
                if last:
                    items[position] = value
                elif not isinstance(items[position], dict):
                    items[position] = {}
            following.extend(item for item in items if isinstance(item, dict))
        targets = following


def _indexed(part: str) -> tuple[str, int | None]:
    if part.endswith("]") and "[" in part:
        name, _, index = part[:-1].partition("[")
        if index.isdigit():
            return name, int(index)
    return part, None


def form_data(schema: dict | None, chooser: Chooser, visit: int, required_only: bool = False) -> dict[str, Any]:
    """Data for a form: every field (or only the required ones) with a valid value; the
    fields conditions read get the chooser's value when the form allows it."""
    if not isinstance(schema, dict):
        return {}
    value = _object(schema, chooser, visit, "", required_only, schema)
    return value if isinstance(value, dict) else {}


def allows_more(schema: dict | None) -> bool:
    """Whether data beyond the form's fields is accepted."""
    return not isinstance(schema, dict) or schema.get("additionalProperties", True) is not False


def _resolve(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _object(schema: dict, chooser: Chooser, visit: int, prefix: str, required_only: bool, root: dict) -> Any:
    schema = _resolve(schema, root)
    properties = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        if isinstance(part, dict):
            properties.update(_resolve(part, root).get("properties") or {})
    required = set(schema.get("required") or [])
    result: dict[str, Any] = {}
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        prop = _resolve(prop, root)
        if prop.get("readOnly") or prop.get("x-readonly") or "x-hide-if" in prop:
            continue
        if required_only and name not in required:
            continue
        path = f"{prefix}{name}"
        value = _value(prop, chooser, visit, path, required_only, root)
        if value is not _SKIP:
            result[name] = value
    return result


_SKIP = object()


def _value(prop: dict, chooser: Chooser, visit: int, path: str, required_only: bool, root: dict) -> Any:
    if "const" in prop:
        return prop["const"]
    enum = prop.get("enum")
    for key in ("oneOf", "anyOf"):
        options = prop.get(key)
        if isinstance(options, list) and options and enum is None:
            consts = [o.get("const") for o in options if isinstance(o, dict) and "const" in o]
            if consts:
                enum = consts
            else:
                prop = {**prop, **_resolve(options[0], root)}
    types = prop.get("type")
    kind = types if isinstance(types, str) else next((t for t in (types or []) if t != "null"), None)
    if enum:
        found, chosen = chooser.value(path, visit, list(enum))
        return chosen if found else enum[0]
    found, chosen = chooser.value(path, visit)
    if found and _fits(chosen, kind):
        return chosen
    if kind == "object" or (kind is None and "properties" in prop):
        return _object(prop, chooser, visit, path + ".", required_only, root)
    if kind == "array":
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        count = max(int(prop.get("minItems", 1) or 0), 1)
        if isinstance(items.get("enum"), list) and items["enum"]:
            return list(items["enum"][:count])
        return [_value(items, chooser, visit, path, required_only, root) for _ in range(count)]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = prop.get("minimum", prop.get("exclusiveMinimum", 0))
        high = prop.get("maximum", prop.get("exclusiveMaximum"))
        number = low + (1 if "exclusiveMinimum" in prop else 0) if isinstance(low, int | float) else 1
        number = max(number, 1) if high is None or high >= 1 else number
        if high is not None and number > high:
            number = high - (1 if "exclusiveMaximum" in prop else 0)
        return int(number) if kind == "integer" else number
    if kind == "string" or kind is None:
        fmt = prop.get("format")
        if fmt in _FORMATS:
            return _FORMATS[fmt]
        if prop.get("contentMediaType") or fmt == "binary":
            return _SKIP
        text = "test"
        low = int(prop.get("minLength", 0) or 0)
        if len(text) < low:
            text = text + "x" * (low - len(text))
        high = prop.get("maxLength")
        if isinstance(high, int) and len(text) > high:
            text = text[:high] or "x"
        if prop.get("pattern"):
            text = _pattern_text(prop["pattern"], text)
        return text
    return None


def _fits(value: Any, kind: str | None) -> bool:
    if kind is None:
        return True
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _pattern_text(pattern: str, fallback: str) -> str:
    import re

    for candidate in (fallback, "A1", "a", "1", "abc", "ABC", "12345", "test@example.com", "AB-123"):
        try:
            if re.fullmatch(pattern, candidate) or re.search(pattern, candidate):
                return candidate
        except re.error:
            return fallback
    return fallback
