"""What a task completion sends to the database: each row read once, no queries
for background work a process cannot have. Counts, never timings."""

from __future__ import annotations

from collections import Counter

import pytest
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Task
from sqlalchemy import event, update

from tests.support.models import PARALLEL, one_task_process


class Statements:
    def __init__(self, engine) -> None:
        self.seen: list[str] = []
        event.listen(engine.db.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.seen.append(" ".join(statement.split()))

    def tables(self, verb: str) -> Counter:
        counts: Counter = Counter()
        for s in self.seen:
            if s.startswith(verb):
                words = s.split()
                table = words[words.index("FROM") + 1] if "FROM" in words else words[2]
                counts[table.strip('"')] += 1
        return counts


@pytest.fixture
def started(engine):
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    engine.repository.deploy([one_task_process(script="total = quantity * 2")], by=SYSTEM)
    return engine.instances.start_instance("one_task", {"quantity": 3}, by=SYSTEM)


def test_a_completion_reads_each_row_once_and_skips_absent_background_work(engine, started):
    cleo = engine.identity.actor("cleo")
    statements = Statements(engine)
    done = engine.tasks.complete_task(started["open_tasks"][0]["id"], {}, by=cleo)
    assert done["instance"]["status"] == "completed" and done["instance"]["data"]["total"] == 6
    selects = [s for s in statements.seen if s.startswith("SELECT")]
    # the task with its instance, its definition and the actor's exclusions in one read;
    # then the ids of the instance's open tasks
    assert len(selects) == 2
    action = selects[0]
    assert all(part in action for part in ("FROM tasks", "JOIN instances", "JOIN definitions", "task_exclusions"))
    assert selects[1].startswith("SELECT tasks.id, tasks.element_id FROM tasks")
    everything = " ".join(statements.seen)
    assert "jobs" not in everything and "message_subscriptions" not in everything
    # neither the spec (parsed once per version and cached) nor the state (the workflow of
    # the last step is cached) is loaded
    assert "definitions.spec" not in everything and "instances.state" not in action
    # BEGIN, 2 reads, the step's two updates, the audit chain's three statements (20 before the
    # performance work)
    assert len(statements.seen) <= 8
    # the audit chain: one compare-and-set of the head this process wrote, payloads, events
    assert statements.tables("SELECT").get("audit_chains", 0) == 0


def test_the_response_lists_the_tasks_opened_by_the_step(engine):
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    engine.repository.deploy([one_task_process(key="first"), one_task_process(key="second")], by=SYSTEM)
    instance = engine.instances.start_instance("first", {}, by=SYSTEM)
    again = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert [t["id"] for t in again["open_tasks"]] == [t["id"] for t in instance["open_tasks"]]
    done = engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=engine.identity.actor("cleo"))
    assert done["instance"]["open_tasks"] == [] and done["task"]["status"] == "completed"


def test_a_ready_task_whose_row_exists_is_not_opened_again(engine):
    """A step opens rows for tasks it has not seen; a task already written (here: closed
    behind the engine's back) is left as it is, not duplicated or reopened."""
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    engine.repository.deploy([PARALLEL], by=SYSTEM)
    instance = engine.instances.start_instance("parallel", {"done": 0, "rounds": 1}, by=SYSTEM)
    first, second = instance["open_tasks"]
    with engine.transaction() as s:
        s.execute(update(Task).where(Task.id == second["id"]).values(status="cancelled"))
    statements = Statements(engine)
    done = engine.tasks.complete_task(first["id"], {}, by=engine.identity.actor("cleo"))
    assert done["instance"]["open_tasks"] == []
    inserts = [s for s in statements.seen if s.startswith("INSERT INTO tasks")]
    assert len(inserts) == 1 and "ON CONFLICT DO NOTHING" in inserts[0]  # tried, and skipped
    created = [e for e in engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items if e["type"] == "task.created"]
    assert [e["task_id"] for e in created] == [first["id"], second["id"]]
