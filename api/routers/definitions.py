"""Definitions: the latest of each, one with its versions and start form, its BPMN and diagram."""

from __future__ import annotations

from fastapi import Response

from ..schemas import DefinitionOut, DefinitionPage
from ._common import ActorDep, Cursor, EngineDep, Limit, LocaleDep, Version, ok, problems, router

routes = router("definitions")


@routes.get("/definitions", response_model=DefinitionPage, responses=problems(400, 401, 422),
            summary="The latest version of every process")
def list_definitions(engine: EngineDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None):
    return ok(engine.repository.list_definitions(by=actor, limit=limit, cursor=cursor))


@routes.get("/definitions/{key}", response_model=DefinitionOut, responses=problems(401, 404, 422),
            summary="A process version with its versions, start form and lanes")
def get_definition(key: str, engine: EngineDep, actor: ActorDep, version: Version = None):
    return ok(engine.repository.definition(key, version, by=actor))


@routes.get("/definitions/{key}/bpmn", responses={200: {"content": {"application/xml": {}},
                                                        "description": "BPMN 2.0 XML"},
                                                  **problems(401, 404, 422)},
            summary="The BPMN 2.0 XML that runs (with diagram interchange when the model has it)")
def get_bpmn(key: str, engine: EngineDep, actor: ActorDep, version: Version = None):
    name, content = engine.repository.definition_bpmn(key, version, by=actor)
    return Response(content, media_type="application/xml",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@routes.get("/definitions/{key}/diagram.svg", responses={200: {"content": {"image/svg+xml": {}},
                                                               "description": "SVG"},
                                                         **problems(401, 404, 422)},
            summary="The process diagram as SVG")
def get_diagram(key: str, engine: EngineDep, actor: ActorDep, locale: LocaleDep, version: Version = None):
    """Names in the language of ``Accept-Language`` where the model translates them."""
    return Response(engine.repository.definition_diagram(key, version, by=actor, locale=locale),
                    media_type="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
