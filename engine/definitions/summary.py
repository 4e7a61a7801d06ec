"""A user task's summary: the business facts the person doing it needs, declared by the process.

A task page used to show the instance's raw variables (engine bookkeeping, ids, helper
lists) above the form. A process declares instead, per user task, which data paths matter
and how to label them; YAML writes ``summary:`` (on the process for every task, on a step
for that task), compiled to the JSON property ``summary`` on the BPMN user task, which BPMN
authors write directly. Entries, normalised::

    {"path": "total", "label": "Total", "label_i18n": {"zh-CN": "合计"},
     "currency": "currency", "columns": [{"path": "item", "label": ..., "label_i18n": ...}]}

``path`` is a dotted data path or ``@starter`` (who started the request); ``currency`` a
data path or a quoted code; ``columns`` makes a list of objects a table; ``values`` names a
code's value for people (``{within: {en: Within budget, zh-CN: 预算内}}``), so a task page
never shows a process's internal code in place of words.
"""

from __future__ import annotations

import json
import re
from typing import Any

PROPERTY = "summary"
STARTER_PATH = "@starter"
_PATH = re.compile(r"^(@starter|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*)$")


class SummaryError(ValueError):
    """A summary declaration that is not a list of entries of the documented shape."""


def _label(raw: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    label = raw.get("label")
    if label is not None and not (isinstance(label, str) and label):
        raise SummaryError("a label must be text")
    texts = raw.get("label_i18n") or {}
    if not isinstance(texts, dict) or not all(isinstance(k, str) and isinstance(v, str) and v
                                              for k, v in texts.items()):
        raise SummaryError("label_i18n must map locales to text")
    return label, dict(texts)


def _path(value: Any) -> str:
    if not isinstance(value, str) or not _PATH.match(value):
        raise SummaryError(f"{value!r} is not a data path (total, requisition.number) or @starter")
    return value


def _currency(raw: dict[str, Any]) -> str | None:
    currency = raw.get("currency")
    if currency is not None and not (isinstance(currency, str) and currency):
        raise SummaryError("currency must be a data path or a quoted code")
    return currency


def _values(raw: dict[str, Any]) -> dict[str, dict[str, str]]:
    values = raw.get("values") or {}
    if not isinstance(values, dict) or not all(
            isinstance(code, str) and isinstance(texts, dict) and texts
            and all(isinstance(k, str) and isinstance(v, str) and v for k, v in texts.items())
            for code, texts in values.items()):
        raise SummaryError("values must map a value to its texts by locale ({within: {en: ..., zh-CN: ...}})")
    return {code: dict(texts) for code, texts in values.items()}


def _column(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        return {"path": _path(raw), "label": None, "label_i18n": {}, "currency": None}
    if not isinstance(raw, dict):
        raise SummaryError("a column is a data path or {path, label, label_i18n, currency}")
    label, texts = _label(raw)
    return {"path": _path(raw.get("path")), "label": label, "label_i18n": texts, "currency": _currency(raw)}


def entry(raw: Any) -> dict[str, Any]:
    """One entry in its normalised form (a bare string is a path)."""
    if isinstance(raw, str):
        return {"path": _path(raw), "label": None, "label_i18n": {}, "currency": None, "columns": [], "values": {}}
    if not isinstance(raw, dict):
        raise SummaryError("an entry is a data path or {path, label, label_i18n, currency, columns, values}")
    unknown = set(raw) - {"path", "label", "label_i18n", "currency", "columns", "values"}
    if unknown:
        raise SummaryError(f"unknown key(s) {', '.join(sorted(unknown))}")
    label, texts = _label(raw)
    currency = _currency(raw)
    columns = raw.get("columns") or []
    if not isinstance(columns, list):
        raise SummaryError("columns must be a list")
    return {"path": _path(raw.get("path")), "label": label, "label_i18n": texts, "currency": currency,
            "columns": [_column(c) for c in columns], "values": _values(raw)}


def entries(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise SummaryError("a summary is a list of entries")
    return [entry(item) for item in raw]


def merged(*declared: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Process-wide entries then the task's own; a later entry for a path replaces the earlier."""
    by_path: dict[str, dict[str, Any]] = {}
    for group in declared:
        for item in group:
            by_path.pop(item["path"], None)
            by_path[item["path"]] = item
    return list(by_path.values())


def encode(declared: list[dict[str, Any]]) -> str | None:
    return json.dumps(declared, ensure_ascii=False, sort_keys=True) if declared else None


def decode(text: str | None) -> list[dict[str, Any]]:
    """The property's entries; SummaryError when it is not JSON of the documented shape."""
    if not text:
        return []
    try:
        raw = json.loads(text)
    except ValueError:
        raise SummaryError("the summary property must be a JSON list") from None
    return entries(raw)
