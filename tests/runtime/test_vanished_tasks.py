"""A step that reaches for a task the stored state no longer has (a racing step
completed it, and pruning dropped it from the state that step committed) is a conflict
(409 at the API), never an unexpected error."""

from __future__ import annotations

import uuid

import pytest
from flowdesk.engine.errors import Conflict
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Instance

from tests.support.models import one_task_process


def test_completing_a_task_missing_from_the_state_is_a_conflict(engine):
    engine.repository.deploy([one_task_process()], by=SYSTEM)
    instance_id = engine.instances.start_instance("one_task", {}, by=SYSTEM)["id"]
    with engine.transaction() as session:
        instance = session.get(Instance, instance_id)
        execution = engine.context.executions.load(session, instance).execution
        with pytest.raises(Conflict):
            execution.complete_task(str(uuid.uuid4()), {})
