"""The HTTP application: FastAPI, thin, on top of :class:`ProcessEngine`.

Routers (``api/routers``, one per resource) read input, call one engine method and
answer; the engine decides who may do what (``engine/identity/authorization.py``) and raises typed
errors that :mod:`.problems` renders as RFC 9457 problem documents. See
``../shared/docs/api.md`` for the contract.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from flowdesk.engine.config import Settings
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.logs import configure_logging
from flowdesk.engine.process_engine import ProcessEngine
from flowdesk.engine.tuning import tune_process
from flowdesk.web.app import install as install_web

from . import docs, problems
from .bodies import REQUEST_MODELS
from .limits import BodySizeLimit
from .malformed import MalformedInput
from .observability import RequestObservability
from .responses import ExactJSONResponse
from .routers import (
    accounts,
    audit,
    auth,
    collaboration,
    definitions,
    deployments,
    external_tasks,
    files,
    instance_operations,
    instances,
    messages,
    operations,
    people,
    records,
    reports,
    tasks,
    users,
    webhooks,
)

VERSION = "0.1.0"
DESCRIPTION = """Flowdesk's HTTP API (v1): definitions and deployments, process instances, the task inbox,
messages and signals, history and audit, operations.

Get a token with `POST /api/v1/auth/token` (OAuth2 password form) and send it as
`Authorization: Bearer <token>`. Every error is an RFC 9457 problem document
(`application/problem+json`); validation errors list `errors[]` with a JSON Pointer `path`
into the submitted data (form fields: into `data`), or `file` and `line` for definition files.
Refusals follow the precedence 401, 404, 403, 409, 422. Amounts are exact decimals."""


def prepare(settings: Settings, demo: bool = False) -> list[str]:
    """Bring the schema up to date and deploy the configured definitions (before serving)."""
    engine = ProcessEngine(settings, migrate=True)
    try:
        result = engine.repository.deploy(settings.definitions, by=SYSTEM)
        lines = [f"deployed {d.key} v{d.version}{'' if d.created else ' (unchanged)'}" for d in result.definitions]
        if demo:
            from flowdesk.api.demo import create_demo_users, load_demo_data

            lines.extend(create_demo_users(engine))
            lines.extend(load_demo_data(engine))
        return lines
    finally:
        engine.close()


def create_app(engine: ProcessEngine) -> FastAPI:
    app = FastAPI(title="Flowdesk", version=VERSION, description=DESCRIPTION, openapi_url="/openapi.json",
                  docs_url=None, redoc_url=None, default_response_class=ExactJSONResponse)
    app.state.engine = engine
    problems.install(app)
    for module in (auth, users, accounts, deployments, definitions, instances, tasks, files, messages, records,
                   external_tasks, audit, reports, operations, instance_operations, people, webhooks, collaboration):
        app.include_router(module.routes)
    app.include_router(operations.metrics_routes)
    docs.install(app)  # /docs and /redoc from Flowdesk's own assets, under a CSP
    install_web(app)  # the web app's pages under /, on the same engine (see web/)
    app.add_middleware(MalformedInput)  # NUL, non-UTF-8, lone surrogates in path, query, headers, forms: 400
    app.add_middleware(BodySizeLimit, max_body_bytes=engine.settings.max_body_bytes,
                       max_upload_bytes=engine.settings.max_upload_bytes)
    app.add_middleware(RequestObservability)  # outermost: every answer, refusals too, has its request id

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, model in REQUEST_MODELS.items():
                definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(definition.pop("$defs", {}))
                components[name] = definition
            _errors_are_problem_documents(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
    return app


def _errors_are_problem_documents(schema: dict[str, Any]) -> None:
    """Every client error is documented as what it is: an application/problem+json Problem
    (FastAPI would describe 422s as its own validation error shape)."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and 400 <= int(status) < 500:
                    response["content"] = problem
                    if response.get("description") == "Validation Error":
                        response["description"] = "Well-formed but invalid; errors[] says where"
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)


def create_app_from_env() -> FastAPI:
    """The application for ``uvicorn --factory`` (one per worker process)."""
    settings = Settings.from_env()
    tune_process(settings)
    configure_logging(settings.log_format)
    return create_app(ProcessEngine(settings, migrate=False))
