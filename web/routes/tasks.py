"""A task: its context, its form, and completing it."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response
from flowdesk.engine.errors import FieldError, InvalidData
from flowdesk.engine.identity import Actor, authorization
from flowdesk.engine.instances.tasks import InboxQuery
from flowdesk.engine.process_engine import ProcessEngine

from .. import forms
from ..navigation import N_
from ..pages import ActorDep, FormDep, engine_of, locale_of, redirect, render, zone_of
from . import collaboration
from ._router import router

routes = router()
#: How long completing a task waits for background work to open the user's next task.
NEXT_TASK_WAIT_SECONDS = 2.0


@routes.get("/tasks/{task_id}")
def task_page(task_id: str, request: Request, actor: ActorDep,
              data: Annotated[str, Query(max_length=10)] = "") -> Response:
    """The task's summary and form; ``?data=all`` adds the raw process data for auditors and
    admins (403 for everyone else: internal variables are not for the person doing the task)."""
    detail = engine_of(request).tasks.task_detail(task_id, by=actor, all_data=data == "all")
    form = detail.get("form") or {}
    # Defaults, and for a revision form what the process has now (see forms.initial_raw).
    raw = forms.initial_raw(form.get("schema") or {}, detail.get("data") or {}, zone_of(request))
    raw = collaboration.draft_raw(form, engine_of(request).collaboration.task_extras(task_id, by=actor)["draft"],
                                    zone_of(request)) or raw
    _ensure_rows(form, raw)
    return _render(request, actor, detail, raw, [], all_data=data == "all")


@routes.post("/tasks/{task_id}")
def submit_task(task_id: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine = engine_of(request)
    detail = engine.tasks.task_detail(task_id, by=actor)
    form = detail.get("form") or {}
    raw = forms.raw_from_post(posted)
    collaboration.store_uploads(engine, actor, posted, raw)
    action = posted.get("_action")
    if isinstance(action, str) and forms.apply_action(raw, action):
        return _render(request, actor, detail, raw, [])
    data = forms.parse(form.get("schema") or {}, form.get("ui"), raw, zone=zone_of(request)) if form else {}
    if action == "draft":  # kept for this user alone, not checked: finished later
        engine.collaboration.save_draft(task_id, data, by=actor)
        return redirect(f"/tasks/{task_id}?notice=draft_saved")
    try:
        result = engine.tasks.complete_task(task_id, data, by=actor)
    except InvalidData as invalid:
        return _render(request, actor, detail, raw, invalid.errors, status_code=422)
    following = next_task(engine, actor, result["instance"])
    if following is not None and _sent_back(engine, actor, following, detail):
        # The process checked the input and gave the same step back: not a green "completed"
        # and an empty form, but what was typed, kept as this user's draft of the new task.
        engine.collaboration.save_draft(following, data, by=actor)
        return redirect(f"/tasks/{following}?notice=sent_back")
    if following is not None:
        return redirect(f"/tasks/{following}?notice=completed")
    return redirect("/?notice=completed")


def _sent_back(engine: ProcessEngine, actor: Actor, following: str, done: dict[str, Any]) -> bool:
    """Whether the user's next task is the step they just completed, again theirs."""
    task = engine.tasks.get_task(following, by=actor)
    return task["element_id"] == done["element_id"] and task["assignee"] in (None, actor.username)


def next_task(engine: ProcessEngine, actor: Actor, instance: dict[str, Any]) -> str | None:
    """The user's next task in the same instance: one in their inbox (which already leaves out
    tasks separation of duties bars them from), their own before their groups'.

    When the instance went on to background work that is due now (a service call, an e-mail)
    and has no open task yet, wait a moment for the worker: the next form is usually a second
    away. An instance waiting for a timer or a message is not waited for."""
    waits = (instance["status"] == "running" and not instance["open_tasks"]
             and engine.instances.has_work_due(instance["id"], by=actor))
    deadline = time.monotonic() + (NEXT_TASK_WAIT_SECONDS if waits else 0)
    while True:
        tasks = engine.tasks.inbox(InboxQuery(instance_id=instance["id"], limit=10), by=actor).items
        mine = [t for t in tasks if t["assignee"] == actor.username]
        chosen = (mine or tasks or [None])[0]
        if chosen is not None:
            return chosen["id"]
        if time.monotonic() >= deadline or engine.instances.get_instance(instance["id"], by=actor)["open_tasks"]:
            return None
        time.sleep(0.2)


def _ensure_rows(form: dict[str, Any], raw: dict[str, str]) -> None:
    """An empty line table starts with one row (a form asking for lines wants at least one)."""
    for widget in forms.build(form.get("schema") or {}, form.get("ui"), raw, "en").widgets:
        if widget.kind == "table" and f"{widget.name}.{forms.ROWS}" not in raw:
            raw[f"{widget.name}.{forms.ROWS}"] = "1"


def _render(request: Request, actor: Actor, detail: dict[str, Any], raw: dict[str, str],
            errors: list[FieldError], status_code: int = 200, all_data: bool = False) -> Response:
    form = detail.get("form")
    view = forms.build(form["schema"], form.get("ui"), raw, locale_of(request), errors, detail.get("data")) \
        if form else None
    mine = detail["assignee"] == actor.username
    # The process as people know it (its translated name), not its key.
    process = engine_of(request).repository.texts(detail["definition_key"], detail["definition_version"], by=actor)
    return render(request, "task.html", status_code=status_code, task=detail, form=view, process=process,
                  may_read_all_data=authorization.may_read_all_task_data(actor),
                  all_data=detail.get("data") or {} if all_data else None,
                  mine=mine, claimable=detail["assignee"] is None, errors=errors,
                  collab=collaboration.panel(engine_of(request), actor, detail),
                  action=f"/tasks/{detail['id']}", submit_label=N_("Complete"))
