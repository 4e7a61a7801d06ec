"""Timer start events: a process that starts every day (or once, at a date).

Each occurrence starts a new instance, so the schedule belongs to the definition, not
to an instance: deploying a version with a timer start event replaces the schedule of
the key's previous versions with one ``start_timer`` job, which re-arms itself after
every occurrence until its cycles are used up.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import expressions
from ..clock import Clock
from ..definitions.model import ProcessInfo
from ..errors import DefinitionInvalid, Problem
from ..persistence.models import Definition, Job
from ..runtime import timer_schedule
from ..status import JobKind, JobStatus


def schedule(session: Session, definition: Definition, clock: Clock) -> list[Job]:
    """Arm the timer start events of a newly deployed version (replacing older versions')."""
    info = ProcessInfo.from_dict(definition.info)
    older = select(Definition.id).where(Definition.key == definition.key, Definition.id != definition.id)
    session.execute(
        update(Job).where(Job.kind == JobKind.START_TIMER, Job.status == JobStatus.WAITING,
                          Job.definition_id.in_(older))
        .values(status=JobStatus.CANCELLED, finished_at=clock.now()).execution_options(synchronize_session=False)
    )
    jobs = []
    now = clock.now()
    for element_id, (kind, expression) in info.timer_starts.items():
        try:
            value = expressions.evaluate(expressions.translate_el(expression) if expressions.is_el(expression)
                                         else expression, {})
            first, cycles, period = timer_schedule(kind, str(value), now)
        except Exception as err:  # a start timer that cannot be scheduled must not deploy
            raise DefinitionInvalid([Problem(info.file, None, f"timer start event '{element_id}': "
                                                              f"{getattr(err, 'detail', err)}")]) from err
        job = Job(id=str(uuid.uuid4()), kind=JobKind.START_TIMER, name=definition.key, definition_id=definition.id,
                  element_id=element_id, due_at=first, status=JobStatus.WAITING, attempts=0, max_attempts=1,
                  payload={"cycles": cycles, "period_seconds": period}, created_at=now)
        session.add(job)
        jobs.append(job)
    return jobs


def next_occurrence(due: datetime, period_seconds: float, now: datetime) -> datetime:
    """The first occurrence after ``now`` (occurrences missed while nothing ran are not
    made up one by one: the process starts once, then keeps to its rhythm)."""
    step = timedelta(seconds=period_seconds)
    following = due + step
    if following <= now and period_seconds > 0:
        missed = int((now - following) / step) + 1
        following += step * missed
    return following
