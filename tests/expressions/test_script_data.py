"""A script that leaves something other than data fails its instance with an incident
that names the variable, instead of an exception when the instance is saved or shown."""

from __future__ import annotations

import time
from types import SimpleNamespace

from flowdesk.engine.identity import SYSTEM

from tests.support.models import script_process


def _incident(engine, instance_id):
    (incident,) = engine.management.list_incidents(by=SYSTEM, instance_id=instance_id).items
    return SimpleNamespace(**incident)


def test_a_dict_view_left_by_a_script_fails_the_instance_with_an_incident(engine):
    engine.repository.deploy([script_process("leaves_view", "total = 3\nx = {'a': 1}.values()")], by=SYSTEM)
    instance = engine.instances.start_instance("leaves_view", {"n": 1}, by=SYSTEM)
    assert instance["status"] == "failed"
    assert instance["active_elements"] == ["run"]
    incident = _incident(engine, instance["id"])
    assert incident.status == "open" and incident.element_id == "run"
    assert incident.kind == "EvaluationError"
    assert "the variable 'x' is a dict_values" in incident.message
    # the instance is saved and shows as it was before the script: nothing it assigned
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["data"] == {"n": 1}
    opened = [e for e in engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items if e["type"] == "incident.opened"]
    assert opened and "dict_values" in opened[0]["data"]["message"]


def test_non_data_inside_existing_data_is_replaced_and_the_instance_saved(engine):
    engine.repository.deploy([script_process("tags_set", "order['tags'] = {'urgent'}\norder['n'] = 2")], by=SYSTEM)
    instance = engine.instances.start_instance("tags_set", {"order": {"n": 1}}, by=SYSTEM)
    assert instance["status"] == "failed"
    incident = _incident(engine, instance["id"])
    assert "order['tags'] (in the variable 'order') is a set" in incident.message
    shown = engine.instances.get_instance(instance["id"], by=SYSTEM)["data"]["order"]  # saved and readable
    assert shown.get("tags") is None


def test_each_kind_of_non_data_is_an_incident_and_the_engine_goes_on(engine):
    scripts = {
        "a_set": "s = {1, 2}",
        "a_zone": "z = timezone.utc",
        "a_function": "f = deadline",
        "a_range": "r = range(3)",
        "nan": "x = float('nan')",
        "tuple_keys": "by_pair = {(2024, 1): 1}",
    }
    engine.repository.deploy([script_process(key, script) for key, script in scripts.items()]
                  + [script_process("fine", "when = date(2024, 1, 2)\npair = (1, 2)\namount = Decimal('1.50')\n"
                                                   "by_year = {2024: 1}")], by=SYSTEM)
    for key in scripts:
        instance = engine.instances.start_instance(key, {}, by=SYSTEM)
        assert instance["status"] == "failed", key
        assert "instance data" in _incident(engine, instance["id"]).message or key == "nan"
    fine = engine.instances.start_instance("fine", {}, by=SYSTEM)
    assert fine["status"] == "completed"
    assert fine["data"]["pair"] == [1, 2] and fine["data"]["when"] == "2024-01-02"
    assert fine["data"]["by_year"] == {"2024": 1}  # JSON keys are text


def test_a_resource_refusal_is_a_quick_incident(engine):
    engine.repository.deploy([script_process("sort_refs", "x = sorted(['a' * 1000000] * 100000)")], by=SYSTEM)
    started = time.perf_counter()
    instance = engine.instances.start_instance("sort_refs", {}, by=SYSTEM)
    assert time.perf_counter() - started < 5
    assert instance["status"] == "failed"
    incident = _incident(engine, instance["id"])
    assert incident.kind == "ResourceLimitExceeded" and "every reference to a text counts" in incident.message
