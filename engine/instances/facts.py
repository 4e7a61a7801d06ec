"""A task's summary resolved against its instance: the facts a task page shows.

The declaration (``definitions/summary.py``) names data paths; here they become values,
so every client (web page, API) shows the same facts and none has to know the process's
variables. A task whose process declares nothing gets the facts most requests have:
title, total with currency, and the lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from ..definitions.summary import STARTER_PATH, entries

_MISSING = object()
# What a task shows when its process declares no summary (the first path found of each).
FALLBACK = entries([
    {"path": "title", "label": "Title", "label_i18n": {"zh-CN": "标题"}},
    {"path": "total", "label": "Total", "label_i18n": {"zh-CN": "合计"}, "currency": "currency"},
    {"path": "lines", "label": "Lines", "label_i18n": {"zh-CN": "明细"}},
])
_STARTER_LABELS = {"label": "Requester", "label_i18n": {"zh-CN": "申请人"}}


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (dict keys, list indexes), or ``_MISSING``."""
    value: Any = data
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _currency(data: Mapping[str, Any], spec: str | None) -> str | None:
    if not spec:
        return None
    if spec[0] in "\"'" and spec[-1] == spec[0] and len(spec) > 1:
        return spec[1:-1]
    found = lookup(data, spec)
    return found if isinstance(found, str) and found else None


def _table(data: Mapping[str, Any], value: list, columns: Sequence[dict[str, Any]]) -> dict[str, Any]:
    if not columns:  # every key the rows have, in their order, but the engine's own
        keys: dict[str, None] = {}
        for row in value:
            keys.update(dict.fromkeys(k for k in row if isinstance(k, str) and not k.startswith(("spiff", "_"))))
        columns = [{"path": k, "label": None, "label_i18n": {}, "currency": None} for k in keys]
    # a column's currency as a code (its spec may name a data path)
    columns = [{**c, "currency": _currency(data, c.get("currency"))} for c in columns]
    rows = [[None if (cell := lookup(row, c["path"])) is _MISSING else cell for c in columns] for row in value]
    return {"kind": "table", "columns": list(columns), "rows": rows}


def resolve(declared: Sequence[dict[str, Any]], data: Mapping[str, Any], starter: str | None) -> list[dict]:
    """``[{path, label, label_i18n, kind, value, currency, columns, rows}]`` for the paths
    that have a value; ``kind`` is text, money, list or table (a list of objects)."""
    facts = []
    for spec in declared or FALLBACK:
        fact = {"path": spec["path"], "label": spec.get("label"), "label_i18n": spec.get("label_i18n") or {},
                "kind": "text", "value": None, "currency": None, "columns": [], "rows": []}
        if spec["path"] == STARTER_PATH:
            if starter is None:
                continue
            fact.update(label=fact["label"] or _STARTER_LABELS["label"],
                        label_i18n=fact["label_i18n"] or _STARTER_LABELS["label_i18n"], value=starter)
            facts.append(fact)
            continue
        value = lookup(data, spec["path"])
        if value is _MISSING or value is None or value == "" or value == []:
            continue
        if isinstance(value, list) and all(isinstance(row, Mapping) for row in value):
            fact.update(_table(data, value, spec.get("columns") or ()))
        elif isinstance(value, list):
            fact.update(kind="list", value=value)
        else:
            currency = _currency(data, spec.get("currency"))
            fact.update(kind="money" if currency else "text", value=value, currency=currency)
            if (texts := (spec.get("values") or {}).get(str(value))) and not currency:
                fact["value_i18n"] = texts  # a code, named for people (the page picks the locale)
        facts.append(fact)
    return facts


class TaskHeadline(TypedDict):
    title: str | None
    amount: Any
    currency: str | None
    requester: str | None


# Paths that name a request when its summary has no ``title`` (first found wins).
_TITLE_PATHS = ("title", "subject", "job_title", "company_name", "description")


def headline(declared: Sequence[dict[str, Any]], data: Mapping[str, Any], starter: str | None) -> TaskHeadline:
    """An inbox row's view of a request: its title (a summary fact ending in a title path,
    else a known title field), its first amount with a currency, and who started it."""
    shown = resolve(declared, data, starter)
    texts = {fact["path"].rsplit(".", 1)[-1]: fact["value"] for fact in shown if fact["kind"] == "text"}
    title = next((texts[p] for p in _TITLE_PATHS if isinstance(texts.get(p), str)), None)
    if title is None:
        title = next((data[p] for p in _TITLE_PATHS if isinstance(data.get(p), str) and data[p]), None)
    money = next((fact for fact in shown if fact["kind"] == "money"), None)
    if money is None and declared:
        money = next((fact for fact in resolve(FALLBACK, data, starter) if fact["kind"] == "money"), None)
    return {"title": title, "amount": money["value"] if money else None,
            "currency": money["currency"] if money else None, "requester": starter}
