"""The stored state is written by Flowdesk's own converter; it must be exactly
what SpiffWorkflow's registry writes, for every shape of state the tests run."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.instances import state_rows
from flowdesk.engine.persistence.models import Instance
from flowdesk.engine.runtime import serialization

from tests.support.models import CALLEE, CALLER, MULTI, PARALLEL, TIMER, one_task_process


def check_parity(engine, instance_id: str) -> None:
    with engine.transaction() as s:
        row = s.get(Instance, instance_id)
        definition = engine.context.definitions.by_id(s, row.definition_id)
        execution = engine.context.definitions.runtime(definition).restore(state_rows.stored_state(s, row))
    workflow = execution._wf
    ours, stable = serialization.state_to_dict_stable(workflow)
    theirs = serialization.legacy_state_to_dict(workflow)
    assert json.dumps(ours, sort_keys=True, default=repr) == json.dumps(theirs, sort_keys=True, default=repr)
    assert stable == (json.loads(json.dumps(ours, default=repr)) == ours)


@pytest.mark.parametrize("model,key,data", [
    (PARALLEL, "parallel", {"done": 0, "rounds": 2}),
    (MULTI, "multi", {"done": 0, "rounds": 1, "items": ["a", "b", "c"], "results": []}),
    (TIMER, "timer", {"done": 0, "rounds": 2, "escalated": 0}),
])
def test_the_state_writer_matches_the_registry(engine, model, key, data):
    engine.repository.deploy([model], by=SYSTEM)
    check_parity(engine, engine.instances.start_instance(key, data, by=SYSTEM)["id"])


def test_the_state_writer_matches_the_registry_with_subprocesses_and_typed_values(engine):
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    engine.repository.deploy([CALLER, CALLEE], by=SYSTEM)
    instance = engine.instances.start_instance("caller", {"done": 0, "rounds": 2, "called": 0,
                                                "amount": Decimal("12.50"), "day": date(2026, 1, 2)}, by=SYSTEM)
    check_parity(engine, instance["id"])


def test_values_a_json_round_trip_would_change_make_the_state_unstable(engine):
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    engine.repository.deploy([one_task_process(script="pair = (1, 2)")], by=SYSTEM)
    instance = engine.instances.start_instance("one_task", {"n": 1}, by=SYSTEM)
    check_parity(engine, instance["id"])
