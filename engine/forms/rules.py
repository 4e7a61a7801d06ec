"""Cross-field rules: ``x-rules``, Flowdesk's extension for comparisons between fields.

Standard JSON Schema covers conditional requirements (``if``/``then``, ``dependentRequired``)
but cannot compare two values of the data ("accepted quantity <= received quantity",
"delivery on or after the order date"). An object schema (the form's top level, an array's
``items``, a nested object) may therefore carry a list of rules::

    x-rules:
      - field: accepted_qty                       # the property blamed (JSON Pointer path)
        rule: accepted_qty <= received_qty        # must be true
        message: may not exceed the quantity received
        message_i18n: {zh-CN: 不能超过收货数量}   # optional translations of the message

* ``rule`` is an expression of Flowdesk's sandboxed expression language (Python syntax,
  see docs/yaml-format.md), evaluated with the object's own properties as names; absent
  optional properties are there, as their default or None (see `defaults`), so a rule
  about an optional field says what it means when the field is missing
  (``reason is not None or accepted_qty == received_qty``). Dates are ISO text and
  compare correctly as text; amounts are exact decimals. ``today`` is the acting user's
  local date as ISO text (their time zone, else ``FLOWDESK_TIME_ZONE``; see
  `engine.local_time`), so ``receipt_date <= today`` means "not in the future" where the
  user is; a property of that name hides it.
* ``field`` names the property the error is reported at: ``/receipt_lines/1/accepted_qty``
  for a rule on the items of ``receipt_lines``; ``message`` is the text shown (default:
  "does not satisfy <rule>").
* A rule is checked only on an object whose own data passed the schema (types and
  required fields are right, so the rule never sees a text where it expects a number);
  a rule that is false, or that cannot be evaluated, rejects the data.

Rules are checked when the form is loaded (`rule_problems`): a mapping with exactly
these keys, a ``field`` the object declares, a ``rule`` the sandbox accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .. import expressions
from ..errors import FieldError
from .defaults import _items_schema, complete
from .keywords import Path, follow_refs, object_properties, resolve_local_ref
from .messages import pointer

KEYWORD = "x-rules"
#: The user's local date for rules (see `rule_errors`).
Today = str | Callable[[], str] | None
_KEYS = {"field", "rule", "message", "message_i18n"}
_TEXT_KEYS = ("field", "rule", "message")


def object_rules(schema: Any, root: Any) -> list[dict]:
    """The rules that apply to an object: on its schema, behind a `$ref` or in ``allOf``."""
    found: list[dict] = []
    seen: set[int] = set()

    def visit(node: Any) -> None:
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        rules = node.get(KEYWORD)
        if isinstance(rules, list):
            found.extend(rule for rule in rules if isinstance(rule, dict))
        if isinstance(node.get("$ref"), str):
            visit(resolve_local_ref(root, node["$ref"])[1])
        for branch in node.get("allOf", []) if isinstance(node.get("allOf"), list) else []:
            visit(branch)

    visit(schema)
    return found


def rule_errors(schema: Any, data: Any, blocked: set[Path] | None = None,
                today: Today = None) -> list[FieldError]:
    """Every broken rule in `data`, at the path of the field each rule names.

    `blocked` holds the paths of the schema's own findings: an object at or above one of
    them is not checked (see module doc). `today` (ISO date, or a function giving it,
    called only if a rule names it) is the date rules may compare with; without it a rule
    that reads it fails.
    """
    blocked = blocked or set()
    return list(_walk(schema, schema, data, (), blocked, today))


def _walk(schema: Any, root: Any, data: Any, path: Path, blocked: set[Path],
          today: Today) -> Iterator[FieldError]:
    schema = follow_refs(schema, root)
    if not isinstance(schema, dict):
        return
    if isinstance(data, dict):
        properties = object_properties(schema, root)
        for name, value in data.items():
            if name in properties:
                yield from _walk(properties[name], root, value, (*path, name), blocked, today)
        rules = object_rules(schema, root)
        if rules and not any(found[: len(path)] == path for found in blocked):
            scope = complete(schema, data, root, keep=False)
            if today is not None and "today" not in scope and any("today" in rule["rule"] for rule in rules):
                scope["today"] = today() if callable(today) else today
            for rule in rules:
                if not _holds(rule["rule"], scope):
                    yield FieldError(pointer((*path, rule["field"])),
                                     rule.get("message") or f"does not satisfy {rule['rule']}",
                                     dict(rule.get("message_i18n") or {}))
    elif isinstance(data, list):
        items = _items_schema(schema, root)
        if items is not None:
            for index, value in enumerate(data):
                yield from _walk(items, root, value, (*path, index), blocked, today)


def _holds(rule: str, scope: dict) -> bool:
    try:
        return bool(expressions.evaluate(rule, scope))
    except expressions.ExpressionError:
        return False


def rule_problems(schema: dict, root: Any) -> list[tuple[Path, str]]:
    """(path relative to `schema`, message) for every badly written rule of one subschema."""
    if KEYWORD not in schema:
        return []
    rules = schema[KEYWORD]
    if not isinstance(rules, list):
        return [((KEYWORD,), f"`{KEYWORD}` must be a list of {{field, rule, message}} mappings")]
    declared = object_properties(schema, root)
    problems: list[tuple[Path, str]] = []
    for index, rule in enumerate(rules):
        where: Path = (KEYWORD, index)
        if not isinstance(rule, dict) or not {"field", "rule"} <= set(rule) or set(rule) - _KEYS:
            problems.append((where, f"each of `{KEYWORD}` must be a mapping with `field`, `rule`, an "
                                    "optional `message` and `message_i18n`, and nothing else"))
            continue
        if not all(isinstance(rule.get(key, ""), str) for key in _TEXT_KEYS):
            problems.append((where, "`field`, `rule` and `message` must be text"))
            continue
        translations = rule.get("message_i18n", {})
        if not isinstance(translations, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and v for k, v in translations.items()):
            problems.append(((*where, "message_i18n"), "`message_i18n` must map locales to text, "
                                                       "e.g. {zh-CN: ...}"))
            continue
        if rule["field"] not in declared:
            problems.append(((*where, "field"), f"rule field `{rule['field']}` is not a property of this object"))
        try:
            expressions.check(rule["rule"], "eval")
        except expressions.ExpressionError as err:
            problems.append(((*where, "rule"), f"rule `{rule['rule']}` is not a valid expression: {err}"))
    return problems
