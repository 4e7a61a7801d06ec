"""Validation rules of a user task (or a start event): checks that need the process.

A form's schema and its ``x-rules`` see only the submitted data. Some mistakes can only be
seen against what the process knows: an order line that is not a line of the requisition,
a supplier the reference data does not approve, a receipt date before the order date. A
process used to find them after the submission and send the task back to the same person
with a list of problems, which cost a round trip, stored data that was wrong and wrote
steps and events for nothing. A task's rules find them before anything is stored, and the
submission is refused with 422 like a schema error: a JSON Pointer to the field and a
message, translated where the model translates it.

A rule is declared on the task (YAML ``validate:``, BPMN property ``validationRules`` as a
JSON list)::

    - field: /order_lines/*/line          # where the error is reported (JSON Pointer)
      when: po_action == "place_order"    # optional: the rule applies only then
      rule: item["line"] in [l["line"] for l in requisition_lines]
      message: {en: is not a line of the requisition, zh-CN: 不是采购申请中的明细行}

* ``rule`` and ``when`` are expressions of the sandboxed expression language, metered like
  every script. Their names are the process data the task sees, the submitted data over
  it (completed with the form's optional fields, so every field is there), the functions
  models call (``deadline``), ``record(type, number)``: a business record as the
  ``record.get`` connector returns it (``{"number", "status", "data", ...}``), or None,
  and ``decide(table, inputs)``: what a business rule task of the version would add to
  the data (both offered by engine.instances.validation).
* A ``*`` segment (one at most) makes the rule apply to every item of the array before it,
  with ``item`` the item and ``index`` its position; the error is at the item's field
  (``/order_lines/1/line``).
* The rule must be true. A rule that is false, or that cannot be evaluated, refuses the
  data with its message: a check that cannot be made does not let data through.
* ``message`` is text, or ``{en: ..., zh-CN: ...}`` (English is the default text);
  ``message_i18n`` may add translations to a text message.

Rules run only on data the form accepted (`Form.check` first), so they never see a text
where the form promises a number. `declaration_problems` checks declarations when a model
is deployed and `pointer_problem` checks a field against the task's form.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .. import expressions
from ..errors import FieldError
from .defaults import _items_schema
from .keywords import follow_refs, object_properties

log = logging.getLogger(__name__)

PROPERTY = "validationRules"  # the BPMN extension property holding a task's rules (JSON)
DEFAULT_LOCALE = "en"
MAX_RULES = 100  # rules on one task
_KEYS = {"field", "rule", "when", "message", "message_i18n"}


def normalise(raw: Any) -> tuple[list[dict], list[str]]:
    """The rules in `raw` in the stored shape ({field, rule, when, message, message_i18n}),
    and a problem text for each declaration that is not right (see `declaration_problems`)."""
    if not isinstance(raw, list):
        return [], ["validation rules must be a list of {field, rule, message} mappings"]
    if len(raw) > MAX_RULES:
        return [], [f"a task has at most {MAX_RULES} validation rules"]
    rules: list[dict] = []
    problems: list[str] = []
    for index, declared in enumerate(raw):
        rule, problem = _normalise_one(declared)
        if problem:
            problems.append(f"validation rule {index + 1}: {problem}")
        else:
            rules.append(rule)
    return rules, problems


def _normalise_one(declared: Any) -> tuple[dict, str | None]:
    if not isinstance(declared, Mapping) or not {"field", "rule", "message"} <= set(declared) \
            or set(declared) - _KEYS:
        return {}, ("must be a mapping with `field`, `rule`, `message` and optionally `when` and "
                    "`message_i18n`, nothing else")
    field, rule, when = declared["field"], declared["rule"], declared.get("when")
    parts = field.split("/")[1:] if isinstance(field, str) and field.startswith("/") else []
    if not parts or field.count("*") > 1 or parts[0] == "*" or any("*" in p and p != "*" for p in parts):
        return {}, (f"field {field!r} must be a JSON Pointer to a field of the form (/supplier), "
                    "with at most one `*` for the items of a list (/lines/*/quantity)")
    message, translations = declared["message"], dict(declared.get("message_i18n") or {})
    if isinstance(message, Mapping):
        translations = {**{k: v for k, v in message.items() if k != DEFAULT_LOCALE}, **translations}
        message = message.get(DEFAULT_LOCALE)
    if not isinstance(message, str) or not message.strip():
        return {}, "`message` must be text, or {en: ..., zh-CN: ...} with the English text"
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in translations.items()):
        return {}, "translations of `message` must map locales to text, e.g. {zh-CN: ...}"
    for key, source in (("rule", rule), ("when", when)):
        if source is None and key == "when":
            continue
        if not isinstance(source, str) or not source.strip():
            return {}, f"`{key}` must be an expression"
        try:
            expressions.check(source, "eval")
        except expressions.ExpressionError as err:
            return {}, f"`{key}` is not a valid expression: {err}"
    return {"field": field, "rule": rule, "when": when, "message": message, "message_i18n": translations}, None


def declaration_problems(raw: Any) -> list[str]:
    """What is wrong with declared rules: the shape, a field that is not a pointer, an
    expression the sandbox refuses."""
    return normalise(raw)[1]


def pointer_problem(schema: Mapping[str, Any], field: str) -> str | None:
    """Why `field` does not name a field of the form `schema`, or None when it does."""
    node: Any = schema
    for part in _parts(field):
        node = follow_refs(node, schema)
        if part == "*" or part.isdigit():
            items = _items_schema(node, schema) if isinstance(node, dict) else None
            if items is None:
                return f"`{field}` is not a field of the form: there is no list before `{part}`"
            node = items
            continue
        declared = object_properties(node, schema) if isinstance(node, dict) else {}
        if part not in declared:
            return f"`{field}` is not a field of the form: it has no `{part}` there"
        node = declared[part]
    return None


def _parts(field: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in field.split("/")[1:]]


def rule_errors(rules: tuple[Mapping[str, Any], ...] | list, submitted: Mapping[str, Any],
                process_data: Mapping[str, Any], functions: Mapping[str, Callable]) -> list[FieldError]:
    """Every broken rule, at its field; [] when all hold (see module doc). `functions` are
    the names offered besides the data (``deadline``, ``record``)."""
    names = {**functions, **process_data, **submitted}
    errors: list[FieldError] = []
    for rule in rules:
        for path, scope in _places(rule["field"], submitted, names):
            applies = _outcome(rule["when"], scope, rule) if rule.get("when") else True
            if applies is False:
                continue
            if not applies or not _outcome(rule["rule"], scope, rule):
                errors.append(FieldError(path, rule["message"], dict(rule.get("message_i18n") or {})))
    return sorted(set(errors), key=lambda e: (e.path, e.message))


def _places(field: str, submitted: Mapping[str, Any], names: dict) -> Iterator[tuple[str, dict]]:
    """(pointer, names) for each place a rule applies: once, or once per item."""
    if "/*" not in field:
        yield field, names
        return
    head, tail = field.split("/*", 1)
    items: Any = submitted
    for part in _parts(head):
        items = items.get(part) if isinstance(items, Mapping) else None
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        yield f"{head}/{index}{tail}", {**names, "item": item, "index": index}


def _outcome(source: str, scope: dict, rule: Mapping[str, Any]) -> bool | None:
    """The expression's truth, or None when it cannot be evaluated: the data is refused
    then (a check that cannot be made does not let data through), and it is logged because
    it usually means the rule is wrong, not the data."""
    try:
        return bool(expressions.evaluate(source, scope))
    except expressions.ExpressionError as err:
        log.warning("validation rule at %s could not be evaluated: %s (%s)", rule["field"], err, source)
        return None
