"""Users, groups and the actor an operation runs as.

Passwords are hashed with Argon2 (pwdlib); group membership is plain rows, because lanes
and candidate groups name groups and the inbox query joins on them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pwdlib import PasswordHash
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .clock import Clock
from .errors import BadRequest, Conflict, NotFound
from .persistence.models import Membership, User

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
