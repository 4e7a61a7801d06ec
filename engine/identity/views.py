"""Users as the API shows them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from ..persistence.models import User
from ..timeutil import iso
from .actors import ROLE_GROUPS, Actor


class UserView(TypedDict):
    username: str
    groups: list[str]
    roles: list[str]
    active: bool
    created_at: str | None
    email: str | None
    display_name: str | None


class MeView(TypedDict):
    username: str
    groups: list[str]
    roles: list[str]


def user_view(user: User, groups: Sequence[str]) -> UserView:
    groups = sorted(groups)
    return {"username": user.username, "groups": groups, "roles": sorted(set(groups) & ROLE_GROUPS),
            "active": user.active, "created_at": iso(user.created_at), "email": user.email,
            "display_name": user.display_name}


def me_view(actor: Actor) -> MeView:
    return {"username": actor.username, "groups": sorted(actor.groups), "roles": sorted(actor.roles)}
