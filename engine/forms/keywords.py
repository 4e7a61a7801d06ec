"""The shape of a JSON Schema (draft 2020-12): which keywords hold subschemas.

Several checks must visit every subschema of a form and nothing else: the unknown-keyword
check, the `format` check, the `$ref` check and the rewrite of `false` subschemas. A
property that happens to be *named* `format` or `type` under `properties` must not be
taken for the keyword, so the walk follows the vocabulary instead of descending into
every mapping it meets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

PathPart = str | int
Path = tuple[PathPart, ...]

#: Keywords whose value is one subschema.
SINGLE_SCHEMA = frozenset(
    {
        "additionalProperties",
        "contains",
        "contentSchema",
        "else",
        "if",
        "items",
        "not",
        "propertyNames",
        "then",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
#: Keywords whose value is a list of subschemas.
SCHEMA_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
#: Keywords whose value maps names to subschemas (`definitions` is the pre-2019 spelling
#: of `$defs`; a `$ref` into it still resolves, so it is accepted).
SCHEMA_MAP = frozenset({"$defs", "definitions", "dependentSchemas", "patternProperties", "properties"})

#: Every keyword of the 2020-12 vocabularies (core, applicator, unevaluated, validation,
#: meta-data, format-annotation, content). Anything else must start with ``x-``.
KNOWN_KEYWORDS = (
    SINGLE_SCHEMA
    | SCHEMA_LIST
    | SCHEMA_MAP
    | frozenset(
        {
            "$anchor",
            "$comment",
            "$dynamicAnchor",
            "$dynamicRef",
            "$id",
            "$ref",
            "$schema",
            "$vocabulary",
            "const",
            "contentEncoding",
            "contentMediaType",
            "default",
            "dependentRequired",
            "deprecated",
            "description",
            "enum",
            "examples",
            "exclusiveMaximum",
            "exclusiveMinimum",
            "format",
            "maxContains",
            "maxItems",
            "maxLength",
            "maxProperties",
            "maximum",
            "minContains",
            "minItems",
            "minLength",
            "minProperties",
            "minimum",
            "multipleOf",
            "pattern",
            "readOnly",
            "required",
            "title",
            "type",
            "uniqueItems",
            "writeOnly",
        }
    )
)


def subschemas(schema: Any, path: Path = ()) -> Iterator[tuple[Path, dict | bool]]:
    """Yield every (sub)schema with its path from the root, the root first.

    Values of the wrong shape (``items: 5``) are skipped: the metaschema reports them.
    """
    if not isinstance(schema, dict | bool):
        return
    yield path, schema
    if isinstance(schema, bool):
        return
    for key, value in schema.items():
        if key in SINGLE_SCHEMA:
            yield from subschemas(value, (*path, key))
        elif key in SCHEMA_LIST and isinstance(value, list):
            for index, item in enumerate(value):
                yield from subschemas(item, (*path, key, index))
        elif key in SCHEMA_MAP and isinstance(value, dict):
            for name, item in value.items():
                yield from subschemas(item, (*path, key, name))


def replace_false_schemas(schema: Any) -> Any:
    """Return a copy where every `false` subschema is the equivalent ``{"not": {}}``.

    jsonschema reports a `false` subschema at its parent's path (``properties: {a: false}``
    blames the object, not ``/a``); ``not: {}`` means the same and is reported at the
    right path, which is what the error pointers promise.
    """
    if schema is False:
        return {"not": {}}
    if not isinstance(schema, dict):
        return schema
    copy: dict[str, Any] = {}
    for key, value in schema.items():
        if key in SINGLE_SCHEMA:
            copy[key] = replace_false_schemas(value)
        elif key in SCHEMA_LIST and isinstance(value, list):
            copy[key] = [replace_false_schemas(item) for item in value]
        elif key in SCHEMA_MAP and isinstance(value, dict):
            copy[key] = {name: replace_false_schemas(item) for name, item in value.items()}
        else:
            copy[key] = value
    return copy


def resolve_local_ref(root: Any, ref: str) -> tuple[bool, Any]:
    """Resolve a same-document reference (``#``, ``#/$defs/line``, ``#anchor``).

    Returns (found, target). Forms are single files, so nothing else is resolvable.
    """
    if not ref.startswith("#"):
        return False, None
    fragment = unquote(ref[1:])
    if fragment == "":
        return True, root
    if not fragment.startswith("/"):
        for _, schema in subschemas(root):
            if isinstance(schema, dict) and fragment in (schema.get("$anchor"), schema.get("$dynamicAnchor")):
                return True, schema
        return False, None
    node = root
    for token in fragment[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def object_properties(schema: Any, root: Any) -> dict[str, Any]:
    """The properties an object schema declares, wherever they are declared.

    A property may be declared only in a conditional branch (``then: {properties:
    {comment: ...}}``) or in a `$ref`-ed fragment, so the in-place applicators and
    references are followed too; the first declaration of a name wins.
    """
    found: dict[str, Any] = {}
    seen: set[int] = set()

    def visit(node: Any) -> None:
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name, sub in properties.items():
                found.setdefault(name, sub)
        if isinstance(node.get("$ref"), str):
            visit(resolve_local_ref(root, node["$ref"])[1])
        for key in ("if", "then", "else"):
            visit(node.get(key))
        for key in ("allOf", "anyOf", "oneOf"):
            branches = node.get(key)
            if isinstance(branches, list):
                for branch in branches:
                    visit(branch)
        dependent = node.get("dependentSchemas")
        if isinstance(dependent, dict):
            for branch in dependent.values():
                visit(branch)

    visit(schema)
    return found


def resolved(schema: Any, root: Any, depth: int = 10) -> dict[str, Any]:
    """A subschema with its local `$ref`s followed and the referring schema's own keywords
    kept beside, and over, the target's (``{"$ref": "#/$defs/amount", "title": "Total"}``
    is the amount schema titled "Total"): what a form field *is*, for rendering it. An
    unresolvable reference leaves the schema's own keywords."""
    for _ in range(depth):
        if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
            break
        found, target = resolve_local_ref(root, schema["$ref"])
        own = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **own} if found and isinstance(target, dict) else own
    return schema if isinstance(schema, dict) else {}


def follow_refs(schema: Any, root: Any) -> Any:
    """Follow a chain of `$ref`s to the schema it ends at (the schema itself when it has
    no resolvable reference); enough to find what a property *is* (an array, an object)."""
    seen: set[int] = set()
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and id(schema) not in seen:
        seen.add(id(schema))
        found, target = resolve_local_ref(root, schema["$ref"])
        if not found:
            break
        schema = target
    return schema
