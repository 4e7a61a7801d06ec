"""Bearer tokens: signed, expiring JWTs naming a user, for the API and the web session alike.

Tokens are HS256 JWTs (PyJWT) naming the user (``sub``), signed with
``Settings.secret_key`` or the key the engine keeps in its database, expiring after
``Settings.token_ttl_seconds``. Expiry is checked against the engine's clock, like every
other time in Flowdesk. Groups are not in the token: they are read from the database
(see :class:`~.actors.ActorCache`), so a changed membership applies before the token expires.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypedDict

import jwt
from sqlalchemy.orm import Session

from ..clock import Clock
from ..errors import Unauthorized
from ..persistence.models import Setting
from ..persistence.upsert import insert_ignore
from .actors import Actor

ALGORITHM = "HS256"
ISSUER = "flowdesk"
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
SIGNING_KEY_SETTING = "token_signing_key"


class IssuedToken(TypedDict):
    access_token: str
    token_type: str
    expires_in: int


def signing_secret(session: Session) -> str:
    """The installation's token signing key, generated on first use and kept in ``settings``
    (several server processes starting at once agree on the first one written)."""
    insert_ignore(session, Setting, {"key": SIGNING_KEY_SETTING, "value": secrets.token_urlsafe(48)})
    return session.get(Setting, SIGNING_KEY_SETTING).value


class Tokens:
    """Issues and checks tokens with one key and one expiry rule."""

    def __init__(self, clock: Clock, ttl_seconds: int, configured_secret: str | None,
                 transaction: Callable[[], AbstractContextManager[Session]]) -> None:
        self.clock = clock
        self.ttl_seconds = ttl_seconds
        self._secret = configured_secret or None
        self._transaction = transaction

    def secret(self) -> str:
        """``FLOWDESK_SECRET_KEY``, or the key generated once and kept in the database."""
        if self._secret is None:
            with self._transaction() as session:
                self._secret = signing_secret(session)
        return self._secret

    def issue(self, actor: Actor) -> IssuedToken:
        now = int(self.clock.now().timestamp())
        claims = {"sub": actor.username, "iss": ISSUER, "iat": now, "exp": now + self.ttl_seconds,
                  "jti": uuid.uuid4().hex}
        token = jwt.encode(claims, self.secret(), algorithm=ALGORITHM)
        return {"access_token": token, "token_type": "bearer", "expires_in": self.ttl_seconds}

    def verify(self, token: str) -> str:
        """The username a token names; Unauthorized unless it is ours, intact and unexpired."""
        try:
            claims = jwt.decode(token, self.secret(), algorithms=[ALGORITHM], issuer=ISSUER,
                                options={"require": ["sub", "exp", "iat"], "verify_exp": False,
                                         "verify_iat": False})
        except jwt.PyJWTError:
            raise Unauthorized("the bearer token is not valid") from None
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or expires <= self.clock.now().timestamp():
            raise Unauthorized("the bearer token has expired; get a new one from " + TOKEN_URL)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise Unauthorized("the bearer token names no user")
        return subject
