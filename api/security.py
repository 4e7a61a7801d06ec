"""Bearer tokens and the acting user.

Tokens are HS256 JWTs (PyJWT) naming the user (``sub``), signed with
``Settings.secret_key`` or the key the engine keeps in its database, expiring after
``Settings.token_ttl_seconds``. Expiry is checked against the engine's clock, like every
other time in Flowdesk. Groups are not in the token: they are read from the database and
kept for ``Settings.auth_cache_seconds`` (5 s) per server process, so a changed membership
or a deactivated user applies at once through this process and within seconds through
another, not only when the token expires (see ``engine.identity.ActorCache``).

Authentication happens before FastAPI looks at the body or the parameters (see
:class:`FlowdeskRoute`), so a request without a valid token gets 401 whatever else is
wrong with it: the contract's precedence starts with 401.
"""

from __future__ import annotations

import uuid
from typing import Any

import jwt
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer
from flowdesk.engine import values
from flowdesk.engine.errors import Unauthorized
from flowdesk.engine.identity.users import Actor
from flowdesk.engine.process_engine import ProcessEngine
from starlette.concurrency import run_in_threadpool

ALGORITHM = "HS256"
ISSUER = "flowdesk"
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret

bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False,
                              description="A bearer token from POST /api/v1/auth/token.")


def issue_token(engine: ProcessEngine, actor: Actor) -> dict[str, Any]:
    now = int(engine.clock.now().timestamp())
    ttl = engine.settings.token_ttl_seconds
    claims = {"sub": actor.username, "iss": ISSUER, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex}
    token = jwt.encode(claims, engine.token_secret(), algorithm=ALGORITHM)
    return {"access_token": token, "token_type": "bearer", "expires_in": ttl}


def verify_token(engine: ProcessEngine, token: str) -> str:
    """The username a token names; Unauthorized unless it is ours, intact and unexpired."""
    try:
        claims = jwt.decode(token, engine.token_secret(), algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["sub", "exp", "iat"], "verify_exp": False, "verify_iat": False})
    except jwt.PyJWTError:
        raise Unauthorized("the bearer token is not valid") from None
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires <= engine.clock.now().timestamp():
        raise Unauthorized("the bearer token has expired; get a new one from " + TOKEN_URL)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("the bearer token names no user")
    return subject


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(request: Request) -> Actor:
    """The acting user of a request, stored on ``request.state.actor``."""
    actor = getattr(request.state, "actor", None)
    if actor is not None:
        return actor
    token = _bearer_token(request)
    if token is None:
        raise Unauthorized("this endpoint needs 'Authorization: Bearer <token>' (get one from "
                           f"{TOKEN_URL})")
    engine: ProcessEngine = request.app.state.engine
    username = verify_token(engine, token)
    actor = await run_in_threadpool(engine.authenticated, username)
    request.state.actor = actor
    return actor


async def current_actor(request: Request, _token: str | None = Depends(bearer)) -> Actor:
    """Dependency: the authenticated user (and the OpenAPI security requirement)."""
    return await authenticate(request)


class ExactJSONRequest(Request):
    """A request whose JSON numbers with a fraction are read as exact ``Decimal``s."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = values.loads(await self.body())
        return self._json


def _needs_actor(dependant) -> bool:
    return any(d.call is current_actor or _needs_actor(d) for d in dependant.dependencies)


class FlowdeskRoute(APIRoute):
    """Reads JSON exactly, and authenticates before anything else is looked at."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        needs_actor = _needs_actor(self.dependant)

        async def route_handler(request: Request):
            request = ExactJSONRequest(request.scope, request.receive)
            if needs_actor:
                await authenticate(request)
            return await handler(request)

        return route_handler
