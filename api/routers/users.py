"""Users and their groups (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from flowdesk.engine.identity import authorization
from starlette.concurrency import run_in_threadpool

from ..bodies import Body, canonical, idempotent, json_body, json_request
from ..schemas import CreateUser, SetGroups, UserOut, UserPage
from ._common import ActorDep, Cursor, EngineDep, Limit, ok, problems, router

routes = router("users")


@routes.post("/users", status_code=201, response_model=UserOut, responses=problems(400, 401, 403, 409, 422),
             openapi_extra=json_request(CreateUser, idempotent=True), summary="Create a user")
async def create_user(request: Request, engine: EngineDep, actor: ActorDep,
                      body: Body[CreateUser] = Depends(json_body(CreateUser))):
    authorization.require_admin(actor, "manage users")
    user = body.valid()
    return await idempotent(request, actor, canonical(body.raw), lambda: ok(
        engine.identity.create_user(user.username, user.password, user.groups, by=actor), 201,
        {"Location": f"/api/v1/users/{user.username}"}))


@routes.get("/users", response_model=UserPage, responses=problems(400, 401, 403, 422), summary="List users")
def list_users(engine: EngineDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None,
               search: Annotated[str | None, Query(max_length=150, description=(
                   "only users whose username, display name, e-mail or a group contains this (any case)"))] = None):
    return ok(engine.identity.list_users(by=actor, limit=limit, cursor=cursor, search=search))


@routes.get("/users/{username}", response_model=UserOut, responses=problems(401, 403, 404),
            summary="A user and their groups (admins; or the user themselves)")
def get_user(username: str, engine: EngineDep, actor: ActorDep):
    return ok(engine.identity.get_user(username, by=actor))


@routes.put("/users/{username}/groups", response_model=UserOut, responses=problems(400, 401, 403, 404, 422),
            openapi_extra=json_request(SetGroups), summary="Replace a user's groups")
async def set_groups(username: str, engine: EngineDep, actor: ActorDep,
                     body: Body[SetGroups] = Depends(json_body(SetGroups))):
    if body.errors:
        await run_in_threadpool(lambda: engine.identity.set_user_groups(username, [], by=actor, dry_run=True))
    return ok(await run_in_threadpool(lambda: engine.identity.set_user_groups(username, body.valid().groups, by=actor)))
