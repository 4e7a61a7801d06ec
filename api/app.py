"""The HTTP application: FastAPI, thin, on top of :class:`ProcessEngine`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from flowdesk.engine.config import Settings
from flowdesk.engine.errors import FlowdeskError
from flowdesk.engine.process_engine import ProcessEngine


def prepare(settings: Settings, demo: bool = False) -> list[str]:
    """Bring the schema up to date and deploy the configured definitions (before serving)."""
    engine = ProcessEngine(settings, migrate=True)
    try:
        result = engine.deploy_paths(settings.definitions)
        lines = [f"deployed {d.key} v{d.version}{'' if d.created else ' (unchanged)'}" for d in result.definitions]
        if demo:
            from flowdesk.api.demo import create_demo_users

            lines.extend(create_demo_users(engine))
        return lines
    finally:
        engine.close()


def create_app(engine: ProcessEngine) -> FastAPI:
    app = FastAPI(title="Flowdesk", version="0.1.0", openapi_url="/openapi.json")
    app.state.engine = engine

    @app.exception_handler(FlowdeskError)
    async def problem(_request, err: FlowdeskError) -> JSONResponse:
        body = {"type": f"https://flowdesk.dev/problems/{err.slug}", "title": err.title,
                "status": err.status, "detail": err.detail}
        return JSONResponse(body, status_code=err.status, media_type="application/problem+json")

    @app.get("/api/v1/health")
    def health() -> dict:
        return engine.health()

    return app


def create_app_from_env() -> FastAPI:
    return create_app(ProcessEngine(Settings.from_env(), migrate=False))
