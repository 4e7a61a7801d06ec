"""Account administration: deactivation, passwords, API keys (see engine/identity/accounts.py)."""

from __future__ import annotations

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ..account_schemas import (
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyOut,
    ChangePassword,
    CreateApiKey,
    SetPassword,
    UpdatedUser,
    UpdateUser,
)
from ..bodies import Body, json_body, json_request
from ..security import bearer_token
from ._common import ActorDep, EngineDep, ok, problems, router

routes = router("users")


@routes.patch("/users/{username}", response_model=UpdatedUser, responses=problems(400, 401, 403, 404, 409, 422),
              openapi_extra=json_request(UpdateUser),
              summary="Deactivate or reactivate a user, or change their e-mail or display name (admins)")
async def update_user(username: str, engine: EngineDep, actor: ActorDep,
                      body: Body[UpdateUser] = Depends(json_body(UpdateUser))):
    """Deactivating: the user can no longer log in, their tokens and API keys stop working,
    and their open tasks go back to their candidate groups (or to `reassign_to`)."""
    if body.errors:  # 403 and 404 come before a body that does not fit
        await run_in_threadpool(lambda: engine.accounts.update_user(username, {}, by=actor, dry_run=True))
    changes = body.valid().model_dump(exclude_unset=True)
    return ok(await run_in_threadpool(lambda: engine.accounts.update_user(username, changes, by=actor)))


@routes.post("/users/{username}/password", status_code=204, responses=problems(401, 403, 404, 422),
             openapi_extra=json_request(SetPassword), summary="Set a user's password (admins)")
async def set_password(username: str, engine: EngineDep, actor: ActorDep,
                       body: Body[SetPassword] = Depends(json_body(SetPassword))):
    if body.errors:
        await run_in_threadpool(lambda: engine.accounts.set_password(username, "", by=actor, dry_run=True))
    password = body.valid().password
    await run_in_threadpool(lambda: engine.accounts.set_password(username, password, by=actor))
    return Response(status_code=204)


@routes.post("/me/password", status_code=204, responses=problems(400, 401, 422),
             openapi_extra=json_request(ChangePassword), summary="Change your own password")
async def change_password(request: Request, engine: EngineDep, actor: ActorDep,
                          body: Body[ChangePassword] = Depends(json_body(ChangePassword))):
    """The current password is required (422 at `/current_password` when it is wrong). Every
    other token and web session of the user issued before ends; this request's token stays."""
    change = body.valid()
    token = bearer_token(request)
    await run_in_threadpool(lambda: engine.accounts.change_password(change.current_password, change.password,
                                                                    by=actor, current_token=token))
    return Response(status_code=204)


@routes.post("/users/{username}/api-keys", status_code=201, response_model=ApiKeyCreated,
             responses=problems(401, 403, 404, 409, 422), openapi_extra=json_request(CreateApiKey),
             summary="Make an API key for an integration account (admins; the key is shown once)")
async def create_api_key(username: str, engine: EngineDep, actor: ActorDep,
                         body: Body[CreateApiKey] = Depends(json_body(CreateApiKey))):
    if body.errors:
        await run_in_threadpool(lambda: engine.accounts.list_api_keys(username, by=actor))
    name = body.valid().name
    created = await run_in_threadpool(lambda: engine.accounts.create_api_key(username, name, by=actor))
    return ok(created, 201, {"Cache-Control": "no-store"})


@routes.get("/users/{username}/api-keys", response_model=ApiKeyList, responses=problems(401, 403, 404),
            summary="A user's API keys, without the keys (admins)")
def list_api_keys(username: str, engine: EngineDep, actor: ActorDep):
    return ok({"items": engine.accounts.list_api_keys(username, by=actor)})


@routes.delete("/users/{username}/api-keys/{key_id}", response_model=ApiKeyOut, responses=problems(401, 403, 404),
               summary="Revoke an API key at once (admins)")
def revoke_api_key(username: str, key_id: str, engine: EngineDep, actor: ActorDep):
    return ok(engine.accounts.revoke_api_key(username, key_id, by=actor))
