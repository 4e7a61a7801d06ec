"""Logging in (OAuth2 password form) and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from starlette.concurrency import run_in_threadpool

from ..schemas import Me, Token
from ..security import bearer_token
from ._common import ActorDep, EngineDep, ok, problems, router

routes = router("authentication")


@routes.post("/auth/token", response_model=Token, responses=problems(401, 422, 429),
             summary="Get a bearer token (OAuth2 password form)")
async def token(
    request: Request,
    engine: EngineDep,
    username: Annotated[str, Form(min_length=1, max_length=150, pattern="^[^\\x00]+$")],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
    scope: Annotated[str, Form(max_length=1000)] = "",
):
    """Repeated failures for one username, or from one client address, lock it for a
    while (429 with Retry-After)."""
    address = request.client.host if request.client else None
    actor = await run_in_threadpool(lambda: engine.identity.login(username, password, address))
    return ok(engine.identity.issue_token(actor), headers={"Cache-Control": "no-store"})


@routes.post("/auth/logout", status_code=204, responses=problems(401),
             summary="Revoke the bearer token the request carries")
async def logout(request: Request, engine: EngineDep, actor: ActorDep):
    """The token stops working at once on this server and within FLOWDESK_AUTH_CACHE_SECONDS
    on the others."""
    token = bearer_token(request)
    await run_in_threadpool(lambda: engine.identity.logout(token))
    return Response(status_code=204)


@routes.get("/me", response_model=Me, responses=problems(401), summary="The caller, their groups and roles")
def me(engine: EngineDep, actor: ActorDep):
    return ok(engine.identity.me(by=actor))
