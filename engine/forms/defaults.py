"""Completing submitted data with the optional fields it left out.

A process reads a form's fields by name (``if comment: ...``, a gateway on
``category == "capex"``); a field the submitter left out would be an undefined name there,
an incident three steps after the form was accepted. So once data has passed the form, every
property the form declares but the data lacks is added with the property's `default`, or
null when it has none. This applies to the top level and to every object inside the data
the schema describes (array items, nested objects), wherever the property is declared
(``properties``, an ``if``/``then``/``else`` branch, ``allOf``, a local ``$ref``).

Only data that has passed validation is completed, so a required field is never
"filled in": it was there. The schema's `default` is copied, never shared.

A form where leaving a field out means "keep what the process has" (a revision form that
resubmits only what changed) says so with ``x-absent: keep``: on a property, that
property is not added when absent; on an object schema (the form's top level, say), none
of its properties is, unless the property says ``x-absent: fill``. Objects inside given
values are still completed.
"""

from __future__ import annotations

import copy
from typing import Any

from .keywords import follow_refs, object_properties


def complete(schema: Any, data: Any, root: Any | None = None, keep: bool = True) -> Any:
    """A copy of `data` with every absent declared property added (see module doc);
    with ``keep=False`` even those that say ``x-absent: keep`` (the names a cross-field
    rule sees)."""
    root = schema if root is None else root
    schema = follow_refs(schema, root)
    if not isinstance(schema, dict):
        return data
    if isinstance(data, dict):
        properties = object_properties(schema, root)
        completed = {}
        for name, value in data.items():
            sub = properties.get(name)
            completed[name] = complete(sub, value, root, keep) if sub is not None else value
        for name, sub in properties.items():
            if name not in completed and (not keep or _fills(schema, sub, root)):
                completed[name] = default_of(sub, root)
        return completed
    if isinstance(data, list):
        items = _items_schema(schema, root)
        prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
        result = []
        for index, value in enumerate(data):
            sub = prefix[index] if index < len(prefix) else items
            result.append(complete(sub, value, root, keep) if sub is not None else value)
        return result
    return data


ABSENT = "x-absent"


def _fills(owner: dict, prop: Any, root: Any) -> bool:
    """Whether an absent property is added: its own ``x-absent`` decides, else its
    object's, else yes."""
    for schema in (prop, follow_refs(prop, root), owner):
        if isinstance(schema, dict) and schema.get(ABSENT) in ("keep", "fill"):
            return schema[ABSENT] == "fill"
    return True


def default_of(schema: Any, root: Any) -> Any:
    """The `default` a property declares (following `$ref`s), else None."""
    seen: set[int] = set()
    while isinstance(schema, dict) and id(schema) not in seen:
        seen.add(id(schema))
        if "default" in schema:
            return copy.deepcopy(schema["default"])
        target = follow_refs(schema, root)
        if target is schema:
            break
        schema = target
    return None


def _items_schema(schema: dict, root: Any) -> Any:
    """The schema every item of an array follows, looking through ``allOf`` too."""
    if isinstance(schema.get("items"), dict):
        return schema["items"]
    for branch in schema.get("allOf", []) if isinstance(schema.get("allOf"), list) else []:
        found = _items_schema(follow_refs(branch, root), root) if isinstance(branch, dict) else None
        if found is not None:
            return found
    return None
