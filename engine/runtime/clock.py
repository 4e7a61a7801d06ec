"""Giving SpiffWorkflow's timers Flowdesk's clock.

SpiffWorkflow reads ``datetime.now(timezone.utc)`` directly inside its timer event
definitions, so timers could only be tested by sleeping. Its timer module's ``datetime``
name is replaced here by a subclass whose ``now()`` asks the clock of the step being
run (a context variable), falling back to the wall clock. This is the one place Flowdesk
reaches into a SpiffWorkflow module's globals; the pinned version range in pyproject.toml
keeps it honest, and tests/engine/test_timers.py fails if the hook stops working.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

from ..clock import Clock, SystemClock

_SYSTEM = SystemClock()
_current: ContextVar[Clock | None] = ContextVar("flowdesk_clock", default=None)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        moment = (_current.get() or _SYSTEM).now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone(UTC).replace(tzinfo=None)


_spiff_timer.datetime = _ClockedDatetime


def now(default: Clock | None = None) -> datetime:
    """The time of the step being run (``default``, or the wall clock, outside a step)."""
    return (_current.get() or default or _SYSTEM).now()


@contextmanager
def using(clock: Clock) -> Iterator[None]:
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)
