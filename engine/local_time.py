"""The user's local day: which date "today" is for the person acting.

The engine keeps every moment in UTC; only the questions people ask in their own calendar
need a zone. "Is this receipt date in the future?" has a different answer at 07:56 in
Shanghai than in London, so form rules (``today`` in ``x-rules``) and the scripts of the
step a user's action runs (``local_today()``) read the date in the acting user's zone (their
preference), and in the configured zone (``FLOWDESK_TIME_ZONE``) when nobody in particular
acts (a timer, a worker's continuation, the engine itself).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from .clock import Clock
from .persistence.collaboration import UserPreferences

# A callable, resolved at most once and only when asked: most actions never need the zone,
# and a task completion should not read the user's preferences for nothing.
_acting_zone: ContextVar[Callable[[], tzinfo] | None] = ContextVar("flowdesk_acting_zone", default=None)


def zone(name: str | None, default: str = "UTC") -> tzinfo:
    """The zone ``name`` names, else ``default``'s (a zone a preference once named may
    have left the system's database since; a page must still render)."""
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                continue
    return ZoneInfo("UTC")


def zone_name_of(session: Session, username: str, default: str) -> str:
    """The zone a user chose (their preferences), else the configured ``default``."""
    row = session.get(UserPreferences, username)
    return row.time_zone if row is not None and row.time_zone else default


def user_zone(session: Session, username: str, default: str) -> tzinfo:
    return zone(zone_name_of(session, username, default), default)


def lazy_user_zone(session: Session, username: str, default: str) -> Callable[[], tzinfo]:
    """:func:`user_zone`, read on first use (for :func:`acting_in`)."""
    return cache(lambda: user_zone(session, username, default))


def local_date(moment: datetime, where: tzinfo) -> date:
    """The calendar date of a (UTC) moment in a zone."""
    return moment.astimezone(where).date()


@contextmanager
def acting_in(where: Callable[[], tzinfo]) -> Iterator[None]:
    """Run a user's action (and the step it causes) with their zone as the local one;
    ``where`` is asked only if something needs the local date."""
    token = _acting_zone.set(where)
    try:
        yield
    finally:
        _acting_zone.reset(token)


def acting_zone(default: str) -> tzinfo:
    """The zone of the user whose action is running, else the configured one."""
    where = _acting_zone.get()
    return where() if where is not None else zone(default)


def today_where_acting(clock: Clock) -> Callable[[], str]:
    """The ISO date of the clock's now where the acting user is, computed when first asked:
    the services set the acting zone before they check a user's form; when nobody is set as
    acting, the zone of a :class:`LocalClock` (``FLOWDESK_TIME_ZONE``), else UTC."""
    where = _acting_zone.get()
    default = getattr(clock, "default_zone", "UTC")
    now = clock.now()
    return cache(lambda: local_date(now, where() if where is not None else zone(default)).isoformat())


class LocalClock:
    """The engine's clock as steps see it: the same instants, and the zone "today" is in for
    the step being run (:func:`acting_zone`: the acting user's, else the configured one), so
    FEEL's ``today()`` in a script, a gateway or a decision agrees with ``local_today()``
    and with the forms, for a user's action and for a timer a worker runs alike."""

    def __init__(self, clock: Clock, default_zone: str) -> None:
        self.clock = clock
        self.default_zone = default_zone

    def now(self) -> datetime:
        return self.clock.now()

    def local_zone(self) -> tzinfo:
        return acting_zone(self.default_zone)


def local_today_function(now: Callable[[], datetime], default_zone: str) -> Callable[[], str]:
    """``local_today()`` for scripts: the ISO date of the step's moment in the acting user's
    zone (named so, not ``today``, because models keep a ``today`` variable of their own)."""

    def local_today() -> str:
        return local_date(now(), acting_zone(default_zone)).isoformat()

    return local_today
