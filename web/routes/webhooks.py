"""Webhooks for admins: subscribe a URL to events and read each one's delivery log."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from flowdesk.engine.errors import InvalidData
from flowdesk.engine.identity import authorization

from ..pages import ActorDep, FormDep, engine_of, redirect, render
from ._router import router

routes = router()


@routes.get("/webhooks")
def webhooks_page(request: Request, actor: ActorDep) -> Response:
    return _render(request, actor, {}, [])


@routes.post("/webhooks")
def create_webhook(request: Request, actor: ActorDep, posted: FormDep) -> Response:
    authorization.require_admin(actor, "manage webhooks")
    typed = {k: str(posted.get(k) or "").strip()[:2000] for k in ("url", "events", "secret")}
    events = [e.strip() for e in typed["events"].replace(",", " ").split() if e.strip()][:100]
    errors = []
    if len(typed["secret"]) < 16:
        errors.append("/secret")
    if not events:
        errors.append("/events")
    if not errors:
        try:
            engine_of(request).webhooks.create(typed["url"], events, typed["secret"], by=actor)
            return redirect("/webhooks")
        except InvalidData as invalid:
            errors = ["/" + e.path.split("/")[1] for e in invalid.errors if e.path.count("/")]
    return _render(request, actor, typed, errors, status_code=422)


def _render(request: Request, actor, typed: dict, errors: list[str], status_code: int = 200) -> Response:
    engine = engine_of(request)
    hooks = engine.webhooks.list(by=actor, limit=100).items
    logs = {h["id"]: engine.webhooks.deliveries(h["id"], by=actor, limit=10).items for h in hooks}
    return render(request, "webhooks.html", status_code=status_code, hooks=hooks, logs=logs, typed=typed,
                  errors=set(errors))
