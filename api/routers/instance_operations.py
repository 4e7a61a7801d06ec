"""Operating instances and definitions: suspension, migration between versions, repair."""

from __future__ import annotations

from typing import Annotated

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


class Migration(Strict):
    definition_key: str = Field(min_length=1, max_length=255)
    from_version: int = Field(ge=1, le=2_147_483_647)
    to_version: int = Field(ge=1, le=2_147_483_647)
    instance_ids: list[Annotated[str, Field(min_length=1, max_length=36)]] | None = Field(
        default=None, max_length=10_000, description="Which instances; null: every unfinished one of from_version.")
    mapping: dict[Annotated[str, Field(min_length=1, max_length=255)],
                  Annotated[str, Field(min_length=1, max_length=255)]] = Field(
        default_factory=dict, description="Old element id -> new element id, for renamed or removed elements.")
    dry_run: bool = Field(default=True, description="Only report what would happen (the default).")


class MigrationProblem(BaseModel):
    element_id: str | None
    message: str


class MigratedInstance(BaseModel):
    id: str
    ok: bool
    problems: list[MigrationProblem]


class MigrationOut(BaseModel):
    definition_key: str
    from_version: int
    to_version: int
    mapping: dict[str, str]
    dry_run: bool
    instances: list[MigratedInstance]
    migrated: int


class Modification(Strict):
    reason: str | None = Field(default=None, max_length=2000, description="Why; kept in the audit trail.")
    instructions: list[dict[str, str]] = Field(
        min_length=1, max_length=50,
        description='In order: {"cancel": "element_id"}, {"start_before": "element_id"}, {"start_after": ...}.')


@routes.post("/migrations", response_model=MigrationOut, responses=problems(400, 401, 403, 404, 415, 422),
             openapi_extra=json_request(Migration),
             summary="Move instances to another version of their process (admins; dry runs also designers)")
async def migrate(engine: EngineDep, actor: ActorDep, body: Body[Migration] = Depends(json_body(Migration))):
    """Each instance moves in its own transaction: one that cannot move (it waits in an
    element the target lacks and the mapping does not cover) is reported and left exactly as
    it was. `dry_run` (the default) reports per instance and changes nothing."""
    if body.errors:
        engine.operations.check_migrator(by=actor)  # 403 comes before 422
    value = body.valid()
    return ok(await run_in_threadpool(lambda: engine.operations.migrate(
        value.definition_key, value.from_version, value.to_version, by=actor, instance_ids=value.instance_ids,
        mapping=value.mapping, dry_run=value.dry_run)))


@routes.post("/instances/{instance_id}/modify", response_model=InstanceOut,
             responses=problems(400, 401, 403, 404, 409, 415, 422), openapi_extra=json_request(Modification),
             summary="Repair an instance: cancel an activity, start before or after an element (admins)")
async def modify_instance(instance_id: str, engine: EngineDep, actor: ActorDep,
                          body: Body[Modification] = Depends(json_body(Modification))):
    if body.errors:  # 404 and 403 come before 422
        await run_in_threadpool(lambda: engine.operations.modify_instance(instance_id, [], by=actor, reason="",
                                                                          dry_run=True))
    value = body.valid()
    return ok(await run_in_threadpool(lambda: engine.operations.modify_instance(
        instance_id, value.instructions, by=actor, reason=value.reason or "")))
