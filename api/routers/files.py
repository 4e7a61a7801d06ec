"""Files for form fields: upload, then put the id in the form data."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request, Response
from flowdesk.engine.errors import FieldError, InvalidData
from flowdesk.engine.identity import authorization
from starlette.concurrency import run_in_threadpool

from ..bodies import IDEMPOTENCY_HEADER, file_digest, idempotent, read_multipart
from ..schemas import FileOut
from ._common import ActorDep, EngineDep, ok, problems, router

routes = router("files")

UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}},
        }}},
    },
    "parameters": [IDEMPOTENCY_HEADER],
}


@routes.post("/files", status_code=201, response_model=FileOut, responses=problems(400, 401, 403, 413, 415, 422),
             openapi_extra=UPLOAD_SCHEMA, summary="Upload a file for a form field")
async def upload(request: Request, engine: EngineDep, actor: ActorDep):
    """One file in the field ``file``; stored once by content hash; the size limit is
    ``FLOWDESK_MAX_UPLOAD_BYTES`` (413 beyond it)."""
    authorization.require_uploader(actor)
    parts = await read_multipart(request, "file", 1)
    if len(parts) != 1:
        raise InvalidData([FieldError("/file", "upload exactly one file in the 'file' field")])
    name, media_type, content = parts[0]
    return await idempotent(request, actor, f"{name}:{media_type}:{file_digest(content)}", lambda: ok(
        engine.records.upload_file(name, media_type, content, by=actor), 201))


@routes.get("/files/{file_id}", responses={200: {"content": {"application/octet-stream": {}},
                                                 "description": "The file's bytes"},
                                           **problems(401, 404)},
            summary="Download a file (uploader, admins, auditors, readers of an instance that refers to it)")
async def download(file_id: str, engine: EngineDep, actor: ActorDep):
    meta, content = await run_in_threadpool(lambda: engine.records.read_file(file_id, by=actor))
    return Response(content, media_type=meta["media_type"], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta['name'])}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "ETag": f'"{meta["sha256"]}"',
    })
