"""Migrating running instances to another version: a dry run first, a mapping for renamed
elements, each instance atomically, and the migrated instances finish on the new version."""

from __future__ import annotations

import pytest
from flowdesk.engine.errors import Forbidden, InvalidData
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Instance, Job, MessageSubscription, Task, TaskCandidate
from sqlalchemy import select

from tests.instances.operations_support import deploy_review, events_of, jobs_of


@pytest.fixture
def admin(engine):
    engine.identity.create_user("ada", "password1", ["admin"], by=SYSTEM)
    return engine.identity.actor("ada")


@pytest.fixture
def checker(engine):
    engine.identity.create_user("chad", "password1", ["checkers"], by=SYSTEM)
    return engine.identity.actor("chad")


def snapshot(engine, instance_id):
    """Everything of an instance a migration may touch, as plain values."""
    with engine.transaction() as s:
        row = s.get(Instance, instance_id)
        tasks = [(t.id, t.element_id, t.name, t.assignee, list(t.candidate_groups), t.definition_version, t.status)
                 for t in s.scalars(select(Task).where(Task.instance_id == instance_id).order_by(Task.id))]
        candidates = sorted(s.execute(select(TaskCandidate.task_id, TaskCandidate.group_name).join(
            Task, Task.id == TaskCandidate.task_id).where(Task.instance_id == instance_id)).all())
        jobs = [(j.id, j.element_id, j.status, j.due_at) for j in s.scalars(
            select(Job).where(Job.instance_id == instance_id).order_by(Job.id))]
        subs = sorted(s.scalars(select(MessageSubscription.task_id).where(
            MessageSubscription.instance_id == instance_id)))
        kept = (row.definition_id, row.definition_version, row.status, row.state, row.data, row.lock_version,
                tasks, candidates, jobs, subs)
    return kept, len(events_of(engine, instance_id, "instance.migrated"))


def start_two(engine, clerk):
    deploy_review(engine, 1)
    at_check = engine.instances.start_instance("review", {"amount": 7}, by=clerk)
    waiting = engine.instances.start_instance("review", {}, by=clerk)
    engine.tasks.complete_task(waiting["open_tasks"][0]["id"], {}, by=clerk)  # now at the timer
    deploy_review(engine, 2)
    return at_check, waiting


def test_a_dry_run_reports_per_instance_and_changes_nothing(engine, clerk, admin):
    at_check, waiting = start_two(engine, clerk)
    before = {i["id"]: snapshot(engine, i["id"]) for i in (at_check, waiting)}

    report = engine.operations.migrate("review", 1, 2, by=admin, dry_run=True)
    by_id = {r["id"]: r for r in report["instances"]}
    assert report["migrated"] == 0 and set(by_id) == {at_check["id"], waiting["id"]}
    assert by_id[waiting["id"]] == {"id": waiting["id"], "ok": True, "problems": []}
    assert not by_id[at_check["id"]]["ok"]
    assert [p["element_id"] for p in by_id[at_check["id"]]["problems"]] == ["check"]

    mapped = engine.operations.migrate("review", 1, 2, by=admin, mapping={"check": "verify"}, dry_run=True)
    assert all(r["ok"] for r in mapped["instances"])
    assert {i: snapshot(engine, i) for i in before} == before


