"""Starting a process from its start form, "my requests", and an instance's page."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response
from flowdesk.engine.errors import Conflict, FieldError, FlowdeskError, InvalidData
from flowdesk.engine.identity import authorization

from .. import forms
from ..i18n import bcp47
from ..pages import ActorDep, FormDep, engine_of, locale_of, redirect, render, zone_of
from . import collaboration
from ._router import router
from .tasks import next_task

routes = router()
PAGE_SIZE = 25


@routes.get("/processes")
def processes(request: Request, actor: ActorDep) -> Response:
    """The processes this user may start (the engine's start check decides), leaving out
    those people do not start: helpers only a message, a timer or another process starts."""
    engine = engine_of(request)
    startable = []
    for summary in engine.repository.list_definitions(by=actor, limit=500).items:
        if not summary["started_by_people"]:
            continue
        try:
            engine.instances.start_instance(summary["key"], {}, by=actor, version=None, dry_run=True)
        except FlowdeskError:
            continue
        startable.append(engine.repository.definition(summary["key"], None, by=actor))
    return render(request, "processes.html", definitions=startable)


@routes.get("/processes/{key}/start")
def start_page(key: str, request: Request, actor: ActorDep) -> Response:
    engine = engine_of(request)
    engine.instances.start_instance(key, {}, by=actor, version=None, dry_run=True)
    definition = engine.repository.definition(key, None, by=actor)
    if not definition["started_by_people"]:
        raise Conflict(f"process '{key}' is started by other processes, not by hand")
    form = definition.get("start_form") or {}
    raw = forms.initial_raw(form.get("schema") or {}, {}, zone_of(request))
    for widget in forms.build(form.get("schema") or {}, form.get("ui"), raw, "en").widgets:
        if widget.kind == "table":
            raw[f"{widget.name}.{forms.ROWS}"] = "1"
    return _render(request, definition, raw, [], "")


@routes.post("/processes/{key}/start")
def start(key: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine = engine_of(request)
    definition = engine.repository.definition(key, None, by=actor)
    form = definition.get("start_form") or {}
    raw = forms.raw_from_post(posted)
    collaboration.store_uploads(engine, actor, posted, raw)
    business_key = str(posted.get("business_key") or "").strip()[:255]
    action = posted.get("_action")
    if isinstance(action, str) and forms.apply_action(raw, action):
        return _render(request, definition, raw, [], business_key)
    data = forms.parse(form.get("schema") or {}, form.get("ui"), raw, zone=zone_of(request)) if form else {}
    try:
        instance = engine.instances.start_instance(key, data, by=actor, business_key=business_key or None,
                                                   version=definition["version"])
    except InvalidData as invalid:
        return _render(request, definition, raw, invalid.errors, business_key, status_code=422)
    if instance["status"] == "failed":  # not a green "started" beside a request that stopped at once
        return redirect(f"/instances/{instance['id']}?notice=start_failed")
    following = next_task(engine, actor, instance)
    if following is not None:
        return redirect(f"/tasks/{following}?notice=started")
    return redirect(f"/instances/{instance['id']}?notice=started")


def _render(request: Request, definition: dict[str, Any], raw: dict[str, str], errors: list[FieldError],
            business_key: str, status_code: int = 200) -> Response:
    form = definition.get("start_form")
    view = forms.build(form["schema"], form.get("ui"), raw, locale_of(request), errors) if form else None
    return render(request, "start.html", status_code=status_code, definition=definition, form=view,
                  business_key=business_key, action=f"/processes/{definition['key']}/start")


@routes.get("/requests")
def my_requests(request: Request, actor: ActorDep,
                status: Annotated[str, Query(max_length=20)] = "",
                cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    """The instances I started, newest first, with where each stands (its open tasks)."""
    engine = engine_of(request)
    status = status if status in ("running", "completed", "cancelled", "failed") else ""
    page = engine.instances.list_instances(by=actor, started_by=actor.username, status=status or None, limit=PAGE_SIZE,
                                           cursor=cursor, top_level=True)  # called processes show on their caller
    next_url = "/requests?" + urlencode({**({"status": status} if status else {}), "cursor": page.next_cursor}) \
        if page.next_cursor else None
    return render(request, "requests.html", instances=page.items, status=status, next_url=next_url,
                  counts=engine.instances.status_counts(by=actor, started_by=actor.username))


@routes.post("/instances/{instance_id}/cancel")
def cancel(instance_id: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    """Withdraw a running request (its starter) or stop any instance (admins, with a reason):
    the engine decides, as for POST /api/v1/instances/{id}/cancel."""
    reason = str(posted.get("reason") or "").strip()[:2000]
    engine_of(request).instances.cancel_instance(instance_id, by=actor, reason=reason)
    return redirect(f"/instances/{instance_id}?notice=cancelled")


@routes.get("/instances/{instance_id}")
def instance_page(instance_id: str, request: Request, actor: ActorDep,
                  cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    """An instance: its data, the diagram with completed, active and failed elements, and
    the timeline of its audit events. Who may see it is the engine's call (404 otherwise)."""
    engine = engine_of(request)
    instance = engine.instances.get_instance(instance_id, by=actor)
    drawn = engine.instances.instance_diagram(instance_id, by=actor, locale=bcp47(locale_of(request)))
    history = engine.history.instance_history(instance_id, by=actor, limit=200, cursor=cursor,
                                              locale=bcp47(locale_of(request)))
    next_url = f"/instances/{instance_id}?" + urlencode({"cursor": history.next_cursor}) \
        if history.next_cursor else None
    auditor = authorization.has_role(actor, authorization.AUDITOR, authorization.ADMIN)
    may_cancel = _may_cancel(engine, instance, actor)
    # The process and its tasks as people know them (translated names), not their ids.
    process = engine.repository.texts(instance["definition_key"], instance["definition_version"], by=actor)
    return render(request, "instance.html", instance=instance, diagram=drawn.svg, states=drawn.states,
                  process=process, task_texts={t["element_id"]: t for t in process["user_tasks"]},
                  events=history.items, next_url=next_url, auditor=auditor, may_cancel=may_cancel,
                  export_query=urlencode({"instance_id": instance_id}))


def _may_cancel(engine, instance: dict[str, Any], actor) -> bool:
    """Whether to offer "Cancel": the engine's own checks, run dry (who may cancel, whether the
    instance can end, whether its parent waits for it), so the button never leads to a refusal."""
    if instance["status"] in ("completed", "cancelled"):
        return False
    try:
        engine.instances.cancel_instance(instance["id"], by=actor, reason="", dry_run=True)
    except FlowdeskError:
        return False
    return True
