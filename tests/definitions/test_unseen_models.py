"""Constructs met in public Camunda models nobody on the project had seen, each rebuilt as
a minimal hand-written model in tests/fixtures/unseen (docs/dialects.md, "Models nobody
here had seen")."""

from __future__ import annotations

from pathlib import Path

import pytest
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.identity import SYSTEM

from tests.support.dialects import Driver

FIXTURES = Path(__file__).parent.parent / "fixtures" / "unseen"


def _model(name: str) -> SourceFile:
    return SourceFile(name, (FIXTURES / name).read_bytes())


@pytest.fixture
def run(engine, clock) -> Driver:
    return Driver(engine, clock)


def _open(run: Driver, instance_id: str) -> list[str]:
    return [t["element_id"] for t in run.instance(instance_id)["open_tasks"]]


def test_zeebe_json_path_conditions_route_as_the_feel_they_meant(run):
    result = run.deploy(_model("zeebe_json_path_condition.bpmn"))
    assert any("Zeebe 0.x JSONPath condition" in w.message for w in result.warnings)
    big = run.start("legacy_route", {"order": {"total": 150}, "region": "north"})
    small = run.start("legacy_route", {"order": {"total": 150}, "region": "south"})
    run.work("check-order")
    assert _open(run, big["id"]) == ["review"]
    assert run.instance(small["id"])["status"] == "completed"


def test_an_input_parameter_script_that_stores_a_variable_keeps_it_and_its_value_is_null(run):
    result = run.deploy(_model("camunda_input_script_setter.bpmn"))
    assert any("stores fallback as it runs" in w.message for w in result.warnings)
    instance = run.start("scored", {"limit": 3, "name": "Ann"})
    (task,) = run.work("scoring")
    assert task["variables"]["applicant"] == "Ann" and task["variables"]["setup"] is None
    assert _open(run, instance["id"]) == ["look"]
    assert run.instance(instance["id"])["data"] == {"limit": 3, "name": "Ann", "fallback": 6}


def test_execution_process_business_key_reads_the_key_the_instance_was_started_with(run, engine):
    run.deploy(_model("camunda_business_key.bpmn"))
    keyed = engine.instances.start_instance("keyed", {}, by=SYSTEM, business_key="order-7")
    (task,) = run.work("notify")
    assert (task["variables"]["correlationKey"], task["variables"]["reference"]) == ("order-7", "ref-order-7")
    done = run.instance(keyed["id"])
    assert done["status"] == "completed" and done["data"] == {}


def test_a_duration_written_as_a_timer_date_fires_that_long_after_the_timer_starts(run):
    result = run.deploy(_model("camunda_duration_as_date.bpmn"))
    assert any("is a duration" in w.message for w in result.warnings)
    instance = run.start("cool_off")
    assert run.later(minutes=4) == 0 and run.instance(instance["id"])["status"] != "completed"
    run.later(minutes=2)
    assert run.instance(instance["id"])["status"] == "completed"