def test_instances_move_keep_their_tasks_and_finish_on_the_new_version(engine, clerk, checker, admin, executor,
                                                                      clock):
    at_check, waiting = start_two(engine, clerk)
    task = at_check["open_tasks"][0]
    engine.tasks.claim_task(task["id"], by=clerk)
    (timer,) = jobs_of(engine, waiting["id"])

    report = engine.operations.migrate("review", 1, 2, by=admin, mapping={"check": "verify"}, dry_run=False)
    assert report["migrated"] == 2

    moved = engine.tasks.get_task(task["id"], by=SYSTEM)
    # cleo (clerks) claimed 'check'; 'verify' is for checkers only, so it goes back to them
    assert (moved["element_id"], moved["name"], moved["assignee"]) == ("verify", "Verify the request", None)
    assert moved["candidate_groups"] == ["checkers"] and moved["definition_version"] == 2
    (kept,) = [j for j in jobs_of(engine, waiting["id"]) if j.status == "waiting"]
    assert (kept.task_id, kept.due_at) == (timer.task_id, timer.due_at)
    audit = events_of(engine, at_check["id"], "instance.migrated")[0]
    assert audit["definition_version"] == 2 and audit["actor"] == "ada"
    assert audit["data"]["from_version"] == 1 and audit["data"]["to_version"] == 2
    assert audit["data"]["mapping"] == {"check": "verify"}
    assert [(r["task_id"], r["assignee"]) for r in audit["data"]["released"]] == [(task["id"], "cleo")]

    engine.tasks.complete_task(task["id"], {}, by=checker)
    clock.advance(minutes=11)
    executor.run_due()
    for instance in (at_check, waiting):
        approve = engine.instances.get_instance(instance["id"], by=SYSTEM)["open_tasks"][0]
        assert approve["element_id"] == "approve"
        engine.tasks.complete_task(approve["id"], {}, by=clerk)
        done = engine.instances.get_instance(instance["id"], by=SYSTEM)
        assert (done["status"], done["definition_version"], done["data"]["recorded"]) == ("completed", 2, "v2")


def test_an_assignee_the_new_version_still_names_keeps_the_task(engine, admin):
    engine.identity.create_user("bea", "password1", ["clerks", "checkers"], by=SYSTEM)
    bea = engine.identity.actor("bea")
    at_check, _ = start_two(engine, bea)
    task = at_check["open_tasks"][0]
    engine.tasks.claim_task(task["id"], by=bea)

    engine.operations.migrate("review", 1, 2, by=admin, mapping={"check": "verify"}, dry_run=False)

    assert engine.tasks.get_task(task["id"], by=SYSTEM)["assignee"] == "bea"
    audit = events_of(engine, at_check["id"], "instance.migrated")[0]
    assert audit["data"]["released"] == []
    engine.tasks.complete_task(task["id"], {}, by=bea)


def test_a_failing_instance_is_left_exactly_as_it_was_and_the_others_move(engine, clerk, admin):
    at_check, waiting = start_two(engine, clerk)
    before = snapshot(engine, at_check["id"])
    report = engine.operations.migrate("review", 1, 2, by=admin, dry_run=False)  # "check" is not mapped
    by_id = {r["id"]: r for r in report["instances"]}
    assert report["migrated"] == 1 and by_id[waiting["id"]]["ok"] and not by_id[at_check["id"]]["ok"]
    assert snapshot(engine, at_check["id"]) == before
    assert engine.instances.get_instance(waiting["id"], by=SYSTEM)["definition_version"] == 2


def test_a_failure_while_writing_rolls_the_instance_back(engine, clerk, admin, monkeypatch):
    at_check, _ = start_two(engine, clerk)
    before = snapshot(engine, at_check["id"])

    def broken_write(*args, **kwargs):
        raise InvalidData([], detail="the step could not be written")

    monkeypatch.setattr(engine.context.steps, "write", broken_write)
    report = engine.operations.migrate("review", 1, 2, by=admin, mapping={"check": "verify"},
                                       instance_ids=[at_check["id"]], dry_run=False)
    assert report["migrated"] == 0 and report["instances"][0]["problems"][0]["message"] == \
        "the step could not be written"
    assert snapshot(engine, at_check["id"]) == before


def test_migration_is_checked_before_anything_moves(engine, clerk, admin):
    start_two(engine, clerk)
    designer_id = engine.identity.create_user("dan", "password1", ["designer"], by=SYSTEM)["username"]
    designer = engine.identity.actor(designer_id)
    assert engine.operations.migrate("review", 1, 2, by=designer, dry_run=True)["migrated"] == 0
    with pytest.raises(Forbidden):
        engine.operations.migrate("review", 1, 2, by=designer, dry_run=False)
    with pytest.raises(Forbidden):
        engine.operations.migrate("review", 1, 2, by=clerk, dry_run=True)
    with pytest.raises(InvalidData) as bad:
        engine.operations.migrate("review", 1, 2, by=admin, mapping={"nope": "verify", "check": "gone"})
    assert sorted(e.path for e in bad.value.errors) == ["/mapping/check", "/mapping/nope"]
