"""Deployments create versions only when content changes; instances keep their version."""

from __future__ import annotations

import pytest
from flowdesk.engine.errors import DefinitionInvalid, NotFound
from flowdesk.engine.identity import SYSTEM

from tests.support.models import AMOUNT_FORM, form_file, one_task_process


def deploy(engine, *files):
    return {d.key: (d.version, d.created) for d in engine.repository.deploy(list(files), by=SYSTEM).definitions}


def test_first_deployment_creates_version_1(engine):
    assert deploy(engine, one_task_process()) == {"one_task": (1, True)}


def test_identical_content_creates_no_new_version(engine):
    deploy(engine, one_task_process(), form_file("amount", AMOUNT_FORM))
    assert deploy(engine, one_task_process(), form_file("amount", AMOUNT_FORM)) == {"one_task": (1, False)}


def test_changed_bpmn_creates_the_next_version(engine):
    deploy(engine, one_task_process(script="result = 1"))
    assert deploy(engine, one_task_process(script="result = 2")) == {"one_task": (2, True)}


def test_changed_form_creates_a_new_version_of_the_process_using_it(engine):
    deploy(engine, one_task_process(form="amount.yaml"), form_file("amount", AMOUNT_FORM))
    changed = AMOUNT_FORM.replace("minimum: 0", "minimum: 1")
    assert deploy(engine, one_task_process(form="amount.yaml"), form_file("amount", changed)) == {
        "one_task": (2, True)
    }


def test_reverting_to_older_content_still_creates_a_new_version(engine):
    deploy(engine, one_task_process(script="result = 1"))
    deploy(engine, one_task_process(script="result = 2"))
    assert deploy(engine, one_task_process(script="result = 1")) == {"one_task": (3, True)}


def test_form_already_deployed_is_found_by_a_later_deployment(engine):
    deploy(engine, form_file("amount", AMOUNT_FORM))  # forms alone are a valid deployment
    assert deploy(engine, one_task_process(form="amount.yaml")) == {"one_task": (1, True)}


def test_running_instances_stay_on_their_version(engine):
    clerk = engine.identity.actor("system")
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    cleo = engine.identity.actor("cleo")
    deploy(engine, one_task_process(script="result = 'v1'"))
    first = engine.instances.start_instance("one_task", {}, by=clerk)
    deploy(engine, one_task_process(script="result = 'v2'"))
    second = engine.instances.start_instance("one_task", {}, by=clerk)
    assert (first["definition_version"], second["definition_version"]) == (1, 2)

    done = engine.tasks.complete_task(first["open_tasks"][0]["id"], {}, by=cleo)
    assert done["instance"]["status"] == "completed"
    assert done["instance"]["data"]["result"] == "v1"
    assert engine.tasks.complete_task(second["open_tasks"][0]["id"], {}, by=cleo)["instance"]["data"]["result"] == "v2"


def test_an_older_version_can_be_started_explicitly(engine):
    deploy(engine, one_task_process(script="result = 'v1'"))
    deploy(engine, one_task_process(script="result = 'v2'"))
    assert engine.instances.start_instance("one_task", {}, by=SYSTEM, version=1)["definition_version"] == 1
    with pytest.raises(NotFound):
        engine.instances.start_instance("one_task", {}, by=SYSTEM, version=7)


def test_spec_is_stored_once_per_version_not_in_instances(engine):
    deploy(engine, one_task_process())
    instance = engine.instances.start_instance("one_task", {}, by=SYSTEM)
    with engine.transaction() as s:
        from flowdesk.engine.persistence.models import Instance

        state = s.get(Instance, instance["id"]).state
    assert "spec" not in state and "subprocess_specs" not in state


def test_a_failed_deployment_stores_nothing(engine):
    broken = one_task_process(key="broken", script="result = (")  # a script that does not parse
    with pytest.raises(DefinitionInvalid) as err:
        engine.repository.deploy([one_task_process(), broken], by=SYSTEM)
    assert any("'after'" in p.message for p in err.value.problems)
    with pytest.raises(NotFound):
        engine.instances.start_instance("one_task", {}, by=SYSTEM)


def test_the_same_files_passed_alone_or_in_a_folder_make_one_version(engine, tmp_path):
    """A process YAML whose decision table is in another YAML file: deployed as a file, in its
    folder (beside the decision's source), and as a file again."""
    from pathlib import Path

    from flowdesk.engine.config import shipped_definitions

    folder = tmp_path / "complaints"
    folder.mkdir()
    for shipped in shipped_definitions():
        for file in Path(shipped).glob("complaint_*"):
            (folder / file.name).write_bytes(file.read_bytes())
    process = folder / "complaint_handling.yaml"

    versions = [deploy(engine, folder)["complaint_handling"], deploy(engine, process)["complaint_handling"],
                deploy(engine, folder)["complaint_handling"], deploy(engine, process)["complaint_handling"]]

    assert versions == [(1, True), (1, False), (1, False), (1, False)]


def test_a_deployment_by_the_engine_is_attributed_to_the_operator_it_names(engine):
    engine.repository.deploy([one_task_process()], by=SYSTEM, operator="jane.ops")
    events = engine.history.audit_events(by=SYSTEM, type="definition.deployed").items
    assert [e["actor"] for e in events] == ["jane.ops"]


def test_only_the_engine_deploys_on_behalf_of_someone_else(engine):
    from flowdesk.engine.errors import Forbidden
    from flowdesk.engine.identity import Actor

    designer = Actor("dave", frozenset({"designer"}))
    with pytest.raises(Forbidden):
        engine.repository.deploy([one_task_process()], by=designer, operator="jane.ops")
