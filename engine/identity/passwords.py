"""Password hashes and the throttle that locks a username after repeated failures.

Passwords are hashed with Argon2 (pwdlib). An unknown or deactivated user costs as much
time as a wrong password, so response times do not reveal which names exist.
"""

from __future__ import annotations

from datetime import timedelta

from pwdlib import PasswordHash
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..clock import Clock
from ..errors import TooManyAttempts
from ..persistence.models import LoginAttempt, User
from ..persistence.upsert import insert_ignore
from ..timeutil import as_utc

_HASHER = PasswordHash.recommended()
# Verifying against this keeps an unknown username as slow as a wrong password.
_DUMMY_HASH = _HASHER.hash("flowdesk-timing-equaliser")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _HASHER.hash(password)



def password_hash_of(session: Session, username: str) -> str | None:
    """The stored hash of an active user, or None (unknown or deactivated)."""
    user = session.get(User, username)
    return user.password_hash if user is not None and user.active else None


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; an unknown user costs as much time as a wrong password."""
    if password_hash is None:
        _HASHER.verify(password, _DUMMY_HASH)
        return False
    try:
        return _HASHER.verify(password, password_hash)
    except Exception:  # a corrupt stored hash refuses the login, it does not crash it
        return False


class LoginThrottle:
    """Locks logins for a username for a while after repeated failures.

    Failures are rows in ``login_attempts``, so every server process counts the same
    failures. ``max_failures`` failures within ``window`` lock the username for
    ``lock``; while locked, passwords are not even checked. A success clears the count.
    """

    def __init__(self, clock: Clock, max_failures: int = 5, window: timedelta = timedelta(minutes=15),
                 lock: timedelta = timedelta(minutes=15)) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.window = window
        self.lock = lock

    def check(self, session: Session, username: str) -> None:
        row = session.get(LoginAttempt, username[:150])
        now = self.clock.now()
        locked_until = as_utc(row.locked_until) if row is not None else None
        if locked_until is not None and locked_until > now:
            seconds = max(1, int((locked_until - now).total_seconds()))
            raise TooManyAttempts(f"too many failed logins for '{username[:150]}'; try again in {seconds} seconds",
                                  retry_after=seconds)

    def failed(self, session: Session, username: str) -> bool:
        """Count a failure; True when it locked the username."""
        name, now = username[:150], self.clock.now()
        insert_ignore(session, LoginAttempt, {"username": name, "failures": 0, "last_failure_at": now,
                                               "locked_until": None})
        row = session.scalars(select(LoginAttempt).where(LoginAttempt.username == name)
                              .with_for_update().execution_options(populate_existing=True)).one()
        recent = row.failures if as_utc(row.last_failure_at) > now - self.window else 0
        failures = recent + 1
        locked = failures >= self.max_failures
        session.execute(update(LoginAttempt).where(LoginAttempt.username == name).values(
            failures=0 if locked else failures, last_failure_at=now,
            locked_until=now + self.lock if locked else None,
        ))
        return locked

    def succeeded(self, session: Session, username: str) -> None:
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == username[:150]))
