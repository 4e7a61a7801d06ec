"""What a fault may not do, checked against the database after it.

Each client request is recorded as an :class:`Attempt` (which task, the marker it wrote
into the instance data, and what came back: a status code, or nothing when the
connection broke). After the run, :func:`read_task_facts` reads what the database holds
for every task the clients touched, and :func:`check_completions` holds the two sides
against each other:

- a completion the server acknowledged (200) is in the database exactly once: the task
  is completed, one ``task.completed`` event names it, and the instance data holds that
  request's marker;
- a completion nobody heard back about is either all there (the three agree) or not at
  all (task open, no event, none of its markers in the data);
- no task, acknowledged or not, has two ``task.completed`` events.

:func:`check_jobs` does the same for background work: every instance that waited on a
job got past it, and no job's effect (``service.completed``, ``timer.fired``) was
committed twice. The checks are plain functions of plain data, so tests feed them
hand-made cases as well as real runs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

MARK_PREFIX = "fault_mark_"


def mark_key(element_id: str) -> str:
    """The data key a completion of ``element_id`` writes its marker to."""
    return f"{MARK_PREFIX}{element_id}"


@dataclass(frozen=True)
class Attempt:
    task_id: str
    instance_id: str
    element_id: str
    marker: str
    status: int | None  # None: no response (connection refused or broken, timeout)
    at: float = 0.0     # monotonic seconds, for placing it in a fault's timeline


@dataclass(frozen=True)
class TaskFacts:
    """What the database says about one task after the run."""

    status: str                # open / completed / cancelled; "missing" when there is no row
    completed_events: int      # task.completed events naming the task
    marker: str | None         # the instance data's marker for the task's element


@dataclass
class CompletionVerdict:
    tasks: int = 0
    acknowledged: int = 0
    acknowledged_lost: list[str] = field(default_factory=list)
    committed_twice: list[str] = field(default_factory=list)
    half_written: list[str] = field(default_factory=list)
    unacknowledged_committed: int = 0
    unacknowledged_absent: int = 0

    @property
    def ok(self) -> bool:
        return not (self.acknowledged_lost or self.committed_twice or self.half_written)

    def view(self) -> dict:
        return {"tasks": self.tasks, "acknowledged": self.acknowledged,
                "acknowledged_lost": len(self.acknowledged_lost), "committed_twice": len(self.committed_twice),
                "half_written": len(self.half_written),
                "unacknowledged_committed": self.unacknowledged_committed,
                "unacknowledged_absent": self.unacknowledged_absent,
                "examples": (self.acknowledged_lost + self.committed_twice + self.half_written)[:5]}


def check_completions(attempts: Iterable[Attempt], facts: dict[str, TaskFacts]) -> CompletionVerdict:
    by_task: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_task[attempt.task_id].append(attempt)
    verdict = CompletionVerdict(tasks=len(by_task))
    for task_id, tried in by_task.items():
        fact = facts.get(task_id, TaskFacts("missing", 0, None))
        acked = [a for a in tried if a.status == 200]
        markers = {a.marker for a in tried}
        if fact.completed_events > 1:
            verdict.committed_twice.append(task_id)
        committed = fact.status == "completed" and fact.completed_events >= 1 and fact.marker in markers
        absent = fact.status == "open" and fact.completed_events == 0 and fact.marker not in markers
        if acked:
            verdict.acknowledged += 1
            # Exactly the acknowledged request's write, nothing else.
            if not (committed and fact.marker == acked[-1].marker):
                verdict.acknowledged_lost.append(task_id)
        elif committed:
            verdict.unacknowledged_committed += 1
        elif absent:
            verdict.unacknowledged_absent += 1
        else:
            verdict.half_written.append(task_id)
    return verdict


def read_task_facts(session: Session, task_ids: Iterable[str]) -> dict[str, TaskFacts]:
    """The status, completion events and data marker of each task, in a few queries."""
    from flowdesk.engine.persistence.models import Event, Instance, Task

    ids = list(set(task_ids))
    facts: dict[str, TaskFacts] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = session.execute(select(Task.id, Task.status, Task.element_id, Task.instance_id)
                               .where(Task.id.in_(chunk))).all()
        events = dict(session.execute(select(Event.task_id, func.count()).where(
            Event.task_id.in_(chunk), Event.type == "task.completed").group_by(Event.task_id)).all())
        data = dict(session.execute(select(Instance.id, Instance.data).where(
            Instance.id.in_({r.instance_id for r in rows}))).all())
        for row in rows:
            marker = (data.get(row.instance_id) or {}).get(mark_key(row.element_id))
            facts[row.id] = TaskFacts(str(row.status), events.get(row.id, 0), marker)
    return facts


def duplicate_completions(session: Session) -> int:
    """Tasks anywhere in the database with more than one ``task.completed`` event."""
    from flowdesk.engine.persistence.models import Event

    twice = (select(Event.task_id).where(Event.type == "task.completed", Event.task_id.is_not(None))
             .group_by(Event.task_id).having(func.count() > 1))
    return len(session.execute(twice).all())


@dataclass
class JobVerdict:
    instances: int = 0
    finished: int = 0
    stuck: list[str] = field(default_factory=list)
    run_twice: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.stuck or self.run_twice)

    def view(self) -> dict:
        return {"instances": self.instances, "finished": self.finished, "lost": len(self.stuck),
                "run_twice": len(self.run_twice), "examples": (self.stuck + self.run_twice)[:5]}


def check_jobs(statuses: dict[str, str], effects: dict[str, Counter], expected: dict[str, int]) -> JobVerdict:
    """``statuses``: instance id -> status; ``effects``: instance id -> event type -> count;
    ``expected``: event type -> how many times each instance must have it (e.g.
    ``{"service.completed": 1}``). An instance still waiting, or with fewer effects than
    expected, lost a job; one with more ran a job twice."""
    verdict = JobVerdict(instances=len(statuses))
    for instance_id, status in statuses.items():
        seen = effects.get(instance_id, Counter())
        if any(seen[kind] > count for kind, count in expected.items()):
            verdict.run_twice.append(instance_id)
        if status == "completed" and all(seen[kind] == count for kind, count in expected.items()):
            verdict.finished += 1
        elif instance_id not in verdict.run_twice:
            verdict.stuck.append(instance_id)
    return verdict


def read_job_effects(session: Session, instance_ids: Iterable[str],
                     kinds: Iterable[str]) -> tuple[dict[str, str], dict[str, Counter]]:
    from flowdesk.engine.persistence.models import Event, Instance

    ids = list(set(instance_ids))
    statuses: dict[str, str] = {}
    effects: dict[str, Counter] = defaultdict(Counter)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        statuses.update({i: str(s) for i, s in session.execute(
            select(Instance.id, Instance.status).where(Instance.id.in_(chunk))).all()})
        for instance_id, kind, count in session.execute(
                select(Event.instance_id, Event.type, func.count()).where(
                    Event.instance_id.in_(chunk), Event.type.in_(list(kinds)))
                .group_by(Event.instance_id, Event.type)).all():
            effects[instance_id][kind] = count
    return statuses, effects
