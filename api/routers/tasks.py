"""The inbox and the life of a task: detail, claim, unclaim, assign, complete."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from flowdesk.engine.instances.tasks import InboxQuery
from starlette.concurrency import run_in_threadpool

from ..bodies import Body, canonical, idempotent, json_body, json_request
from ..schemas import AssignTask, CompletedTask, CompleteTask, TaskDetail, TaskPage, TaskSummary
from ._common import ActorDep, Cursor, EngineDep, Limit, ok, problems, router, utc

routes = router("tasks")
Sort = Literal["created_at", "-created_at", "due_at", "-due_at", "priority", "-priority"]


@routes.get("/tasks", response_model=TaskPage, responses=problems(400, 401, 403, 422), summary="The caller's inbox")
def inbox(
    engine: EngineDep, actor: ActorDep,
    assignee: Literal["me", "unassigned"] | None = None,
    definition_key: Annotated[str | None, Query(max_length=255)] = None,
    instance_id: Annotated[str | None, Query(max_length=36)] = None,
    business_key: Annotated[str | None, Query(max_length=255)] = None,
    document: Annotated[str | None, Query(max_length=80, description=(
        "Any part of the business key or of a document number (PR, PO, ...) the instance carries, any case."))] = None,
    due_before: datetime | None = None,
    candidate_group: Annotated[str | None, Query(max_length=150)] = None,
    priority_min: Annotated[int | None, Query(ge=0, le=100)] = None,
    created_after: datetime | None = None,
    overdue: bool = False,
    filter: Annotated[str | None, Query(max_length=36, description="A saved filter's id: its query.")] = None,
    sort: Sort = "created_at",
    limit: Limit = 50, cursor: Cursor = None,
):
    """Open tasks assigned to the caller plus unassigned open tasks of the caller's groups,
    less those a separation-of-duties rule bars the caller from."""
    if filter is not None:
        page = engine.collaboration.filtered_inbox(filter, by=actor, limit=limit, cursor=cursor)
        return ok(engine.collaboration.with_owners(page, by=actor))
    query = InboxQuery(assignee=assignee, definition_key=definition_key, instance_id=instance_id,
                       business_key=business_key, document=document, due_before=utc(due_before),
                       candidate_group=candidate_group,
                       priority_min=priority_min, created_after=utc(created_after),
                       due_by_now=engine.clock.now() if overdue else None, sort=sort, limit=limit)
    return ok(engine.collaboration.with_owners(engine.tasks.inbox(query, by=actor, cursor=cursor), by=actor))


@routes.get("/tasks/{task_id}", response_model=TaskDetail, responses=problems(401, 403, 404),
            summary="A task with its form (schema, UI hints) and the data to show and prefill")
def task_detail(task_id: str, engine: EngineDep, actor: ActorDep,
                view: Annotated[Literal["task", "all"], Query(description=(
                    "`task` (default): `data` holds the variables the task's form refers to, never internal "
                    "ones; `all`: every variable of the instance, for auditors and admins (403 for others)."))]
                = "task"):
    detail = engine.tasks.task_detail(task_id, by=actor, all_data=view == "all")
    return ok({**detail, **engine.collaboration.task_extras(task_id, by=actor)})


@routes.post("/tasks/{task_id}/claim", response_model=TaskSummary, responses=problems(401, 403, 404, 409),
             summary="Take a task (409 when someone else holds it)")
def claim(task_id: str, engine: EngineDep, actor: ActorDep):
    return ok(engine.tasks.claim_task(task_id, by=actor))


@routes.post("/tasks/{task_id}/unclaim", response_model=TaskSummary, responses=problems(401, 403, 404, 409),
             summary="Give a task back to its candidate groups")
def unclaim(task_id: str, engine: EngineDep, actor: ActorDep):
    return ok(engine.tasks.unclaim_task(task_id, by=actor))


@routes.post("/tasks/{task_id}/assign", response_model=TaskSummary,
             responses=problems(400, 401, 403, 404, 409, 415, 422), openapi_extra=json_request(AssignTask),
             summary="Assign a task (admins; or the assignee, delegating)")
async def assign(task_id: str, engine: EngineDep, actor: ActorDep,
                 body: Body[AssignTask] = Depends(json_body(AssignTask))):
    if body.errors:
        await run_in_threadpool(lambda: engine.tasks.assign_task(task_id, "", by=actor, dry_run=True))
    return ok(await run_in_threadpool(lambda: engine.tasks.assign_task(task_id, body.valid().username, by=actor)))


@routes.post("/tasks/{task_id}/complete", response_model=CompletedTask,
             responses=problems(400, 401, 403, 404, 409, 415, 422),
             openapi_extra=json_request(CompleteTask, idempotent=True),
             summary="Complete a task; the process runs on to its next wait state")
async def complete(task_id: str, request: Request, engine: EngineDep, actor: ActorDep,
                   body: Body[CompleteTask] = Depends(json_body(CompleteTask))):
    """422 with an error per field when the data does not fit the form; 403 for a caller who
    is neither the assignee nor a candidate, or whom separation of duties excludes; 409 when
    the task is no longer open or someone else holds it. Returns the task and the instance
    with its new open tasks. With an ``Idempotency-Key``, a retry whose first answer was lost
    gets that answer again instead of 409."""
    if body.errors:
        await run_in_threadpool(lambda: engine.tasks.complete_task(task_id, {}, by=actor, dry_run=True))
    data = body.valid().data
    return await idempotent(request, actor, canonical(body.raw),
                            lambda: ok(engine.tasks.complete_task(task_id, data, by=actor)))
