"""The identity service: logging in, tokens, users and groups, and refusals on record.

Camunda's IdentityService in Flowdesk's terms. Users and groups are managed by admins;
every change is audited, and the actor cache of this process is emptied after the
change commits, so a changed membership applies at once here and within
``FLOWDESK_AUTH_CACHE_SECONDS`` in other processes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from ..context import EngineContext
from ..errors import FlowdeskError, NotFound, TooManyAttempts, Unauthorized
from ..history.audit import EventRecord
from ..pagination import Keyset, Page
from ..persistence.models import Membership, User
from . import authorization
from .actors import SYSTEM, Actor
from .group_names import GroupNames
from .lockout import LoginLockout
from .passwords import password_hash_of, verify_password
from .refusals import MAX_PATH, AnonymousRefusals
from .revocation import RevocationList
from .signing_key import default_key_file
from .tokens import TOKEN_URL, IssuedToken, Tokens
from .views import MeView, UserView, me_view, user_view

_BY_NAME = Keyset((User.username,), (False,), (str,))


class IdentityService:
    def __init__(self, context: EngineContext) -> None:
        self._ctx = context
        self._users = context.users
        self._actors = context.actors
        self.anonymous_refusals = AnonymousRefusals()
        self._lockout = LoginLockout(context.clock, context.settings.login_max_failures,
                                     context.settings.login_address_max_failures)
        settings = context.settings
        self._tokens = Tokens(context.clock, settings.token_ttl_seconds, settings.secret_key, context.transaction,
                              settings.secret_key_file or default_key_file(settings.database_url))
        self._revoked = RevocationList(context.clock, settings.auth_cache_seconds, context.transaction)
        # Groups as people read them ("部门经理" for department_managers), for every page that shows one.
        self.group_names = GroupNames.load(settings.group_names)

    # -- logging in and tokens ---------------------------------------------------------------------
    def login(self, username: str, password: str, address: str | None = None) -> Actor:
        """A user's password checked, with the lockout counted first (Unauthorized,
        TooManyAttempts): see :mod:`.lockout`. ``address`` is the client's address.

        The slow hash is verified outside any transaction, so a login never holds the
        database's write lock while Argon2 runs."""
        name = username[:150]
        try:
            with self._ctx.transaction() as session:
                slot = self._lockout.take(session, username, address)
                stored = password_hash_of(session, username)
        except TooManyAttempts as locked:
            self._deny_login(locked, {"username": name, "reason": "locked"}, address)
            raise
        if verify_password(password, stored):
            with self._ctx.transaction() as session:
                self._lockout.succeeded(session, slot)
                return Actor(username, self._users.groups_of(session, username))
        refusal = Unauthorized("wrong username or password")
        self._deny_login(refusal, {"username": name, "reason": "invalid-credentials", "locked": slot.locks},
                         address=address)
        raise refusal

    def _deny_login(self, refusal: FlowdeskError, context: Mapping[str, Any], address: str | None = None) -> None:
        if isinstance(refusal, TooManyAttempts):  # unbounded in number: sampled like other anonymous refusals
            self.record_access_denied("anonymous", refusal, context, address)
            return
        with self._ctx.transaction() as session:
            self._deny(session, "anonymous", refusal, context)

    def issue_token(self, actor: Actor) -> IssuedToken:
        return self._tokens.issue(actor)

    def verify_token(self, token: str) -> str:
        """The username a bearer token (or the web session's cookie) names, unless it was
        revoked by logging out."""
        return self.token_claims(token)["sub"]

    def token_claims(self, token: str) -> dict[str, Any]:
        """A token's checked claims: ours, intact, unexpired and not revoked (its own id or,
        for a web session, the session's)."""
        claims = self._tokens.claims(token)
        for key in ("jti", "sid"):
            value = claims.get(key)
            if isinstance(value, str) and value and self._revoked.is_revoked(value):
                raise Unauthorized("the bearer token was revoked (logged out); get a new one from " + TOKEN_URL)
        ids = tuple(v for v in (claims.get("jti"), claims.get("sid")) if isinstance(v, str) and v)
        issued = claims.get("iat")
        if isinstance(issued, int | float) and self._revoked.is_cut_off(claims["sub"], issued, ids):
            raise Unauthorized("the session ended when the password was changed; get a new token from " + TOKEN_URL)
        return claims

    def end_sessions(self, session: Session, username: str, current_token: str | None = None) -> None:
        """End ``username``'s tokens and web sessions issued until now, except the one
        ``current_token`` belongs to (a password change keeps the session that made it)."""
        kept = None
        if current_token:
            try:
                claims = self._tokens.claims(current_token)
            except Unauthorized:
                claims = {}
            if claims.get("sub") == username:
                kept = next((v for v in (claims.get("sid"), claims.get("jti")) if isinstance(v, str) and v
                             and len(v) <= 64), None)
        self._revoked.cut_off(session, username, kept)

    # -- web sessions: sliding expiry ------------------------------------------------------------
    def start_session(self, actor: Actor) -> IssuedToken:
        """The first token of a web session, valid for ``FLOWDESK_SESSION_IDLE_MINUTES``."""
        return self._tokens.issue(actor, self._session_seconds(), session_id=uuid.uuid4().hex)

    def renew_session(self, token: str) -> IssuedToken | None:
        """A fresh token of the same session when ``token`` (valid) is past half its life,
        else None: a session lives while its user works and ends after the idle time.
        Renewing only past half-life keeps most requests from setting a cookie."""
        claims = self.token_claims(token)
        session_id = claims.get("sid")
        if not isinstance(session_id, str) or not session_id:
            return None  # an API token: its lifetime is fixed
        remaining = claims["exp"] - self._ctx.clock.now().timestamp()
        if remaining > self._session_seconds() / 2:
            return None
        return self._tokens.issue(self.authenticated(claims["sub"]), self._session_seconds(), session_id)

    def _session_seconds(self) -> int:
        return max(1, self._ctx.settings.session_idle_minutes) * 60

    def logout(self, token: str) -> None:
        """Revoke a token before it expires (every request checks the revocation list); for a
        web session, the session itself, so no earlier token of it stays usable."""
        claims = self.token_claims(token)
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > 64:
            raise Unauthorized("the bearer token cannot be revoked (it has no id)")
        expires = datetime.fromtimestamp(claims["exp"], UTC)
        session_id = claims.get("sid")
        with self._ctx.transaction() as session:
            self._revoked.revoke(session, jti, claims["sub"], expires)
            if isinstance(session_id, str) and 0 < len(session_id) <= 64:
                # the session's older tokens expire before this one, so its expiry covers them
                self._revoked.revoke(session, session_id, claims["sub"], expires)
            self._ctx.audit.append(session, [EventRecord("user.logged_out", claims["sub"][:150],
                                                         payload={"username": claims["sub"][:150]})])

    def token_secret(self) -> str:
        """The key tokens are signed with (the web app signs its CSRF tokens with it too)."""
        return self._tokens.secret()

    def authenticated(self, username: str) -> Actor:
        """The user a valid token names, with their groups as of now (Unauthorized when the
        user was removed or deactivated since)."""
        cached = self._actors.get(username)
        if cached is not None:
            return cached
        generation = self._actors.generation
        with self._ctx.transaction() as session:
            try:
                actor = self._users.actor(session, username)
            except NotFound:
                raise Unauthorized("the token's user no longer exists or is inactive") from None
        self._actors.put(actor, generation)
        return actor

    def actor(self, username: str) -> Actor:
        """An active user with their groups, or the engine itself for ``system`` (the CLI's
        ``--user``)."""
        if username == SYSTEM.username:
            return SYSTEM
        with self._ctx.transaction() as session:
            return self._users.actor(session, username)

    # -- refusals ----------------------------------------------------------------------------------
    def record_access_denied(self, actor: str, refusal: FlowdeskError, context: Mapping[str, Any],
                             address: str | None = None) -> None:
        """Audit a refusal (401/403) that the engine has not audited itself; anonymous ones
        are counted and sampled (see :mod:`.refusals`)."""
        if getattr(refusal, "audited", False):
            return
        if actor == "anonymous":
            stands_for = self.anonymous_refusals.count(address)
            if stands_for is None:
                return
            context = {**context, "path": str(context.get("path", ""))[:MAX_PATH], "address": address,
                       "refusals": stands_for}
        with self._ctx.transaction() as session:
            self._deny(session, actor, refusal, context)

    def _deny(self, session: Session, actor: str, refusal: FlowdeskError, context: Mapping[str, Any]) -> None:
        payload = {"reason": refusal.slug, "detail": refusal.detail, **context}
        self._ctx.audit.append(session, [EventRecord("access.denied", actor[:150], payload.pop("instance_id", None),
                                                     task_id=payload.pop("task_id", None), payload=payload)])
        refusal.audited = True

    # -- users and groups --------------------------------------------------------------------------
    @staticmethod
    def me(*, by: Actor) -> MeView:
        return me_view(by)

    def create_user(self, username: str, password: str, groups: Sequence[str], *, by: Actor) -> UserView:
        authorization.require_admin(by, "manage users")
        with self._ctx.transaction() as session:
            user = self._users.create(session, username, password, list(groups))
            self._ctx.audit.append(session, [EventRecord("user.created", by.username,
                                                         payload={"username": username, "groups": sorted(groups)})])
            view = user_view(user, sorted(set(groups)))
        self._actors.clear()
        return view

    def list_users(self, *, by: Actor, limit: int | None = None, cursor: str | None = None,
                   search: str | None = None) -> Page:
        """Users by name; ``search`` keeps those whose username, display name, e-mail or a
        group contains it (any case), so an admin finds a person by whatever they remember."""
        authorization.require_directory_reader(by)
        stmt = select(User)
        if search and search.strip():
            needle = search.strip()[:150].lower()
            stmt = stmt.where(or_(*(func.lower(column).contains(needle, autoescape=True)
                                    for column in (User.username, User.display_name, User.email)),
                                  exists().where(Membership.username == User.username,
                                                 func.lower(Membership.group_name).contains(needle, autoescape=True))))
        with self._ctx.transaction() as session:
            rows, next_cursor, limit = _BY_NAME.rows(session, stmt, limit, cursor)
            users = rows[:limit]
            groups = self._users.groups_by_user(session, [u.username for u in users])
            return Page([user_view(u, groups.get(u.username, [])) for u in users],
                        next_cursor(lambda u: (u.username,)))

    def get_user(self, username: str, *, by: Actor) -> UserView:
        """A user with their groups: admins, auditors and designers read anyone, everybody
        reads themselves."""
        if by.username != username:
            authorization.require_directory_reader(by)
        with self._ctx.transaction() as session:
            return user_view(self._users.get(session, username), self._users.groups_of(session, username))

    def set_user_groups(self, username: str, groups: Sequence[str], *, by: Actor, dry_run: bool = False) -> UserView:
        """Replace a user's groups. ``dry_run`` makes only the checks that come before the
        content (the API runs it when a body does not fit its schema, for the precedence)."""
        authorization.require_admin(by, "manage users")
        with self._ctx.transaction() as session:
            user = self._users.get(session, username)
            if dry_run:
                return user_view(user, self._users.groups_of(session, username))
            before = sorted(self._users.groups_of(session, username))
            clean = self._users.set_groups(session, username, list(groups))
            self._ctx.audit.append(session, [EventRecord("user.groups_changed", by.username,
                                                         payload={"username": username, "from": before, "to": clean})])
            view = user_view(user, clean)
        self._actors.clear()  # after the commit: a request reading the old groups meanwhile is not cached
        return view

