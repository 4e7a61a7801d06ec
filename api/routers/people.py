"""A user's own settings: preferences and the substitute while away; delegating a task."""

from __future__ import annotations

from fastapi import Depends, Response
from starlette.concurrency import run_in_threadpool

from ..bodies import Body, json_body, json_request
from ..collaboration_schemas import DelegateTask, PreferencesOut, SavePreferences, SetSubstitute, SubstituteOut
from ..schemas import TaskSummary
from ._common import ActorDep, EngineDep, ok, problems, router, utc

routes = router("people")


@routes.get("/me/preferences", response_model=PreferencesOut, responses=problems(401),
            summary="The caller's e-mail address, language, time zone and notification choices")
def get_preferences(engine: EngineDep, actor: ActorDep):
    return ok(engine.people.preferences(by=actor))


@routes.put("/me/preferences", response_model=PreferencesOut, responses=problems(400, 401, 415, 422),
            openapi_extra=json_request(SavePreferences),
            summary="Change the caller's preferences (the fields sent; the others stay)")
async def put_preferences(engine: EngineDep, actor: ActorDep,
                          body: Body[SavePreferences] = Depends(json_body(SavePreferences))):
    changes = body.valid().model_dump(exclude_unset=True)
    return ok(await run_in_threadpool(lambda: engine.people.save_preferences(changes, by=actor)))


@routes.get("/me/substitute", response_model=SubstituteOut | None, responses=problems(401),
            summary="Who gets the caller's new tasks while they are away (null: nobody)")
def get_substitute(engine: EngineDep, actor: ActorDep):
    return ok(engine.people.substitute(by=actor))


@routes.put("/me/substitute", response_model=SubstituteOut, responses=problems(400, 401, 403, 415, 422),
            openapi_extra=json_request(SetSubstitute),
            summary="Out of office: new tasks of the caller go to an eligible substitute")
async def put_substitute(engine: EngineDep, actor: ActorDep,
                         body: Body[SetSubstitute] = Depends(json_body(SetSubstitute))):
    chosen = body.valid()
    return ok(await run_in_threadpool(lambda: engine.people.set_substitute(
        chosen.username, utc(chosen.from_), utc(chosen.until), by=actor)))


@routes.delete("/me/substitute", status_code=204, responses=problems(401, 404), summary="Back in the office")
def delete_substitute(engine: EngineDep, actor: ActorDep):
    engine.people.clear_substitute(by=actor)
    return Response(status_code=204)


@routes.post("/tasks/{task_id}/delegate", response_model=TaskSummary,
             responses=problems(400, 401, 403, 404, 409, 415, 422), openapi_extra=json_request(DelegateTask),
             summary="Hand a task to an eligible colleague, keeping its owner")
async def delegate(task_id: str, engine: EngineDep, actor: ActorDep,
                   body: Body[DelegateTask] = Depends(json_body(DelegateTask))):
    if body.errors:  # an unknown task is 404 before a bad body is 422
        await run_in_threadpool(lambda: engine.tasks.get_task(task_id, by=actor))
    chosen = body.valid()
    return ok(await run_in_threadpool(lambda: engine.people.delegate_task(task_id, chosen.username, by=actor)))
