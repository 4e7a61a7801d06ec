"""Checking a submission against its task's validation rules (see engine.forms.task_rules).

Shared by task completion and the start of an instance: the rules read the process data,
the submitted data and business records, and a broken rule raises `InvalidData` (422)
before anything is stored or run, like a form schema error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ..clock import Clock
from ..errors import BadRequest, InvalidData, NotFound
from ..forms import task_rules
from ..records.store import RecordStore, record_view


def check_rules(session: Session, clock: Clock, rules: tuple[dict, ...], submitted: Mapping[str, Any],
                process_data: Mapping[str, Any], functions: Mapping[str, Any]) -> None:
    """Raise `InvalidData` listing every broken rule; nothing when all hold."""
    if not rules:
        return
    errors = task_rules.rule_errors(rules, submitted, process_data,
                                    {**functions, "record": _record_reader(session, clock)})
    if errors:
        raise InvalidData(errors)


def _record_reader(session: Session, clock: Clock):
    """``record(type, number)`` for rules: the record as the ``record.get`` connector gives
    it, or None when there is none; each record is read once per submission."""
    store = RecordStore(clock)
    seen: dict[tuple[str, str], dict | None] = {}

    def record(type_: Any, ref: Any) -> dict | None:
        if not isinstance(type_, str) or not isinstance(ref, str) or not ref:
            return None
        key = (type_, ref)
        if key not in seen:
            try:
                view = record_view(store.get(session, type_, ref))
            except (NotFound, BadRequest):
                view = None
            if view is not None:
                view.pop("instances")
            seen[key] = view
        return seen[key]

    return record
