"""Mounting the web app on the API's FastAPI application (same server, same port, under ``/``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .routes import (
    audit,
    auth,
    collaboration,
    console,
    designer,
    inbox,
    operations,
    people,
    reports,
    requests,
    sso,
    tasks,
    users,
    webhooks,
)

STATIC = Path(__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    """Add the pages and ``/static`` to ``app`` (whose ``state.engine`` they use)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, sso, inbox, tasks, requests, operations, designer, audit, reports, people, webhooks,
                   collaboration, users, console):
        app.include_router(module.routes)
