"""User accounts and group memberships.

Group membership is plain rows, because lanes and candidate groups name groups and the
inbox query joins on them.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..clock import Clock
from ..errors import BadRequest, Conflict, NotFound
from ..persistence.models import Membership, User
from .actors import RESERVED_USERNAMES, Actor
from .passwords import MIN_PASSWORD_LENGTH, hash_password

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,150}$")


def check_name(kind: str, value: str) -> str:
    if not _NAME.match(value or ""):
        raise BadRequest(f"{kind} {value!r} is not valid: use 1-150 letters, digits and . _ @ -")
    return value


class UserStore:
    """The ``users`` and ``memberships`` rows, in the caller's transaction."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def create(self, session: Session, username: str, password: str, groups: list[str]) -> User:
        check_name("username", username)
        if username in RESERVED_USERNAMES:
            raise BadRequest(f"the username {username!r} is reserved")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise BadRequest(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
        if session.get(User, username) is not None:
            raise Conflict(f"user '{username}' already exists")
        user = User(username=username, password_hash=hash_password(password), active=True,
                    created_at=self.clock.now())
        session.add(user)
        session.flush()
        self.set_groups(session, username, groups)
        return user

    @staticmethod
    def get(session: Session, username: str) -> User:
        user = session.get(User, username)
        if user is None:
            raise NotFound(f"user '{username}' does not exist")
        return user

    def set_groups(self, session: Session, username: str, groups: list[str]) -> list[str]:
        self.get(session, username)
        clean = sorted({check_name("group", g.strip()) for g in groups if g.strip()})
        session.execute(delete(Membership).where(Membership.username == username))
        session.add_all(Membership(username=username, group_name=g) for g in clean)
        return clean

    @staticmethod
    def groups_of(session: Session, username: str) -> frozenset[str]:
        return frozenset(session.scalars(select(Membership.group_name).where(Membership.username == username)))

    def actor(self, session: Session, username: str) -> Actor:
        """The active user ``username`` with their groups (NotFound otherwise)."""
        user = session.get(User, username)
        if user is None or not user.active:
            raise NotFound(f"user '{username}' does not exist")
        return Actor(username, self.groups_of(session, username))

    @staticmethod
    def groups_by_user(session: Session, usernames: list[str]) -> dict[str, list[str]]:
        """The groups of several users in one query, each list in name order."""
        members: dict[str, list[str]] = {}
        if usernames:
            rows = session.scalars(select(Membership).where(Membership.username.in_(usernames))
                                   .order_by(Membership.group_name))
            for m in rows:
                members.setdefault(m.username, []).append(m.group_name)
        return members
