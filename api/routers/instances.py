"""Process instances: start, read, list, cancel, history and diagram."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ..bodies import Body, canonical, idempotent, json_body, json_request
from ..schemas import CancelInstance, EventPage, InstanceOut, InstancePage, StartInstance
from ._common import ActorDep, Cursor, EngineDep, Limit, LocaleDep, Version, ok, problems, router

routes = router("instances")
Status = Literal["running", "completed", "cancelled", "failed", "suspended"]


@routes.post("/definitions/{key}/instances", status_code=201, response_model=InstanceOut,
             responses=problems(400, 401, 403, 404, 409, 415, 422),
             openapi_extra=json_request(StartInstance, idempotent=True), summary="Start an instance")
async def start_instance(key: str, request: Request, engine: EngineDep, actor: ActorDep, version: Version = None,
                         body: Body[StartInstance] = Depends(json_body(StartInstance))):
    """The data is checked against the start form (422 with errors by field). The caller
    must be in the start lane's group (or the process has none), or an integration account."""
    if body.errors:
        await run_in_threadpool(lambda: engine.instances.start_instance(key, {}, by=actor, version=version,
                                                                        dry_run=True))
    start = body.valid()

    def run():
        instance = engine.instances.start_instance(key, start.data, by=actor, business_key=start.business_key,
                                                   version=version)
        return ok(instance, 201, {"Location": f"/api/v1/instances/{instance['id']}"})

    return await idempotent(request, actor, canonical(body.raw), run)


@routes.get("/instances", response_model=InstancePage, responses=problems(400, 401, 403, 422),
            summary="Instances the caller may read, newest first")
def list_instances(
    engine: EngineDep, actor: ActorDep,
    definition_key: Annotated[str | None, Query(max_length=255)] = None,
    status: Status | None = None,
    business_key: Annotated[str | None, Query(max_length=255)] = None,
    started_by: Annotated[str | None, Query(max_length=150)] = None,
    document: Annotated[str | None, Query(max_length=80, description=(
        "Any part of a document number the instance carries: its business key, or the number of a "
        "record it created, changed or read (PR, PO, goods receipt, invoice, case)."))] = None,
    parent_instance_id: Annotated[str | None, Query(max_length=36, description=(
        "Only the instances a call activity of this instance started (its children)."))] = None,
    limit: Limit = 50, cursor: Cursor = None,
):
    """Employees see the instances they started or hold or held a task in; auditors and
    admins see all; integration accounts the ones they started."""
    return ok(engine.instances.list_instances(by=actor, definition_key=definition_key, status=status,
                                              business_key=business_key, started_by=started_by, limit=limit,
                                              cursor=cursor, document=document,
                                              parent_instance_id=parent_instance_id))


@routes.get("/instances/{instance_id}", response_model=InstanceOut, responses=problems(401, 403, 404),
            summary="An instance with its data and open tasks")
def get_instance(instance_id: str, engine: EngineDep, actor: ActorDep):
    return ok(engine.instances.get_instance(instance_id, by=actor))


@routes.post("/instances/{instance_id}/cancel", response_model=InstanceOut,
             responses=problems(400, 401, 403, 404, 409, 415, 422),
             openapi_extra=json_request(CancelInstance, required=False), summary="Cancel an instance")
async def cancel_instance(instance_id: str, engine: EngineDep, actor: ActorDep,
                          body: Body[CancelInstance] = Depends(json_body(CancelInstance, required=False))):
    """Admins cancel any instance and must give a reason; employees cancel the ones they
    started. A finished instance cannot be cancelled (409)."""
    if body.errors:
        await run_in_threadpool(lambda: engine.instances.cancel_instance(instance_id, by=actor, reason="",
                                                                         dry_run=True))
    reason = body.valid().reason or ""
    return ok(await run_in_threadpool(lambda: engine.instances.cancel_instance(instance_id, by=actor, reason=reason)))


@routes.get("/instances/{instance_id}/history", response_model=EventPage,
            responses=problems(400, 401, 403, 404, 422), summary="An instance's audit events, in order")
def history(instance_id: str, engine: EngineDep, actor: ActorDep, locale: LocaleDep, limit: Limit = 50,
            cursor: Cursor = None):
    """Each event keeps its raw facts (type, element_id, actor, data) and reads as people say
    it in the language of ``Accept-Language``: title, element_name, actor_name, on_behalf_of."""
    return ok(engine.history.instance_history(instance_id, by=actor, limit=limit, cursor=cursor, locale=locale))


@routes.get("/instances/{instance_id}/diagram.svg",
            responses={200: {"content": {"image/svg+xml": {}}, "description": "SVG"}, **problems(401, 403, 404)},
            summary="The diagram with completed, active and failed elements marked")
def instance_diagram(instance_id: str, engine: EngineDep, actor: ActorDep, locale: LocaleDep):
    """Names in the language of ``Accept-Language`` where the model translates them."""
    return Response(engine.instances.instance_diagram(instance_id, by=actor, locale=locale).svg,
                    media_type="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
