"""Operating instances and definitions: suspension, migration between versions, repair."""

from __future__ import annotations

from fastapi import Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..bodies import Body, json_body, json_request
from ..schemas import InstanceOut, Strict
from ._common import ActorDep, EngineDep, ok, problems, router

routes = router("operations")


class Reason(Strict):
    reason: str | None = Field(default=None, max_length=2000, description="Why; kept in the audit trail.")


class SuspendDefinition(Strict):
    reason: str | None = Field(default=None, max_length=2000, description="Why; kept in the audit trail.")
    instances: bool = Field(default=False, description="Suspend the running instances too (admins).")


class SuspensionOut(BaseModel):
    reason: str
    suspended_by: str
    suspended_at: str


class DefinitionSuspensionOut(BaseModel):
    key: str
    suspended: bool
    suspension: SuspensionOut | None
    suspended_instances: list[str] = Field(default_factory=list)
    resumed_instances: list[str] = Field(default_factory=list)


async def _reason(body: Body) -> str:
    return body.valid().reason or ""


@routes.post("/instances/{instance_id}/suspend", response_model=InstanceOut,
             responses=problems(400, 401, 403, 404, 409, 415, 422),
             openapi_extra=json_request(Reason), summary="Suspend an instance (admins)")
async def suspend_instance(instance_id: str, engine: EngineDep, actor: ActorDep,
                           body: Body[Reason] = Depends(json_body(Reason))):
    """Its tasks stay in the inboxes but refuse claim and completion (409), its jobs wait
    (a timer that falls due fires on resume), messages for it are kept until then."""
    reason = await _reason(body)
    return ok(await run_in_threadpool(lambda: engine.operations.suspend_instance(instance_id, by=actor,
                                                                                 reason=reason)))


@routes.post("/instances/{instance_id}/resume", response_model=InstanceOut,
             responses=problems(400, 401, 403, 404, 409, 415, 422),
             openapi_extra=json_request(Reason, required=False), summary="Resume a suspended instance (admins)")
async def resume_instance(instance_id: str, engine: EngineDep, actor: ActorDep,
                          body: Body[Reason] = Depends(json_body(Reason, required=False))):
    reason = await _reason(body)
    return ok(await run_in_threadpool(lambda: engine.operations.resume_instance(instance_id, by=actor,
                                                                                reason=reason)))


@routes.post("/definitions/{key}/suspend", response_model=DefinitionSuspensionOut,
             responses=problems(400, 401, 403, 404, 409, 415, 422),
             openapi_extra=json_request(SuspendDefinition),
             summary="Refuse new instances of a process (designers, admins); optionally suspend its instances")
async def suspend_definition(key: str, engine: EngineDep, actor: ActorDep,
                             body: Body[SuspendDefinition] = Depends(json_body(SuspendDefinition))):
    """Every version of the process: starting one answers 409 until it is resumed. With
    `"instances": true` (admins) its running instances are suspended too."""
    value = body.valid()
    return ok(await run_in_threadpool(lambda: engine.operations.suspend_definition(
        key, by=actor, reason=value.reason or "", instances=value.instances)))


@routes.post("/definitions/{key}/resume", response_model=DefinitionSuspensionOut,
             responses=problems(400, 401, 403, 404, 409, 415, 422),
             openapi_extra=json_request(Reason, required=False),
             summary="Start instances of a process again, and resume those suspended with it")
async def resume_definition(key: str, engine: EngineDep, actor: ActorDep,
                            body: Body[Reason] = Depends(json_body(Reason, required=False))):
    reason = await _reason(body)
    return ok(await run_in_threadpool(lambda: engine.operations.resume_definition(key, by=actor, reason=reason)))
