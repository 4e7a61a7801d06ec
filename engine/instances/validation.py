"""Checking a submission against its task's validation rules (see engine.forms.task_rules).

Shared by task completion and the start of an instance: the rules read the process data,
the submitted data, business records (``record``) and the version's decision tables
(``decide``), and a broken rule raises `InvalidData` (422) before anything is stored or
run, like a form schema error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ..clock import Clock
from ..decisions import parsed_decisions
from ..errors import BadRequest, InvalidData, NotFound
from ..expressions import EvaluationError
from ..forms import task_rules
from ..persistence.models import Definition
from ..records.store import RecordStore, record_view
from ..repository.store import DefinitionStore


def check_rules(session: Session, clock: Clock, definitions: DefinitionStore, definition: Definition,
                rules: tuple[dict, ...], submitted: Mapping[str, Any], process_data: Mapping[str, Any],
                functions: Mapping[str, Any]) -> None:
    """Raise `InvalidData` listing every broken rule; nothing when all hold."""
    if not rules:
        return
    offered = {**functions, "record": _record_reader(session, clock),
               "decide": _decision_reader(session, definitions, definition)}
    errors = task_rules.rule_errors(rules, submitted, process_data, offered)
    if errors:
        raise InvalidData(errors)


def _decision_reader(session: Session, definitions: DefinitionStore, definition: Definition):
    """``decide(decision_id, inputs)`` for rules: what a business rule task of this version
    would merge into the data for `inputs` (``{"rate_to_company": Decimal("0.128")}``),
    so a rule checks against the same table the process runs, not a copy of it."""

    def decide(decision_id: Any, inputs: Any) -> dict:
        entry = (definition.manifest or {}).get("decisions", {}).get(decision_id)
        if entry is None or not isinstance(inputs, Mapping):
            raise EvaluationError(f"decide({decision_id!r}, ...): not a decision of this version, or inputs "
                                  "that are not a mapping")
        model = parsed_decisions(entry["file"], entry["sha256"],
                                 lambda: definitions.resource(session, entry["sha256"]))
        return model.evaluate(decision_id, dict(inputs)).variables()

    return decide


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
