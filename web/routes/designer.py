"""Designers: definitions and their versions, diagrams, sources, and deploying a new version."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.errors import DefinitionInvalid, NotFound
from flowdesk.engine.identity import authorization
from flowdesk.engine.records.files import clean_file_name
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..i18n import bcp47
from ..pages import ActorDep, FormDep, engine_of, gettext, locale_of, redirect, render
from ._router import router

routes = router()
MAX_FILES = 200


@routes.get("/definitions")
def definitions(request: Request, actor: ActorDep,
                cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    page = engine_of(request).repository.list_definitions(by=actor, limit=50, cursor=cursor)
    next_url = "/definitions?" + urlencode({"cursor": page.next_cursor}) if page.next_cursor else None
    return render(request, "definitions.html", definitions=page.items, next_url=next_url,
                  may_deploy=authorization.has_role(actor, authorization.DESIGNER, authorization.ADMIN))


@routes.get("/definitions/upload")
def upload_page(request: Request, actor: ActorDep) -> Response:
    authorization.require_deployer(actor)
    return render(request, "upload.html", problems=None, deployed=None)


@routes.post("/definitions/upload")
async def upload(request: Request, actor: ActorDep, form: FormDep) -> Response:
    """All or nothing, like POST /api/v1/deployments: every problem listed by file and line."""
    authorization.require_deployer(actor)
    files = []
    for item in form.getlist("files")[:MAX_FILES]:
        if isinstance(item, UploadFile) and item.filename:
            files.append(SourceFile(clean_file_name(item.filename), await item.read()))
    if not files:
        _ = gettext(request)
        return render(request, "upload.html", status_code=422, deployed=None,
                      problems=[{"file": "", "lines": [(None, _("Choose at least one file."), None)]}])
    engine = engine_of(request)
    try:
        result = await run_in_threadpool(lambda: engine.repository.deploy(files, by=actor))
    except DefinitionInvalid as invalid:
        return render(request, "upload.html", status_code=422, deployed=None,
                      problems=_by_file(invalid, {f.name: f.content for f in files}))
    return render(request, "upload.html", deployed=result.definitions, problems=None, notice=None)


def _by_file(invalid: DefinitionInvalid, contents: dict[str, bytes]) -> list[dict]:
    """Problems grouped by file, each with its line and that line's text from the upload."""
    grouped: dict[str, list[tuple[int | None, str, str | None]]] = {}
    for problem in invalid.problems:
        text = contents.get(problem.file)
        source_line = None
        if text is not None and problem.line:
            lines = text.decode("utf-8", errors="replace").splitlines()
            if 0 < problem.line <= len(lines):
                source_line = lines[problem.line - 1]
        grouped.setdefault(problem.file, []).append((problem.line, problem.message, source_line))
    return [{"file": name, "lines": lines} for name, lines in grouped.items()]


@routes.get("/definitions/{key}")
def definition_page(key: str, request: Request, actor: ActorDep,
                    version: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None) -> Response:
    engine = engine_of(request)
    definition = engine.repository.definition(key, version, by=actor)
    sources = engine.repository.definition_sources(key, definition["version"], by=actor)
    diagram = engine.repository.definition_diagram(key, definition["version"], by=actor,
                                                   locale=bcp47(locale_of(request)))
    return render(request, "definition.html", definition=definition, diagram=diagram,
                  sources=sources, suspension=engine.operations.definition_suspension(key, by=actor))


@routes.get("/definitions/{key}/source")
def source_page(key: str, request: Request, actor: ActorDep,
                name: Annotated[str, Query(max_length=500)],
                kind: Annotated[str, Query(max_length=20)] = "",
                version: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None) -> Response:
    engine = engine_of(request)
    definition = engine.repository.definition(key, version, by=actor)
    found = next((s for s in engine.repository.definition_sources(key, definition["version"], by=actor)
                  if s["name"] == name and (not kind or s["kind"] == kind)), None)
    if found is None:
        raise NotFound(f"{key} v{definition['version']} has no source file '{name}'")
    return render(request, "source.html", definition=definition, source=found)


@routes.get("/definitions/{key}/latest")
def latest(key: str, request: Request, actor: ActorDep) -> Response:
    return redirect(f"/definitions/{key}")
