"""The acting user of a request, from its bearer token.

Tokens are issued and checked by the engine's identity service (``engine/identity/tokens.py``),
for the API and the web session alike. Groups are not in the token: they are read from
the database and kept for ``Settings.auth_cache_seconds`` (5 s) per server process, so a
changed membership or a deactivated user applies at once through this process and within
seconds through another, not only when the token expires.

Authentication happens before FastAPI looks at the body or the parameters (see
:class:`FlowdeskRoute`), so a request without a valid token gets 401 whatever else is
wrong with it: the contract's precedence starts with 401.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer
from flowdesk.engine import values
from flowdesk.engine.errors import Unauthorized
from flowdesk.engine.identity import Actor
from flowdesk.engine.identity.apikeys import looks_like_api_key
from flowdesk.engine.identity.tokens import TOKEN_URL
from flowdesk.engine.process_engine import ProcessEngine
from starlette.concurrency import run_in_threadpool

from .malformed import check_json

bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False,
                              description="A bearer token from POST /api/v1/auth/token, or an integration "
                                          "account's API key.")


def bearer_token(request: Request) -> str | None:
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
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("this endpoint needs 'Authorization: Bearer <token>' (get one from "
                           f"{TOKEN_URL})")
    engine: ProcessEngine = request.app.state.engine
    if looks_like_api_key(token):  # an integration account's key: looked up every time, so revoking is instant
        actor = await run_in_threadpool(lambda: engine.accounts.authenticate_api_key(token))
    else:
        # The revocation list may be read from the database: off the event loop, like the actor.
        actor = await run_in_threadpool(lambda: engine.identity.authenticated(engine.identity.verify_token(token)))
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
            check_json(self._json)
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
