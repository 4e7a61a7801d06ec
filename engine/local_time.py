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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from .persistence.collaboration import UserPreferences

_acting_zone: ContextVar[tzinfo | None] = ContextVar("flowdesk_acting_zone", default=None)


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


def local_date(moment: datetime, where: tzinfo) -> date:
    """The calendar date of a (UTC) moment in a zone."""
    return moment.astimezone(where).date()


@contextmanager
def acting_in(where: tzinfo) -> Iterator[None]:
    """Run a user's action (and the step it causes) with their zone as the local one."""
    token = _acting_zone.set(where)
    try:
        yield
    finally:
        _acting_zone.reset(token)


def acting_zone(default: str) -> tzinfo:
    """The zone of the user whose action is running, else the configured one."""
    return _acting_zone.get() or zone(default)


def today_where_acting(now: datetime) -> str:
    """The ISO date of ``now`` where the acting user is (UTC when nobody is set as acting:
    the services set the acting zone before they check a user's form)."""
    return local_date(now, _acting_zone.get() or ZoneInfo("UTC")).isoformat()


def local_today_function(now: Callable[[], datetime], default_zone: str) -> Callable[[], str]:
    """``local_today()`` for scripts: the ISO date of the step's moment in the acting user's
    zone (named so, not ``today``, because models keep a ``today`` variable of their own)."""

    def local_today() -> str:
        return local_date(now(), acting_zone(default_zone)).isoformat()

    return local_today
