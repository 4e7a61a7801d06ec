"""External tasks: outside workers fetch-and-lock service tasks and report back, as with
Camunda's external tasks (integration accounts and admins)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends
from flowdesk.engine.identity import authorization
from pydantic import BaseModel, Field

from ..bodies import Body, json_body, json_request
from ..schemas import Strict
from ._common import ActorDep, EngineDep, ok, problems, router

routes = router("external tasks")
WorkerId = Field(min_length=1, max_length=150, description="Who holds the lock; the same id must report back.")


class FetchAndLock(Strict):
    worker_id: str = WorkerId
    topics: list[str] = Field(min_length=1, max_length=50)
    max_tasks: int = Field(default=10, ge=1, le=100)
    lock_seconds: int = Field(default=300, ge=1, le=86400)


class CompleteExternal(Strict):
    worker_id: str = WorkerId
    variables: dict[str, Any] = Field(default_factory=dict, description="Merged into the instance's data.")


class FailExternal(Strict):
    worker_id: str = WorkerId
    error: str = Field(min_length=1, max_length=4000)
    retries: int | None = Field(default=None, ge=0, le=100, description="Attempts left; 0 opens an incident.")
    retry_seconds: float | None = Field(default=None, ge=0, le=86400)


class ExternalBpmnError(Strict):
    worker_id: str = WorkerId
    code: str = Field(min_length=1, max_length=255)
    message: str = Field(default="", max_length=4000)


class LockedTask(BaseModel):
    id: str
    topic: str
    instance_id: str | None
    element_id: str | None
    variables: dict[str, Any]
    attempt: int
    idempotency_key: str
    lock_expires_at: str


class LockedTasks(BaseModel):
    items: list[LockedTask]


class Reported(BaseModel):
    id: str
    status: str


@routes.post("/external-tasks/fetch-and-lock", response_model=LockedTasks,
             responses=problems(400, 401, 403, 415, 422), openapi_extra=json_request(FetchAndLock),
             summary="Lock work on some topics")
def fetch_and_lock(engine: EngineDep, actor: ActorDep, body: Body[FetchAndLock] = Depends(json_body(FetchAndLock))):
    authorization.require_external_worker(actor)
    req = body.valid()
    return ok({"items": engine.external_tasks.fetch_and_lock(req.worker_id, req.topics, by=actor,
                                                             max_tasks=req.max_tasks, lock_seconds=req.lock_seconds)})


@routes.post("/external-tasks/{task_id}/complete", response_model=Reported,
             responses=problems(400, 401, 403, 404, 409, 415, 422), openapi_extra=json_request(CompleteExternal),
             summary="Report success; the variables go into the instance")
def complete(task_id: str, engine: EngineDep, actor: ActorDep,
             body: Body[CompleteExternal] = Depends(json_body(CompleteExternal))):
    authorization.require_external_worker(actor)
    req = body.valid()
    engine.external_tasks.complete(task_id, req.worker_id, req.variables, by=actor)
    return ok({"id": task_id, "status": "completed"})


@routes.post("/external-tasks/{task_id}/failure", response_model=Reported,
             responses=problems(400, 401, 403, 404, 409, 415, 422), openapi_extra=json_request(FailExternal),
             summary="Report a failure; retried, or an incident when no attempts are left")
def failure(task_id: str, engine: EngineDep, actor: ActorDep,
            body: Body[FailExternal] = Depends(json_body(FailExternal))):
    authorization.require_external_worker(actor)
    req = body.valid()
    engine.external_tasks.fail(task_id, req.worker_id, req.error, by=actor, retries=req.retries,
                               retry_seconds=req.retry_seconds)
    return ok({"id": task_id, "status": "failed"})


@routes.post("/external-tasks/{task_id}/bpmn-error", response_model=Reported,
             responses=problems(400, 401, 403, 404, 409, 415, 422), openapi_extra=json_request(ExternalBpmnError),
             summary="Report a business error for the model's error boundary event")
def bpmn_error(task_id: str, engine: EngineDep, actor: ActorDep,
               body: Body[ExternalBpmnError] = Depends(json_body(ExternalBpmnError))):
    authorization.require_external_worker(actor)
    req = body.valid()
    engine.external_tasks.bpmn_error(task_id, req.worker_id, req.code, req.message, by=actor)
    return ok({"id": task_id, "status": "bpmn_error"})
