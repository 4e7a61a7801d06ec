"""Account administration: deactivating and reactivating users, passwords, API keys.

Camunda's identity admin in Flowdesk's terms, beside :mod:`.service` (logging in, users
and groups). Every change is audited. A deactivated user cannot log in, their tokens and
API keys stop working (at once through this process, within ``auth_cache_seconds`` in
other server processes), and the tasks assigned to them go back to their candidate
groups, or to the user named to take them over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..context import EngineContext
from ..errors import BadRequest, Conflict, FieldError, InvalidData, NotFound, Unauthorized
from ..history.audit import EventRecord
from ..persistence.models import Task, User
from ..status import TaskStatus
from . import authorization
from .actors import Actor
from .apikeys import ApiKeyStore, key_view
from .passwords import MIN_PASSWORD_LENGTH, hash_password, password_hash_of, verify_password
from .views import user_view

MAX_PASSWORD_LENGTH = 1024
MAX_DISPLAY_NAME = 255
MAX_EMAIL = 320


# Ends a user's sessions issued so far, all but the one of a token (IdentityService.end_sessions).
EndSessions = Callable[[Session, str, str | None], None]


def _keep_sessions(session: Session, username: str, current_token: str | None) -> None:
    return None


class AccountService:
    def __init__(self, context: EngineContext, end_sessions: EndSessions = _keep_sessions) -> None:
        self._ctx = context
        self._end_sessions = end_sessions
        self._users = context.users
        self._actors = context.actors
        self._keys = ApiKeyStore()

    # -- profile and active flag -----------------------------------------------------------------
    def update_user(self, username: str, changes: dict[str, Any], *, by: Actor, dry_run: bool = False) -> dict:
        """Change a user's ``active`` flag, ``email`` or ``display_name`` (admins).

        Deactivating hands the user's open tasks back to their candidate groups, or to
        ``reassign_to`` when given; the answer lists the tasks that moved."""
        authorization.require_admin(by, "manage users")
        with self._ctx.transaction() as session:
            user = self._users.get(session, username)
            if dry_run:
                return {**user_view(user, self._users.groups_of(session, username)), "tasks_moved": []}
            moved = self._apply(session, user, changes, by)
            view = {**user_view(user, self._users.groups_of(session, username)), "tasks_moved": moved}
        self._actors.clear()  # after the commit: a deactivated user's tokens stop working here at once
        return view

    def deactivate(self, username: str, *, by: Actor, reassign_to: str | None = None) -> dict:
        return self.update_user(username, {"active": False, "reassign_to": reassign_to}, by=by)

    def reactivate(self, username: str, *, by: Actor) -> dict:
        return self.update_user(username, {"active": True}, by=by)

    def _apply(self, session: Session, user: User, changes: dict[str, Any], by: Actor) -> list[dict]:
        reassign_to = changes.get("reassign_to")
        active = changes.get("active")
        if reassign_to is not None and active is not False:
            raise InvalidData([FieldError("/reassign_to", "only a deactivation hands tasks over")])
        profile: dict[str, Any] = {}
        for name, limit in (("email", MAX_EMAIL), ("display_name", MAX_DISPLAY_NAME)):
            if name in changes and changes[name] != getattr(user, name):
                value = changes[name]
                if value is not None and (not isinstance(value, str) or len(value) > limit):
                    raise InvalidData([FieldError(f"/{name}", f"at most {limit} characters")])
                profile[name] = {"from": getattr(user, name), "to": value}
                setattr(user, name, value)
        moved: list[dict] = []
        if active is False and user.active:
            moved = self._deactivate(session, user, by, reassign_to)
        elif active is True and not user.active:
            user.active = True
            self._audit(session, "user.reactivated", by, {"username": user.username})
        if profile:
            self._audit(session, "user.updated", by, {"username": user.username, "changes": profile})
        return moved

    def _deactivate(self, session: Session, user: User, by: Actor, reassign_to: str | None) -> list[dict]:
        if user.username == by.username:
            raise Conflict("you cannot deactivate your own account; ask another admin")
        if reassign_to is not None:
            if reassign_to == user.username:
                raise InvalidData([FieldError("/reassign_to", "name someone other than the user deactivated")])
            target = session.get(User, reassign_to)
            if target is None or not target.active:
                raise InvalidData([FieldError("/reassign_to", f"'{reassign_to}' is not an active user")])
        user.active = False
        session.flush()
        moved = self._release_tasks(session, user.username, reassign_to, by)
        self._audit(session, "user.deactivated", by, {"username": user.username, "reassigned_to": reassign_to,
                                                      "tasks": [t["id"] for t in moved]})
        return moved

    def _release_tasks(self, session: Session, username: str, reassign_to: str | None, by: Actor) -> list[dict]:
        """The user's open tasks back to their groups (or to ``reassign_to``), each audited."""
        tasks = session.scalars(select(Task).where(Task.status == TaskStatus.OPEN, Task.assignee == username)
                                .order_by(Task.created_at, Task.id)).all()
        moved = []
        for task in tasks:
            session.execute(update(Task).where(Task.id == task.id, Task.assignee == username)
                            .values(assignee=reassign_to).execution_options(synchronize_session=False))
            type_ = "task.assigned" if reassign_to else "task.unclaimed"
            self._ctx.audit.append(session, [EventRecord(
                type_, by.username, task.instance_id, task.definition_key, task.definition_version,
                task.element_id, task.id, {"from": username, "to": reassign_to, "reason": "user deactivated"})])
            moved.append({"id": task.id, "name": task.name, "instance_id": task.instance_id,
                          "assignee": reassign_to, "candidate_groups": list(task.candidate_groups or [])})
        return moved

    # -- passwords -------------------------------------------------------------------------------
    def set_password(self, username: str, password: str, *, by: Actor, dry_run: bool = False) -> None:
        """An admin sets a user's password (a new account's, or a forgotten one); every session
        the user had ends (whoever knew the old password is out). ``dry_run`` makes only the
        checks that come before the content."""
        authorization.require_admin(by, "set other users' passwords")
        with self._ctx.transaction() as session:
            user = self._users.get(session, username)
            if dry_run:
                return
            _check_password(password, "/password")
            user.password_hash = hash_password(password)
            self._end_sessions(session, username, None)
            self._audit(session, "user.password_set", by, {"username": username})

    def change_password(self, current_password: str, password: str, *, by: Actor,
                        current_token: str | None = None) -> None:
        """A user changes their own password; the current one is required. Their other
        sessions end (API tokens and web sessions issued before): a password changed because
        it leaked must lock out whoever used it; the session ``current_token`` belongs to,
        the one making the change, stays."""
        if authorization.is_system(by):
            raise BadRequest("the engine itself has no password")
        _check_password(password, "/password")
        with self._ctx.transaction() as session:
            stored = password_hash_of(session, by.username)
        if not verify_password(current_password or "", stored):
            raise InvalidData([FieldError("/current_password", "this is not your current password")])
        with self._ctx.transaction() as session:
            user = self._users.get(session, by.username)
            user.password_hash = hash_password(password)
            self._end_sessions(session, by.username, current_token)
            self._audit(session, "user.password_changed", by, {"username": by.username})

    # -- API keys ----------------------------------------------------------------------------------
    def create_api_key(self, username: str, name: str, *, by: Actor) -> dict:
        """A new API key for an integration account: the answer holds the key, shown only now."""
        authorization.require_admin(by, "manage API keys")
        name = (name or "").strip()
        if not name or len(name) > 150:
            raise InvalidData([FieldError("/name", "name the key in 1-150 characters")])
        with self._ctx.transaction() as session:
            user = self._users.get(session, username)
            if authorization.INTEGRATION not in self._users.groups_of(session, username):
                raise Conflict(f"API keys are for integration accounts; '{username}' is not in the "
                               f"'{authorization.INTEGRATION}' group")
            if not user.active:
                raise Conflict(f"'{username}' is deactivated")
            row, key = self._keys.create(session, username, name, by.username, self._ctx.clock.now())
            self._audit(session, "api_key.created", by, {"username": username, "key_id": row.id, "name": name})
            return {**key_view(row), "key": key}

    def list_api_keys(self, username: str, *, by: Actor) -> list[dict]:
        authorization.require_admin(by, "manage API keys")
        with self._ctx.transaction() as session:
            self._users.get(session, username)
            return [key_view(row) for row in self._keys.of_user(session, username)]

    def revoke_api_key(self, username: str, key_id: str, *, by: Actor) -> dict:
        """Revoke a key: the next request that sends it gets 401, in every server process."""
        authorization.require_admin(by, "manage API keys")
        with self._ctx.transaction() as session:
            self._users.get(session, username)
            row = self._keys.revoke(session, username, key_id, self._ctx.clock.now())
            self._audit(session, "api_key.revoked", by, {"username": username, "key_id": row.id,
                                                         "name": row.name})
            return key_view(row)

    def authenticate_api_key(self, key: str) -> Actor:
        """The active user a live API key belongs to (Unauthorized otherwise)."""
        with self._ctx.transaction() as session:
            username = self._keys.username_for(session, key[:200], self._ctx.clock.now())
            if username is None:
                raise Unauthorized("the API key is not valid or was revoked")
            try:
                return self._users.actor(session, username)
            except NotFound:
                raise Unauthorized("the API key's user is deactivated") from None

    def _audit(self, session: Session, type_: str, by: Actor, payload: dict) -> None:
        self._ctx.audit.append(session, [EventRecord(type_, by.username, payload=payload)])


def _check_password(password: str, path: str) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidData([FieldError(path, f"a password has {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} "
                                            "characters")])
