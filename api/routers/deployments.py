"""Deploying definition files (designers and admins)."""

from __future__ import annotations

from fastapi import Request
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.errors import FieldError, InvalidData
from flowdesk.engine.identity import authorization

from ..bodies import IDEMPOTENCY_HEADER, file_digest, idempotent, read_multipart
from ..schemas import DeploymentOut
from ._common import ActorDep, EngineDep, ok, problems, router

routes = router("definitions")
MAX_FILES = 200

UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": ["files"],
            "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                                     "description": ".bpmn, .dmn, .yaml/.yml/.json (forms, UI hints)"}},
        }}},
    },
    "parameters": [IDEMPOTENCY_HEADER],
}


@routes.post("/deployments", status_code=201, response_model=DeploymentOut,
             responses=problems(400, 401, 403, 413, 415, 422), openapi_extra=UPLOAD_SCHEMA,
             summary="Deploy definition files, all or nothing")
async def deploy(request: Request, engine: EngineDep, actor: ActorDep):
    """Everything is validated first; any problem is a 422 listing every problem with its
    file and line, and nothing is deployed. Content identical to the latest version of a
    process creates no new version (``created: false``)."""
    authorization.require_deployer(actor)
    parts = await read_multipart(request, "files", MAX_FILES)
    if not parts:
        raise InvalidData([FieldError("/files", "upload at least one file in the 'files' field")])
    files = [SourceFile(name, content) for name, _media_type, content in parts]

    def run():
        result = engine.repository.deploy(files, by=actor)
        return ok({"id": result.id, "deployed_at": result.deployed_at.isoformat(),
                   "definitions": [{"key": d.key, "version": d.version, "created": d.created}
                                   for d in result.definitions],
                   "warnings": [{"file": w.file, "line": w.line, "message": w.message}
                                for w in getattr(result, "warnings", [])]}, 201)

    return await idempotent(request, actor, "|".join(f"{f.name}:{file_digest(f.content)}" for f in files), run)
