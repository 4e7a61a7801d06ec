"""Every error as an RFC 9457 problem document (``application/problem+json``).

Engine errors are typed (:mod:`flowdesk.engine.errors`) and carry their status; this
module only renders them. Refusals (401, 403) are audited as ``access.denied`` unless
the engine already recorded them with more context; anonymous ones are counted and only
sampled into the log (``engine/identity/refusals.py``). Bad input never ends in a 500:
malformed JSON is 400, a body or parameter that does not fit is 422, an unknown route
404, a wrong method 405; a database that cannot be reached 503 with ``Retry-After``; anything
unexpected is logged and answered with a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from flowdesk.engine.errors import DefinitionInvalid, FieldError, FlowdeskError, InvalidData
from flowdesk.engine.forms.reader_messages import field_message
from flowdesk.engine.languages import accepted_languages
from flowdesk.engine.persistence import failures
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .responses import ProblemResponse

log = logging.getLogger("flowdesk.api")
PROBLEM_BASE = "https://flowdesk.dev/problems/"
_STATUS_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-data", "Invalid data"),
    429: ("too-many-attempts", "Too many attempts"),
}


def problem(status: int, detail: str, slug: str | None = None, title: str | None = None,
            errors: Iterable[dict] | None = None, headers: dict[str, str] | None = None,
            instance: str | None = None) -> ProblemResponse:
    default_slug, default_title = _STATUS_SLUGS.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or default_slug),
        "title": title or default_title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = list(errors)
    return ProblemResponse(body, status_code=status, headers=headers)


def json_pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def field_errors(errors: Iterable[FieldError], locale: str = "en") -> list[dict]:
    """Each error as a dict, its ``message`` in ``locale`` (the form's or rule's own
    translation, else a known pattern's); ``translations`` stay as the form gave them."""
    return [{**e.as_dict(), "message": field_message(e.message, locale, e.translations)} for e in errors]


def accepted_locale(accept_language: str | None) -> str:
    """The locale of field messages for an ``Accept-Language``: ``zh-CN`` when Chinese is
    the most wanted language, else English (the engine's own wording)."""
    for tag in accepted_languages(accept_language):
        language = tag.lower().split("-")[0].split("_")[0]
        if language in ("zh", "en"):
            return "zh-CN" if language == "zh" else "en"
    return "en"


def _actor_name(request: Request) -> str:
    actor = getattr(request.state, "actor", None)
    return actor.username if actor is not None else "anonymous"


async def flowdesk_error(request: Request, err: FlowdeskError) -> ProblemResponse:
    headers: dict[str, str] = {}
    errors = None
    if isinstance(err, InvalidData):
        errors = field_errors(err.errors, accepted_locale(request.headers.get("accept-language")))
    elif isinstance(err, DefinitionInvalid):
        errors = [p.as_dict() for p in err.problems]
    if err.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = getattr(err, "retry_after", None)
    if retry_after is not None:  # 429 (too many attempts), 503 (database away)
        headers["Retry-After"] = str(retry_after)
    if err.status in (401, 403):
        engine = request.app.state.engine
        context = {"method": request.method, "path": request.url.path}
        try:
            address = request.client.host if request.client else None
            await run_in_threadpool(lambda: engine.identity.record_access_denied(_actor_name(request), err, context,
                                                                                 address))
        except Exception:  # the refusal stands even when it cannot be audited; say so in the log
            log.exception("could not audit a refused request to %s", request.url.path)
    return problem(err.status, err.detail, err.slug, err.title, errors, headers, instance=request.url.path)


def _validation_entry(error: dict) -> dict:
    loc = list(error.get("loc", ()))
    where = loc[0] if loc else "body"
    rest = loc[1:] if where in ("body", "query", "path", "header", "cookie") else loc
    entry = {"path": json_pointer(rest), "message": error.get("msg", "is not valid")}
    if where in ("query", "path", "header"):
        entry["in"] = where
    return entry


async def validation_error(request: Request, err: RequestValidationError) -> ProblemResponse:
    details = list(err.errors())
    if any(e.get("type") == "json_invalid" for e in details):
        return problem(400, "the body is not valid JSON", instance=request.url.path)
    return problem(422, "the request does not fit this endpoint's schema",
                   errors=[_validation_entry(e) for e in details], instance=request.url.path)


async def http_error(request: Request, err: StarletteHTTPException) -> ProblemResponse:
    status = err.status_code
    detail = err.detail if isinstance(err.detail, str) else _STATUS_SLUGS.get(status, ("", "Error"))[1]
    if status == 404 and detail == "Not Found":
        detail = f"there is no endpoint {request.method} {request.url.path}"
    return problem(status, detail, headers=getattr(err, "headers", None), instance=request.url.path)


async def database_error(request: Request, err: SQLAlchemyError) -> ProblemResponse:
    """A database error that reached the edge outside an engine transaction: an outage is
    503 with ``Retry-After``, a lost race 409; anything else is unexpected."""
    meaning = failures.translate(err)
    if isinstance(meaning, FlowdeskError):
        log.warning("%s %s: %s (%s)", request.method, request.url.path, meaning.detail, err.__class__.__name__)
        return await flowdesk_error(request, meaning)
    return await unexpected_error(request, err)


async def unexpected_error(request: Request, err: Exception) -> ProblemResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=err)
    return problem(500, "an unexpected error occurred; it has been logged", "internal-error", "Internal error",
                   instance=request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(FlowdeskError, flowdesk_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(SQLAlchemyError, database_error)
    app.add_exception_handler(Exception, unexpected_error)
