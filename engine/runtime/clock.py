"""The clock of the step being run, for code that cannot be handed one.

SpiffWorkflow reads ``datetime.now()`` inside its timer event definitions, and models call
``deadline()`` and FEEL's ``now()``; none of them can be passed the engine's clock. A step
runs inside :func:`using`, and :func:`now` answers with that step's clock (falling back to
the wall clock outside a step). The ``timer-clock`` override (overrides.py) points
SpiffWorkflow's timer module at :func:`now`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from ..clock import Clock, SystemClock
from ..expressions.feel import clock as feel_clock

_SYSTEM = SystemClock()
_current: ContextVar[Clock | None] = ContextVar("flowdesk_clock", default=None)


def now(default: Clock | None = None) -> datetime:
    """The time of the step being run (``default``, or the wall clock, outside a step)."""
    return (_current.get() or default or _SYSTEM).now()


@contextmanager
def using(clock: Clock) -> Iterator[None]:
    """Run a step on ``clock``: SpiffWorkflow's timers, ``deadline()`` and FEEL's ``now()``
    and ``today()`` all read it."""
    token = _current.set(clock)
    feel_token = feel_clock.set_clock(clock)
    try:
        yield
    finally:
        feel_clock.reset_clock(feel_token)
        _current.reset(token)
