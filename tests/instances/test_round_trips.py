"""What a task completion sends to the database: each row read once, no queries
for background work a process cannot have, and on PostgreSQL three round trips (the
read with BEGIN, the step's writes, COMMIT). Counts, never timings."""

from __future__ import annotations

from collections import Counter

import psycopg
import pytest
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Event, Task
from sqlalchemy import event, func, select, update

from tests.support.engines import make_engine
from tests.support.models import LOOP, PARALLEL, one_task_process


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
    # the task with its instance, its definition, the actor's exclusions and the ids of the
    # instance's open tasks: one read
    assert len(selects) == 1
    action = selects[0]
    assert all(part in action for part in ("FROM tasks", "JOIN instances", "JOIN definitions", "task_exclusions",
                                           "json_group_array(json_array("))
    everything = " ".join(statements.seen)
    assert "jobs" not in everything and "message_subscriptions" not in everything
    # neither the spec (parsed once per version and cached) nor the state (the workflow of
    # the last step is cached) is loaded
    assert "definitions.spec" not in everything and "instances.state" not in action
    # BEGIN, the read, the step's two updates, the audit chain's three statements, the closed
    # task's drafts (20 before the performance work)
    assert len(statements.seen) <= 8
    assert sum(s.startswith("DELETE FROM drafts") for s in statements.seen) == 1
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
    # queued without asking and refused by the database; then the step again, in which the
    # insert skips the existing row
    assert len(inserts) == 2 and "ON CONFLICT" not in inserts[0] and "ON CONFLICT DO NOTHING" in inserts[1]
    created = [e for e in engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items if e["type"] == "task.created"]
    assert [e["task_id"] for e in created] == [first["id"], second["id"]]


class RoundTrips:
    """Counts the times psycopg waits for PostgreSQL: a statement sent on its own (plus its
    BEGIN when it opens a transaction), a pipeline (one sync), a COMMIT or ROLLBACK."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.pipelined: list[int] = []  # statements per pipeline
        self._depth = 0
        for method in ("execute", "executemany"):
            monkeypatch.setattr(psycopg.Cursor, method, self._statement(getattr(psycopg.Cursor, method)))
        for method in ("commit", "rollback"):
            monkeypatch.setattr(psycopg.Connection, method, self._ending(getattr(psycopg.Connection, method)))
        monkeypatch.setattr(psycopg.Connection, "pipeline", self._pipeline(psycopg.Connection.pipeline))

    def _statement(self, original):
        def counted(cursor, *args, **kwargs):
            if self._depth:
                self.pipelined[-1] += 1
            else:
                idle = cursor.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
                self.count += 2 if idle and not cursor.connection.autocommit else 1
            return original(cursor, *args, **kwargs)
        return counted

    def _ending(self, original):
        def counted(connection):
            if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                self.count += 1  # psycopg sends nothing when no transaction is open (the pool's reset)
            return original(connection)
        return counted

    def _pipeline(self, original):
        trips = self

        class Counted:
            def __init__(self, connection) -> None:
                self.inner = original(connection)

            def __enter__(self):
                if not trips._depth:
                    trips.count += 1
                    trips.pipelined.append(0)
                trips._depth += 1
                return self.inner.__enter__()

            def __exit__(self, *exc):
                trips._depth -= 1
                return self.inner.__exit__(*exc)

        return lambda connection: Counted(connection)


@pytest.mark.postgres
def test_a_completion_on_postgresql_is_three_round_trips(postgres_url, clock, monkeypatch):
    """BEGIN with the read (task, instance, definition, exclusion, open tasks), all the
    step's writes in one pipeline (task, new task and candidates, instance with its
    version, audit chain head, payload, event), COMMIT: 9 to 10 before."""
    engine = make_engine(postgres_url, clock)
    try:
        engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
        engine.repository.deploy([LOOP], by=SYSTEM)
        cleo = engine.identity.actor("cleo")
        warm = engine.instances.start_instance("loop", {"done": 0, "rounds": 3}, by=SYSTEM)
        engine.tasks.complete_task(warm["open_tasks"][0]["id"], {}, by=cleo)  # caches filled
        instance = engine.instances.start_instance("loop", {"done": 0, "rounds": 2}, by=SYSTEM)
        trips = RoundTrips(monkeypatch)
        done = engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=cleo)
        opened = done["instance"]["open_tasks"]
        assert len(opened) == 1 and opened[0]["id"] != instance["open_tasks"][0]["id"]
        assert trips.count == 3
        # the read (its BEGIN rides along); then task closed, task opened, its candidate,
        # instance, chain head, payloads, events, the closed task's drafts
        assert trips.pipelined == [1, 8]
        last = engine.tasks.complete_task(opened[0]["id"], {}, by=cleo)
        assert last["instance"]["status"] == "completed" and last["instance"]["data"]["done"] == 2
        assert trips.count == 6 and trips.pipelined[2:] == [1, 6]
        monkeypatch.undo()
        assert engine.history.verify_audit(by=SYSTEM)["ok"] is True
        with engine.transaction() as s:
            created = s.scalar(select(func.count()).select_from(Event).where(
                Event.instance_id == instance["id"], Event.type == "task.created"))
        assert created == 2
    finally:
        engine.close()


@pytest.mark.postgres
def test_pipelined_steps_of_one_instance_from_two_processes_keep_one_audit_chain(postgres_url, clock):
    """Each engine remembers the chain head it wrote last; the other moved it since, so the
    queued compare-and-set fails, its queued events write nothing, and the events are
    chained again on the locked head: every step's events once, the chain intact."""
    first, second = make_engine(postgres_url, clock), make_engine(postgres_url, clock)
    try:
        first.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
        first.repository.deploy([LOOP], by=SYSTEM)
        instance = first.instances.start_instance("loop", {"done": 0, "rounds": 4}, by=SYSTEM)
        task = instance["open_tasks"][0]
        for n in range(4):
            engine = (first, second)[n % 2]
            done = engine.tasks.complete_task(task["id"], {}, by=engine.identity.actor("cleo"))
            task = (done["instance"]["open_tasks"] or [None])[0]
        assert done["instance"]["status"] == "completed" and task is None
        assert first.history.verify_audit(by=SYSTEM)["ok"] is True
        with first.transaction() as s:
            types = list(s.scalars(select(Event.type).where(Event.instance_id == instance["id"]).order_by(Event.seq)))
        assert types.count("task.completed") == 4 and types.count("task.created") == 4
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_on_postgresql_a_ready_task_whose_row_exists_is_not_opened_again(postgres_url, clock):
    """The pipelined INSERT of a task whose row exists fails the whole batch (nothing is
    half-written); the completion then runs again and skips the row, as on SQLite."""
    engine = make_engine(postgres_url, clock)
    try:
        engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
        engine.repository.deploy([PARALLEL], by=SYSTEM)
        instance = engine.instances.start_instance("parallel", {"done": 0, "rounds": 1}, by=SYSTEM)
        first, second = instance["open_tasks"]
        with engine.transaction() as s:
            s.execute(update(Task).where(Task.id == second["id"]).values(status="cancelled"))
        done = engine.tasks.complete_task(first["id"], {}, by=engine.identity.actor("cleo"))
        assert done["instance"]["open_tasks"] == [] and done["task"]["status"] == "completed"
        with engine.transaction() as s:
            types = list(s.scalars(select(Event.type).where(Event.instance_id == instance["id"]).order_by(Event.seq)))
        assert types.count("task.completed") == 1 and types.count("task.created") == 2
        assert engine.history.verify_audit(by=SYSTEM)["ok"] is True
    finally:
        engine.close()
