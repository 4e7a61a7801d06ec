"""The clock FEEL's ``now()`` and ``today()`` read.

By default the system clock (UTC). The engine makes FEEL see *its* clock, which tests
move and which keeps a replayed step deterministic, by setting it around the step::

    from flowdesk.engine.expressions import feel

    with feel.using_clock(engine.clock):      # anything with .now() -> aware datetime
        run_the_step()

The setting is a context variable, so concurrent steps on other threads or tasks keep
their own clock.

``today()`` is a calendar date, so it needs a zone: a clock that has ``local_zone()`` (the
engine's step clock, engine/local_time.py: the acting user's zone, else
``FLOWDESK_TIME_ZONE``) says which; any other clock means UTC. ``now()`` is an instant and
stays UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


_CLOCK: ContextVar[Clock | None] = ContextVar("flowdesk_feel_clock", default=None)


def now() -> datetime:
    """The current instant from the active clock, as an aware datetime."""
    clock = _CLOCK.get()
    moment = datetime.now(UTC) if clock is None else clock.now()
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def today() -> date:
    """The current date where the step runs: in the clock's ``local_zone()`` when it has one."""
    moment = now()
    local_zone = getattr(_CLOCK.get(), "local_zone", None)
    return moment.astimezone(local_zone()).date() if callable(local_zone) else moment.date()


@contextmanager
def using_clock(clock: Clock | None) -> Iterator[None]:
    """Makes ``now()``/``today()`` read `clock` inside the ``with`` block (None: the system clock)."""
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)


def set_clock(clock: Clock | None) -> object:
    """Sets the clock without a ``with`` block; returns a token for `reset_clock`."""
    return _CLOCK.set(clock)


def reset_clock(token: object) -> None:
    _CLOCK.reset(token)  # type: ignore[arg-type]
