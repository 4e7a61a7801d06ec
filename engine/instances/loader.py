"""The one way a step gets hold of an instance's workflow.

Every step of an existing instance (a task completed, a timer or a message, a service
result, an incident retried, a cancellation) starts the same way: the definition row of
the instance's version, that version's runtime (its spec restored once per process), and
the workflow itself: the one this process kept after the instance's last committed step
if the row still has that version (see runtime/cache.py), else restored from the stored
state (its skeleton and task rows: see state_rows.py). Steps that start an instance get
a fresh workflow from the same runtimes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from ..clock import Clock
from ..persistence.models import Definition, Instance
from ..repository.store import DefinitionStore
from ..runtime import Execution
from .state_rows import is_split, task_rows


class Loaded(NamedTuple):
    definition: Definition
    execution: Execution


class ExecutionLoader:
    def __init__(self, definitions: DefinitionStore, clock: Clock) -> None:
        self.definitions = definitions
        self.clock = clock

    def load(self, session: Session, instance: Instance, definition: Definition | None = None) -> Loaded:
        """The instance's workflow as its last committed step left it (``definition``: the
        instance's version row, when the caller has read it already)."""
        if definition is None:
            definition = self.definitions.by_id(session, instance.definition_id)
        runtime = self.definitions.runtime(definition)
        started = time.perf_counter()
        execution = runtime.resume(instance.id, instance.lock_version, self.clock)
        if execution is None:  # a split state's task rows come in one query (see state_rows.py)
            rows = task_rows(session, instance.id) if is_split(instance.state) else None
            execution = runtime.restore(instance.state, self.clock, rows)
        return Loaded(definition, _stamped(execution, started))

    def start(self, definition: Definition, data: Mapping[str, Any], business_key: str | None = None) -> Execution:
        """A new instance's workflow, run to its first wait."""
        started = time.perf_counter()
        execution = self.definitions.runtime(definition).start(dict(data), self.clock, business_key)
        execution.run()
        return _stamped(execution, started)

    def start_called(self, definition: Definition, data: Mapping[str, Any],
                     business_key: str | None = None) -> Execution:
        """A called process's workflow (a child instance), run to its first wait."""
        started = time.perf_counter()
        return _stamped(self.definitions.runtime(definition).start_called(dict(data), self.clock, business_key),
                        started)

    def start_with_message(self, definition: Definition, name: str, payload: Any,
                           correlation: Mapping[str, Any]) -> Execution:
        started = time.perf_counter()
        return _stamped(self.definitions.runtime(definition).start_with_message(name, payload, dict(correlation),
                                                                               self.clock), started)

    def start_by_timer(self, definition: Definition) -> Execution:
        started = time.perf_counter()
        return _stamped(self.definitions.runtime(definition).start_by_timer({}, self.clock), started)


def _stamped(execution: Execution, started: float) -> Execution:
    """The execution, marked with when its step began (the step-duration histogram)."""
    execution.step_started = started
    return execution
