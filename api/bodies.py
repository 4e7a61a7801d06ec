"""Request bodies: exact JSON, validation that waits its turn, and ``Idempotency-Key``.

The contract orders refusals 401, 404, 403, 409, 422. FastAPI would validate a body
before the route runs, so a bad body on an unknown task would be 422 instead of 404.
Bodies are therefore read here, as exact JSON (decimals stay ``Decimal``), and checked
against their model without raising: the route asks the engine first whether the target
exists and may be acted on, and only then reports what is wrong with the body.
The models still describe the bodies in the OpenAPI document (:func:`json_request`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.responses import Response
from flowdesk.engine import values
from flowdesk.engine.errors import BadRequest, FieldError, InvalidData, UnsupportedMediaType
from flowdesk.engine.idempotency import StoredResponse, fingerprint
from flowdesk.engine.identity import Actor
from flowdesk.engine.process_engine import ProcessEngine
from flowdesk.engine.records.files import clean_file_name
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from .malformed import check_json
from .problems import json_pointer

M = TypeVar("M", bound=BaseModel)

#: Models whose JSON Schema the OpenAPI document lists under components (see app.py).
REQUEST_MODELS: dict[str, type[BaseModel]] = {}
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Retrying with the same key and the same body returns the first response "
                   "instead of acting twice; the same key with a different body is refused with 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}


def _finite(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and Infinity are not JSON numbers")
    if isinstance(value, dict):
        for item in value.values():
            _finite(item)
    elif isinstance(value, list):
        for item in value:
            _finite(item)


def _integer(text: str) -> int | Decimal:
    """A JSON integer; past Python's limit for converting text to int (4,300 digits) a
    Decimal, so that a long number is an out-of-range value (422), not invalid JSON (400)."""
    return int(text) if len(text) <= 4000 else Decimal(text)


def parse_json(raw: bytes) -> Any:
    """Exact JSON (as :func:`flowdesk.engine.values.loads`: decimals stay ``Decimal``, and so
    do integers too long for an int), refusing what JSON does not have (NaN, Infinity) with 400."""
    try:
        value = json.loads(raw, parse_float=Decimal, parse_int=_integer)
        _finite(value)
    except (ValueError, RecursionError) as err:
        raise BadRequest(f"the body is not valid JSON: {err}") from None
    check_json(value)  # NUL and lone surrogates: 400, as everywhere at the edge (malformed.py)
    return value


@dataclass
class Body(Generic[M]):
    """A body read and checked; ``errors`` empty when it fits its model."""

    value: M | None
    raw: Any
    errors: list[FieldError] = field(default_factory=list)

    def valid(self) -> M:
        if self.errors:
            raise InvalidData(self.errors)
        assert self.value is not None
        return self.value


def validation_errors(err: ValidationError) -> list[FieldError]:
    return [FieldError(json_pointer(e["loc"]), e["msg"]) for e in err.errors()]


def json_body(model: type[M], required: bool = True) -> Callable[..., Any]:
    """A dependency reading the JSON body as ``model`` (400 when it is not JSON at all)."""
    REQUEST_MODELS[model.__name__] = model

    async def read(request: Request) -> Body[M]:
        raw_bytes = await request.body()
        if not raw_bytes.strip():
            if required:
                return Body(None, None, [FieldError("", "a JSON body is required")])
            raw_bytes = b"{}"
        content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(f"send the body as application/json, not {content_type}")
        raw = parse_json(raw_bytes)
        try:
            return Body(model.model_validate(raw), raw)
        except ValidationError as err:
            return Body(None, raw, validation_errors(err))

    return read


def json_request(model: type[BaseModel], required: bool = True, idempotent: bool = False) -> dict:
    """``openapi_extra`` describing a JSON body read by :func:`json_body`."""
    REQUEST_MODELS[model.__name__] = model
    extra: dict[str, Any] = {"requestBody": {
        "required": required,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
    }}
    if idempotent:
        extra["parameters"] = [IDEMPOTENCY_HEADER]
    return extra


def canonical(raw: Any) -> str:
    return json.dumps(values.encode(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def idempotent(request: Request, actor: Actor, request_body: str,
                     run: Callable[[], Response]) -> Response:
    """Run a creating request once per ``Idempotency-Key`` (see flowdesk.engine.idempotency).

    ``run`` is synchronous (it calls the engine) and runs in the thread pool."""
    engine: ProcessEngine = request.app.state.engine
    key = request.headers.get("idempotency-key")
    if key is None:
        return await run_in_threadpool(run)
    if not 1 <= len(key) <= 255 or not all(0x21 <= ord(c) <= 0x7E for c in key):
        raise BadRequest("Idempotency-Key must be 1-255 visible ASCII characters")
    marker = fingerprint(request.method, request.url.path, request.url.query, request_body)
    stored = await run_in_threadpool(lambda: engine.idempotency.begin(actor.username, key, marker))
    if stored is not None:
        return Response(stored.body, status_code=stored.status_code, media_type=stored.media_type,
                        headers={"Idempotent-Replayed": "true"})
    try:
        response = await run_in_threadpool(run)
    except BaseException:
        await run_in_threadpool(lambda: engine.idempotency.release(actor.username, key))
        raise
    if 200 <= response.status_code < 300:
        saved = StoredResponse(response.status_code, response.media_type or "application/json",
                               bytes(response.body).decode("utf-8"))
        await run_in_threadpool(lambda: engine.idempotency.finish(actor.username, key, saved))
    else:
        await run_in_threadpool(lambda: engine.idempotency.release(actor.username, key))
    return response


async def read_multipart(request: Request, field_name: str, max_files: int) -> list[tuple[str, str | None, bytes]]:
    """The files of one multipart field as (file name, declared media type, bytes).

    415 when the body is not multipart, 400 when it is malformed, 422 when the field holds
    something else than files."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise UnsupportedMediaType(f"send the files as multipart/form-data, not {content_type or 'nothing'}")
    try:
        form = await request.form(max_files=max_files, max_fields=max_files)
    except MultiPartException as err:
        raise BadRequest(f"the multipart body is malformed: {err.message}") from None
    files = []
    try:
        for index, item in enumerate(form.getlist(field_name)):
            if not isinstance(item, UploadFile):
                raise InvalidData([FieldError(f"/{field_name}/{index}", "must be a file, not a text field")])
            files.append((clean_file_name(item.filename), item.content_type, await item.read()))
    finally:
        await form.close()
    return files
