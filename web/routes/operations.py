"""Operating instances and definitions from the web app: suspend and resume (instance and
definition pages) and migrating instances to another version, dry run first."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response
from flowdesk.engine.errors import FieldError, InvalidData
from flowdesk.engine.identity import authorization
from starlette.concurrency import run_in_threadpool

from ..pages import ActorDep, FormDep, engine_of, redirect, render
from ._router import router

routes = router()
MAX_MAPPING_TEXT = 20_000


def _reason(posted) -> str:
    return str(posted.get("reason") or "").strip()[:2000]


@routes.post("/instances/{instance_id}/suspend")
def suspend_instance(instance_id: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine_of(request).operations.suspend_instance(instance_id, by=actor, reason=_reason(posted))
    return redirect(f"/instances/{instance_id}?notice=suspended")


@routes.post("/instances/{instance_id}/resume")
def resume_instance(instance_id: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine_of(request).operations.resume_instance(instance_id, by=actor, reason=_reason(posted))
    return redirect(f"/instances/{instance_id}?notice=resumed")


@routes.post("/definitions/{key}/suspend")
def suspend_definition(key: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine_of(request).operations.suspend_definition(key, by=actor, reason=_reason(posted),
                                                     instances=posted.get("instances") == "on")
    return redirect(f"/definitions/{key}?notice=suspended")


@routes.post("/definitions/{key}/resume")
def resume_definition(key: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine_of(request).operations.resume_definition(key, by=actor, reason=_reason(posted))
    return redirect(f"/definitions/{key}?notice=resumed")


def parse_mapping(text: str) -> dict[str, str]:
    """``old=new`` per line (blank lines ignored) as the mapping, 422 for anything else."""
    if len(text) > MAX_MAPPING_TEXT:
        raise InvalidData([FieldError("/mapping", f"at most {MAX_MAPPING_TEXT} characters")])
    mapping, errors = {}, []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        old, sep, new = line.partition("=")
        if not sep or not old.strip() or not new.strip():
            errors.append(FieldError("/mapping", f"line {n}: write old_element=new_element"))
        else:
            mapping[old.strip()] = new.strip()
    if errors:
        raise InvalidData(errors)
    return mapping


@routes.get("/definitions/{key}/migrate")
def migration_page(key: str, request: Request, actor: ActorDep,
                   from_version: Annotated[int | None, Query(alias="from", ge=1, le=2_147_483_647)] = None,
                   to_version: Annotated[int | None, Query(alias="to", ge=1, le=2_147_483_647)] = None,
                   mapping: Annotated[str, Query(max_length=MAX_MAPPING_TEXT)] = "") -> Response:
    """The form; with both versions given, the dry run of moving every unfinished instance,
    and (for admins, when something can move) the button that does it."""
    engine = engine_of(request)
    engine.operations.check_migrator(by=actor)
    definition = engine.repository.definition(key, None, by=actor)
    report = None
    if from_version is not None and to_version is not None:
        report = engine.operations.migrate(key, from_version, to_version, by=actor,
                                           mapping=parse_mapping(mapping), dry_run=True)
    return render(request, "migrate.html", definition=definition, report=report, mapping_text=mapping,
                  from_version=from_version, to_version=to_version,
                  may_execute=authorization.has_role(actor, authorization.ADMIN))


@routes.post("/definitions/{key}/migrate")
async def migrate(key: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    """Move the instances the dry run showed (the same versions and mapping)."""
    engine = engine_of(request)
    try:
        from_version, to_version = int(str(posted.get("from"))), int(str(posted.get("to")))
    except ValueError:
        raise InvalidData([FieldError("/from", "choose two versions")]) from None
    mapping_text = str(posted.get("mapping") or "")
    mapping = parse_mapping(mapping_text)
    report = await run_in_threadpool(lambda: engine.operations.migrate(
        key, from_version, to_version, by=actor, mapping=mapping, dry_run=False))
    definition = engine.repository.definition(key, None, by=actor)
    return render(request, "migrate.html", definition=definition, report=report, mapping_text=mapping_text,
                  from_version=from_version, to_version=to_version, may_execute=False)
