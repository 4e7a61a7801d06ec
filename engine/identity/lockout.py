"""The login lockout: every attempt is counted *before* its password is checked.

A throttle that counts failures after the slow hash has run lets concurrent guesses
through: forty wrong passwords sent at once were all checked before the first failure
was written. Here an attempt first takes a slot with one conditional ``UPDATE ...
RETURNING`` on its counter row (the database's row lock orders competing transactions,
on SQLite by its write lock, on PostgreSQL by re-reading the row after the lock): of
any number of concurrent guesses at most ``limit`` get their password checked within
the window, the others are refused with 429 without a hash being computed.

Two counters take a slot per attempt: the username's (``max_failures``, default 5) and
the client address's (``address_max_failures``, default 100, so one address cannot try
many usernames either; 0 turns it off). A slot is a failure unless the attempt
succeeds: a success deletes the username's counter and gives the address its slot
back. The slot that reaches the limit locks the counter for ``lock``; nothing but a
success or the lock's end clears it, so a late failure never unlocks early.

Both counters live in ``login_attempts`` (the address's under a key no username can
have: names never contain a space), so every server process counts the same attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, literal, or_, select, update
from sqlalchemy.orm import Session

from ..clock import Clock
from ..errors import TooManyAttempts
from ..persistence.models import LoginAttempt, UtcDateTime
from ..persistence.upsert import insert_ignore
from ..timeutil import as_utc

KEY_LENGTH = 150
ADDRESS_PREFIX = "address "  # usernames never contain a space, so no account can collide


def username_key(username: str) -> str:
    return username[:KEY_LENGTH]


def address_key(address: str) -> str:
    return (ADDRESS_PREFIX + address)[:KEY_LENGTH]


@dataclass(frozen=True)
class Slot:
    """An attempt allowed to check its password: which counters it holds a slot of, and
    whether taking it locked the username (this was the last attempt allowed)."""

    username: str
    address: str | None
    locks: bool


class LoginLockout:
    def __init__(self, clock: Clock, max_failures: int = 5, address_max_failures: int = 100,
                 window: timedelta = timedelta(minutes=15), lock: timedelta = timedelta(minutes=15)) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.address_max_failures = address_max_failures
        self.window = window
        self.lock = lock

    # -- before the password is checked --------------------------------------------------------
    def take(self, session: Session, username: str, address: str | None = None) -> Slot:
        """Count an attempt for ``username`` (and the client ``address``) before its password
        is checked; TooManyAttempts when either is locked. Call it in a transaction of its
        own: a refusal rolls back whatever slot it took first."""
        now = self.clock.now()
        address_counted = None
        if address and self.address_max_failures > 0:
            address_counted = address_key(address)
            self._take(session, address_counted, self.address_max_failures, now,
                       "too many failed logins from this address; try again in {seconds} seconds")
        name = username_key(username)
        count = self._take(session, name, self.max_failures, now,
                           f"too many failed logins for '{name}'; try again in {{seconds}} seconds")
        return Slot(name, address_counted, count >= self.max_failures)

    def _take(self, session: Session, key: str, limit: int, now: datetime, message: str) -> int:
        insert_ignore(session, LoginAttempt, {"username": key, "failures": 0, "last_failure_at": now,
                                               "locked_until": None})
        row = LoginAttempt
        now_value = literal(now, UtcDateTime)
        unlocked = or_(row.locked_until.is_(None), row.locked_until <= now_value)
        # A count whose last attempt left the window, or whose lock has ended, starts again.
        stale = or_(row.last_failure_at <= literal(now - self.window, UtcDateTime),
                    and_(row.locked_until.is_not(None), row.locked_until <= now_value))
        count = case((stale, 1), else_=row.failures + 1)
        taken = session.execute(
            update(row).where(row.username == key, unlocked, or_(stale, row.failures < limit))
            .values(failures=count, last_failure_at=now_value,
                    locked_until=case((count >= limit, literal(now + self.lock, UtcDateTime)), else_=None))
            .returning(row.failures)
            .execution_options(synchronize_session=False)
        ).first()
        if taken is not None:
            return int(taken[0])
        locked_until = session.scalar(select(row.locked_until).where(row.username == key))
        seconds = max(1, int((as_utc(locked_until) - now).total_seconds())) if locked_until else 1
        raise TooManyAttempts(message.format(seconds=seconds), retry_after=seconds)

    # -- after the password is checked ---------------------------------------------------------
    def succeeded(self, session: Session, slot: Slot) -> None:
        """The password was right: the username starts afresh, the address gets its slot back."""
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == slot.username))
        if slot.address is not None:
            row = LoginAttempt
            left = row.failures - 1
            session.execute(
                update(row).where(row.username == slot.address, row.failures > 0)
                .values(failures=left,
                        locked_until=case((left < self.address_max_failures, None), else_=row.locked_until))
                .execution_options(synchronize_session=False)
            )
