"""An instance shows its oldest open tasks, at most 50, and how many are open in all.

A 1000-item multi-instance would otherwise send a thousand task summaries with every
completion (and read them all back each time)."""

from __future__ import annotations

import pytest
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.instances import views
from flowdesk.engine.instances.tasks import InboxQuery

from tests.support.models import MI, flow, process

# start -> reset -> a parallel multi-instance user task over `items` -> end
FAN_OUT = process("fan_out", f"""
    <bpmn:startEvent id="s"/>{flow("f1", "s", "reset")}
    {MI.format(sequential="false")}
    {flow("f2", "item", "e")}<bpmn:endEvent id="e"/>
    """, ("s", "reset", "item", "e"))
ITEMS = 60  # the lane (tests.support.models.process) puts every item in the clerks' inbox


@pytest.fixture
def started(engine):
    engine.repository.deploy([FAN_OUT], by=SYSTEM)
    return engine.instances.start_instance("fan_out", {"items": list(range(ITEMS))}, by=SYSTEM)


def all_open_ids(engine, clerk, instance_id: str) -> list[str]:
    """Every open task of the instance, page by page through the clerk's inbox."""
    ids, cursor = [], None
    while True:
        page = engine.tasks.inbox(InboxQuery(instance_id=instance_id, limit=25), by=clerk, cursor=cursor)
        ids += [t["id"] for t in page.items]
        cursor = page.next_cursor
        if not cursor:
            return ids


def test_a_started_instance_shows_its_first_tasks_and_counts_them_all(engine, clerk, started):
    assert views.OPEN_TASKS_SHOWN == 50
    assert len(started["open_tasks"]) == 50 and started["open_tasks_total"] == ITEMS
    assert len(all_open_ids(engine, clerk, started["id"])) == ITEMS
    read = engine.instances.get_instance(started["id"], by=SYSTEM)
    assert [t["id"] for t in read["open_tasks"]] == [t["id"] for t in started["open_tasks"]]
    assert read["open_tasks_total"] == ITEMS


def test_a_completion_shows_the_oldest_open_tasks_without_the_completed_one(engine, clerk, started):
    first = started["open_tasks"][0]["id"]
    instance = engine.tasks.complete_task(first, {"answer": "ok"}, by=clerk)["instance"]
    assert instance["open_tasks_total"] == ITEMS - 1 and len(instance["open_tasks"]) == 50
    shown = [t["id"] for t in instance["open_tasks"]]
    assert first not in shown
    assert shown[:49] == [t["id"] for t in started["open_tasks"][1:]]
    assert all(t["status"] == "open" and t["element_id"] == "item" for t in instance["open_tasks"])
    assert engine.instances.get_instance(started["id"], by=SYSTEM)["open_tasks"] == instance["open_tasks"]


def test_working_through_the_shown_tasks_completes_every_item(engine, clerk, started):
    instance, done = started, 0
    while instance["open_tasks"]:
        instance = engine.tasks.complete_task(instance["open_tasks"][0]["id"], {"answer": done}, by=clerk)["instance"]
        done += 1
        assert instance["open_tasks_total"] == ITEMS - done
    assert done == ITEMS and instance["status"] == "completed"
    assert instance["data"]["results"] == list(range(ITEMS))


def test_a_small_instance_shows_every_open_task(engine, clerk):
    engine.repository.deploy([FAN_OUT], by=SYSTEM)
    instance = engine.instances.start_instance("fan_out", {"items": [1, 2, 3]}, by=SYSTEM)
    assert len(instance["open_tasks"]) == 3 and instance["open_tasks_total"] == 3


def test_an_instance_list_shows_each_instances_first_tasks_and_counts(engine, clerk, started):
    small = engine.instances.start_instance("fan_out", {"items": [1, 2]}, by=SYSTEM)
    page = engine.instances.list_instances(by=SYSTEM)
    shown = {i["id"]: i for i in page.items}
    assert len(shown[started["id"]]["open_tasks"]) == 50 and shown[started["id"]]["open_tasks_total"] == ITEMS
    assert [t["id"] for t in shown[started["id"]]["open_tasks"]] == [t["id"] for t in started["open_tasks"]]
    assert len(shown[small["id"]]["open_tasks"]) == 2 and shown[small["id"]]["open_tasks_total"] == 2
