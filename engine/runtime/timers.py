"""When a timer start event fires: the first moment, how often and at what period, from
the value its expression evaluated to (ISO 8601 as SpiffWorkflow reads it, or cron)."""

from __future__ import annotations

from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import clock as spiff_clock
from . import overrides
from .cron import is_cron, next_fire


def timer_schedule(kind: str, value: str, now: datetime) -> tuple[datetime, int, float]:
    """When a timer start event first fires, how often (-1: for ever) and at what period
    (seconds), from the value its expression evaluated to. Uses SpiffWorkflow's own ISO 8601
    parsing so that start timers mean what the same text means on any other timer."""
    overrides.install()
    if kind == "cycle" and is_cron(value):
        first = next_fire(value, now)
        return first, -1, (next_fire(value, first) - first).total_seconds()
    with spiff_clock.using(_FixedClock(now)):
        if kind == "date":
            return TimerEventDefinition.get_datetime(value), 1, 0.0
        if kind == "duration":
            parsed = TimerEventDefinition.parse_iso_duration(value)
            return now + TimerEventDefinition.get_timedelta_from_start(parsed, now), 1, 0.0
        cycles, start, period = TimerEventDefinition.parse_iso_recurring_interval(value)
        return start.astimezone(UTC), cycles, period.total_seconds()


class _FixedClock:
    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def now(self) -> datetime:
        return self._moment
