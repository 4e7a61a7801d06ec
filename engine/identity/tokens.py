"""Bearer tokens: signed, expiring JWTs naming a user, for the API and the web session alike.

Tokens are HS256 JWTs (PyJWT) naming the user (``sub``), signed with
``Settings.secret_key`` or the key file (:mod:`.signing_key`), expiring after
``Settings.token_ttl_seconds``. Expiry is checked against the engine's clock, like every
other time in Flowdesk. Groups are not in the token: they are read from the database
(see :class:`~.actors.ActorCache`), so a changed membership applies before the token expires.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypedDict

import jwt
from sqlalchemy.orm import Session

from ..clock import Clock
from ..errors import Unauthorized
from .actors import Actor
from .signing_key import resolve_signing_key

ALGORITHM = "HS256"
ISSUER = "flowdesk"
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret


class IssuedToken(TypedDict):
    access_token: str
    token_type: str
    expires_in: int


class Tokens:
    """Issues and checks tokens with one key and one expiry rule."""

    def __init__(self, clock: Clock, ttl_seconds: int, configured_secret: str | None,
                 transaction: Callable[[], AbstractContextManager[Session]], key_file: Path | None = None) -> None:
        self.clock = clock
        self.ttl_seconds = ttl_seconds
        self._configured = configured_secret or ""
        self._secret: str | None = None
        self._transaction = transaction
        self._key_file = key_file

    def secret(self) -> str:
        """``FLOWDESK_SECRET_KEY``, or the key file's (generated on first use)."""
        if self._secret is None:
            self._secret = resolve_signing_key(self._configured, self._key_file, self._transaction)
        return self._secret

    def issue(self, actor: Actor, ttl_seconds: int | None = None, session_id: str | None = None) -> IssuedToken:
        """A token for ``actor``; a web session's tokens also carry the session's id
        (``sid``), the same in every renewal, which CSRF tokens and logout refer to."""
        ttl = ttl_seconds or self.ttl_seconds
        moment = self.clock.now().timestamp()
        now = int(moment)
        # iat to the microsecond: a password change ends the tokens issued before it, and a
        # session opened in the same second after it must not count as one of them
        claims = {"sub": actor.username, "iss": ISSUER, "iat": round(moment, 6), "exp": now + ttl,
                  "jti": uuid.uuid4().hex}
        if session_id:
            claims["sid"] = session_id
        token = jwt.encode(claims, self.secret(), algorithm=ALGORITHM)
        return {"access_token": token, "token_type": "bearer", "expires_in": ttl}

    def verify(self, token: str) -> str:
        """The username a token names; Unauthorized unless it is ours, intact and unexpired."""
        return self.claims(token)["sub"]

    def claims(self, token: str) -> dict:
        """A token's checked claims; Unauthorized unless it is ours, intact and unexpired."""
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
        return claims
