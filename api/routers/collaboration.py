"""Working on tasks together: comments, attachments, drafts, saved filters, and changing a
task's due date, priority and follow-up date."""

from __future__ import annotations

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ..bodies import Body, canonical, idempotent, json_body, json_request
from ..collaboration_schemas import (
    AddAttachment,
    AddComment,
    AttachmentOut,
    AttachmentPage,
    ChangeTask,
    CommentOut,
    CommentPage,
    CreateFilter,
    DraftOut,
    FilterOut,
    FilterPage,
    SaveDraft,
)
from ._common import ActorDep, EngineDep, ok, problems, router, utc

routes = router("collaboration")


@routes.get("/tasks/{task_id}/comments", response_model=CommentPage, responses=problems(401, 403, 404),
            summary="Comments on a task (for whoever may read its instance)")
def task_comments(task_id: str, engine: EngineDep, actor: ActorDep):
    return ok(engine.collaboration.task_comments(task_id, by=actor))


@routes.post("/tasks/{task_id}/comments", status_code=201, response_model=CommentOut,
             responses=problems(400, 401, 403, 404, 415, 422), openapi_extra=json_request(AddComment),
             summary="Comment on a task (never edited; audited)")
async def add_task_comment(task_id: str, engine: EngineDep, actor: ActorDep,
                           body: Body[AddComment] = Depends(json_body(AddComment))):
    if body.errors:
        await run_in_threadpool(lambda: engine.collaboration.task_comments(task_id, by=actor))
    text = body.valid().text
    return ok(await run_in_threadpool(lambda: engine.collaboration.add_task_comment(task_id, text, by=actor)), 201)


@routes.get("/instances/{instance_id}/comments", response_model=CommentPage, responses=problems(401, 403, 404),
            summary="Comments on an instance and its tasks")
def instance_comments(instance_id: str, engine: EngineDep, actor: ActorDep):
    return ok(engine.collaboration.instance_comments(instance_id, by=actor))


@routes.post("/instances/{instance_id}/comments", status_code=201, response_model=CommentOut,
             responses=problems(400, 401, 403, 404, 415, 422), openapi_extra=json_request(AddComment),
             summary="Comment on an instance (never edited; audited)")
async def add_instance_comment(instance_id: str, engine: EngineDep, actor: ActorDep,
                               body: Body[AddComment] = Depends(json_body(AddComment))):
    if body.errors:
        await run_in_threadpool(lambda: engine.collaboration.instance_comments(instance_id, by=actor))
    text = body.valid().text
    return ok(await run_in_threadpool(
        lambda: engine.collaboration.add_instance_comment(instance_id, text, by=actor)), 201)


@routes.get("/tasks/{task_id}/attachments", response_model=AttachmentPage, responses=problems(401, 403, 404),
            summary="Files attached to a task")
def task_attachments(task_id: str, engine: EngineDep, actor: ActorDep):
    return ok(engine.collaboration.task_attachments(task_id, by=actor))


@routes.post("/tasks/{task_id}/attachments", status_code=201, response_model=AttachmentOut,
             responses=problems(400, 401, 403, 404, 415, 422), openapi_extra=json_request(AddAttachment),
             summary="Attach a file the caller uploaded (POST /api/v1/files) to a task")
async def add_attachment(task_id: str, engine: EngineDep, actor: ActorDep,
                         body: Body[AddAttachment] = Depends(json_body(AddAttachment))):
    if body.errors:
        await run_in_threadpool(lambda: engine.collaboration.task_attachments(task_id, by=actor))
    file_id = body.valid().file_id
    return ok(await run_in_threadpool(lambda: engine.collaboration.add_attachment(task_id, file_id, by=actor)), 201)


@routes.get("/instances/{instance_id}/attachments", response_model=AttachmentPage,
            responses=problems(401, 403, 404), summary="Files attached to an instance's tasks")
def instance_attachments(instance_id: str, engine: EngineDep, actor: ActorDep):
    return ok(engine.collaboration.instance_attachments(instance_id, by=actor))


@routes.put("/tasks/{task_id}/draft", response_model=DraftOut,
            responses=problems(400, 401, 403, 404, 409, 413, 415, 422), openapi_extra=json_request(SaveDraft),
            summary="Keep unfinished form data for the caller alone (returned as the task's draft)")
async def save_draft(task_id: str, engine: EngineDep, actor: ActorDep,
                     body: Body[SaveDraft] = Depends(json_body(SaveDraft))):
    if body.errors:
        await run_in_threadpool(lambda: engine.tasks.get_task(task_id, by=actor))
    data = body.valid().data
    return ok(await run_in_threadpool(lambda: engine.collaboration.save_draft(task_id, data, by=actor)))


@routes.patch("/tasks/{task_id}", responses=problems(400, 401, 403, 404, 409, 415, 422),
              openapi_extra=json_request(ChangeTask),
              summary="Change due date, priority or follow-up date (admins, the process's supervisors)")
async def change_task(task_id: str, engine: EngineDep, actor: ActorDep,
                      body: Body[ChangeTask] = Depends(json_body(ChangeTask))):
    if body.errors:
        await run_in_threadpool(lambda: engine.tasks.get_task(task_id, by=actor))
    chosen = body.valid()
    changes = chosen.model_dump(exclude_unset=True)
    for key in ("due_at", "follow_up_at"):
        if key in changes:
            changes[key] = utc(changes[key])
    return ok(await run_in_threadpool(lambda: engine.collaboration.change_task(task_id, changes, by=actor)))


@routes.get("/filters", response_model=FilterPage, responses=problems(401, 403),
            summary="The caller's saved inbox filters and those shared with their groups")
def list_filters(engine: EngineDep, actor: ActorDep):
    return ok(engine.collaboration.filters(by=actor))


@routes.post("/filters", status_code=201, response_model=FilterOut, responses=problems(400, 401, 403, 415, 422),
             openapi_extra=json_request(CreateFilter, idempotent=True), summary="Save an inbox filter")
async def create_filter(request: Request, engine: EngineDep, actor: ActorDep,
                        body: Body[CreateFilter] = Depends(json_body(CreateFilter))):
    chosen = body.valid()
    return await idempotent(request, actor, canonical(body.raw), lambda: ok(engine.collaboration.create_filter(
        chosen.name, chosen.query, chosen.shared_with_groups, by=actor), 201))


@routes.delete("/filters/{filter_id}", status_code=204, responses=problems(401, 403, 404),
               summary="Delete a saved filter (its owner)")
def delete_filter(filter_id: str, engine: EngineDep, actor: ActorDep):
    engine.collaboration.delete_filter(filter_id, by=actor)
    return Response(status_code=204)
