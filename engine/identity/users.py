"""Users, groups and the actor an operation runs as.

Passwords are hashed with Argon2 (pwdlib); group membership is plain rows, because lanes
and candidate groups name groups and the inbox query joins on them.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as _pg_insert
from sqlalchemy.dialects.sqlite import insert as _sqlite_insert
from sqlalchemy.orm import Session

from ..clock import Clock
from ..errors import BadRequest, Conflict, NotFound, TooManyAttempts
from ..persistence.models import LoginAttempt, Membership, Setting, User

ROLE_GROUPS = frozenset({"admin", "designer", "auditor", "integration"})
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,150}$")
_HASHER = PasswordHash.recommended()
# Verifying against this keeps an unknown username as slow as a wrong password.
_DUMMY_HASH = _HASHER.hash("flowdesk-timing-equaliser")


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user with their groups, or the engine itself (``system``)."""

    username: str
    groups: frozenset[str] = frozenset()

    @property
    def roles(self) -> frozenset[str]:
        return self.groups & ROLE_GROUPS

    def in_any(self, groups) -> bool:
        return bool(self.groups.intersection(groups))


SYSTEM = Actor("system")


def _check_name(kind: str, value: str) -> str:
    if not _NAME.match(value or ""):
        raise BadRequest(f"{kind} {value!r} is not valid: use 1-150 letters, digits and . _ @ -")
    return value


class IdentityService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def create_user(self, session: Session, username: str, password: str, groups: list[str]) -> User:
        _check_name("username", username)
        if username in RESERVED_USERNAMES:
            raise BadRequest(f"the username {username!r} is reserved")
        if len(password) < 8:
            raise BadRequest("the password must have at least 8 characters")
        if session.get(User, username) is not None:
            raise Conflict(f"user '{username}' already exists")
        user = User(username=username, password_hash=_HASHER.hash(password), active=True,
                    created_at=self.clock.now())
        session.add(user)
        session.flush()
        self.set_groups(session, username, groups)
        return user

    def set_groups(self, session: Session, username: str, groups: list[str]) -> list[str]:
        if session.get(User, username) is None:
            raise NotFound(f"user '{username}' does not exist")
        clean = sorted({_check_name("group", g.strip()) for g in groups if g.strip()})
        session.execute(delete(Membership).where(Membership.username == username))
        session.add_all(Membership(username=username, group_name=g) for g in clean)
        return clean

    def groups_of(self, session: Session, username: str) -> frozenset[str]:
        rows = session.scalars(select(Membership.group_name).where(Membership.username == username))
        return frozenset(rows)

    def actor(self, session: Session, username: str) -> Actor:
        user = session.get(User, username)
        if user is None or not user.active:
            raise NotFound(f"user '{username}' does not exist")
        return Actor(username, self.groups_of(session, username))

    def authenticate(self, session: Session, username: str, password: str) -> Actor | None:
        user = session.get(User, username)
        if user is None or not user.active:
            _HASHER.verify(password, _DUMMY_HASH)
            return None
        if not _HASHER.verify(password, user.password_hash):
            return None
        return Actor(username, self.groups_of(session, username))

    def list_users(self, session: Session) -> list[tuple[User, list[str]]]:
        users = session.scalars(select(User).order_by(User.username)).all()
        members: dict[str, list[str]] = {}
        for m in session.scalars(select(Membership).order_by(Membership.group_name)):
            members.setdefault(m.username, []).append(m.group_name)
        return [(u, members.get(u.username, [])) for u in users]


# -- login throttling, password checks and the token signing key (HTTP API) ------------------------
RESERVED_USERNAMES = frozenset({"system", "anonymous"})
SIGNING_KEY_SETTING = "token_signing_key"


def _utc(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _insert_ignore(session: Session, model, row: dict) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(_pg_insert(model).values(row).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(_sqlite_insert(model).values(row).on_conflict_do_nothing())
    elif session.get(model, next(iter(row.values()))) is None:
        session.add(model(**row))
        session.flush()


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
        locked_until = _utc(row.locked_until) if row is not None else None
        if locked_until is not None and locked_until > now:
            seconds = max(1, int((locked_until - now).total_seconds()))
            raise TooManyAttempts(f"too many failed logins for '{username[:150]}'; try again in {seconds} seconds",
                                  retry_after=seconds)

    def failed(self, session: Session, username: str) -> bool:
        """Count a failure; True when it locked the username."""
        name, now = username[:150], self.clock.now()
        _insert_ignore(session, LoginAttempt, {"username": name, "failures": 0, "last_failure_at": now,
                                               "locked_until": None})
        row = session.scalars(select(LoginAttempt).where(LoginAttempt.username == name)
                              .with_for_update().execution_options(populate_existing=True)).one()
        recent = row.failures if _utc(row.last_failure_at) > now - self.window else 0
        failures = recent + 1
        locked = failures >= self.max_failures
        session.execute(update(LoginAttempt).where(LoginAttempt.username == name).values(
            failures=0 if locked else failures, last_failure_at=now,
            locked_until=now + self.lock if locked else None,
        ))
        return locked

    def succeeded(self, session: Session, username: str) -> None:
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == username[:150]))


def signing_secret(session: Session) -> str:
    """The installation's token signing key, generated on first use and kept in ``settings``
    (several server processes starting at once agree on the first one written)."""
    _insert_ignore(session, Setting, {"key": SIGNING_KEY_SETTING, "value": secrets.token_urlsafe(48)})
    return session.get(Setting, SIGNING_KEY_SETTING).value


def users_page(session: Session, after: str | None, limit: int) -> list[tuple[User, list[str]]]:
    """Users in name order, starting after ``after``, with their groups."""
    stmt = select(User).order_by(User.username).limit(limit)
    if after is not None:
        stmt = stmt.where(User.username > after)
    users = list(session.scalars(stmt))
    members: dict[str, list[str]] = {}
    if users:
        rows = session.scalars(select(Membership).where(Membership.username.in_([u.username for u in users]))
                               .order_by(Membership.group_name))
        for m in rows:
            members.setdefault(m.username, []).append(m.group_name)
    return [(u, members.get(u.username, [])) for u in users]


class ActorCache:
    """The actors a server process authenticated in the last few seconds.

    Every request names its user in a bearer token; reading the user and their groups
    again for each one was a transaction of its own, a sixth of a task completion's
    server time. An entry lives ``seconds`` (monotonic time), and every change of users
    or groups made through this process empties the cache, so only changes made by
    another process (a second server, the CLI) take up to ``seconds`` to apply."""

    def __init__(self, seconds: float, now: Callable[[], float] = time.monotonic, size: int = 10_000) -> None:
        self.seconds = seconds
        self._now = now
        self._size = size
        self._entries: dict[str, tuple[float, Actor]] = {}
        # Bumped by every clear(): an actor read before a change is not cached after it.
        self.generation = 0

    def get(self, username: str) -> Actor | None:
        entry = self._entries.get(username)
        if entry is None:
            return None
        expires, actor = entry
        if self._now() >= expires:
            self._entries.pop(username, None)
            return None
        return actor

    def put(self, actor: Actor, generation: int) -> None:
        """Cache ``actor``, read when :attr:`generation` was ``generation``."""
        if self.seconds <= 0 or generation != self.generation:
            return
        if len(self._entries) >= self._size:
            self._entries.clear()
        self._entries[actor.username] = (self._now() + self.seconds, actor)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
