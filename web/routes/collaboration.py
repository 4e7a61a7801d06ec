"""Working together on the task page and in the inbox: comments, attachments, drafts,
delegation, due date and priority changes, saved filters, and file fields in forms."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from flowdesk.engine.errors import FlowdeskError, InvalidData, NotFound
from flowdesk.engine.identity import Actor
from flowdesk.engine.process_engine import ProcessEngine
from starlette.datastructures import FormData, UploadFile

from .. import forms
from ..pages import ActorDep, FormDep, engine_of, redirect, zone_of
from ._router import router

routes = router()
UPLOAD_SUFFIX = ".upload"
# Which web inbox parameter a saved filter's query parameter becomes.
INBOX_PARAMS = {"assignee": "assignee", "definition_key": "process", "business_key": "business_key", "sort": "sort"}


def panel(engine: ProcessEngine, actor: Actor, task: dict[str, Any]) -> dict[str, Any]:
    """What the task page shows below the form: comments, attachments, the caller's draft,
    on whose behalf the task is worked, its follow-up date, and what the caller may change."""
    extras = engine.collaboration.task_extras(task["id"], by=actor)
    comments = engine.collaboration.task_comments(task["id"], by=actor).items
    admin = "admin" in actor.groups
    return {**extras, "comments": comments, "may_delegate": task["status"] == "open" and (
        task["assignee"] == actor.username or admin), "may_change": task["status"] == "open" and admin}


def draft_raw(form: dict[str, Any] | None, draft: dict[str, Any] | None,
              zone: tzinfo = UTC) -> dict[str, str] | None:
    """A saved draft as the form's posted strings, to fill the form in again."""
    if not form or not draft:
        return None
    return forms.raw_from_data(form.get("schema") or {}, draft.get("data") or {}, zone=zone)


def store_uploads(engine: ProcessEngine, actor: Actor, posted: FormData, raw: dict[str, str]) -> None:
    """Files chosen in a form's file fields: uploaded, and their ids put in the fields."""
    for key, value in posted.multi_items():
        if key.endswith(UPLOAD_SUFFIX) and isinstance(value, UploadFile) and value.filename:
            value.file.seek(0)
            content = value.file.read()
            stored = engine.records.upload_file(value.filename, value.content_type, content, by=actor)
            raw[key[: -len(UPLOAD_SUFFIX)]] = stored["id"]


@routes.post("/tasks/{task_id}/comments")
def add_comment(task_id: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    text = str(posted.get("text") or "")[:10_000]
    try:
        engine_of(request).collaboration.add_task_comment(task_id, text, by=actor)
    except InvalidData:
        return redirect(f"/tasks/{task_id}?notice=comment_empty#comments")
    return redirect(f"/tasks/{task_id}#comments")


@routes.post("/tasks/{task_id}/attachments")
def add_attachment(task_id: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine = engine_of(request)
    upload = posted.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        upload.file.seek(0)
        content = upload.file.read()
        stored = engine.records.upload_file(upload.filename, upload.content_type, content, by=actor)
        engine.collaboration.add_attachment(task_id, stored["id"], by=actor)
    return redirect(f"/tasks/{task_id}#attachments")


@routes.post("/tasks/{task_id}/delegate")
def delegate(task_id: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    username = str(posted.get("username") or "").strip()[:150]
    try:
        engine_of(request).people.delegate_task(task_id, username, by=actor)
    except InvalidData:
        return redirect(f"/tasks/{task_id}?notice=not_eligible")
    return redirect("/?notice=delegated")


@routes.post("/tasks/{task_id}/change")
def change(task_id: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine = engine_of(request)
    zone = zone_of(request)  # the date-time inputs hold the user's wall-clock time
    changes: dict[str, Any] = {}
    try:
        for field in ("due_at", "follow_up_at"):
            text = str(posted.get(field) or "").strip()
            if text:
                changes[field] = datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)
        priority = str(posted.get("priority") or "").strip()
        if priority:
            changes["priority"] = int(priority)
        engine.collaboration.change_task(task_id, changes, by=actor)
    except (ValueError, InvalidData):
        return redirect(f"/tasks/{task_id}?notice=invalid_change")
    return redirect(f"/tasks/{task_id}?notice=changed")


@routes.post("/filters")
def save_filter(request: Request, actor: ActorDep, posted: FormDep) -> Response:
    """Save the inbox's current filters under a name (optionally shared with the user's groups)."""
    query: dict[str, Any] = {}
    for key, param in INBOX_PARAMS.items():
        value = str(posted.get(param) or "").strip()
        if value:
            query[key] = value
    due = str(posted.get("due_before") or "").strip()
    if due:
        query["due_before"] = due + "T00:00:00Z" if len(due) == 10 else due
    shared = [g for g in sorted(actor.groups) if posted.get("share") == "on" and g not in ("admin", "employees")]
    try:
        engine_of(request).collaboration.create_filter(str(posted.get("name") or "")[:200], query, shared, by=actor)
    except FlowdeskError:
        return redirect("/?notice=filter_invalid")
    return redirect("/?notice=filter_saved")


@routes.get("/filters/{filter_id}")
def open_filter(filter_id: str, request: Request, actor: ActorDep) -> Response:
    """The inbox with a saved filter's query."""
    saved = next((f for f in engine_of(request).collaboration.filters(by=actor).items if f["id"] == filter_id), None)
    if saved is None:
        raise NotFound(f"no filter with id '{filter_id}'")
    params = {INBOX_PARAMS[k]: v for k, v in saved["query"].items() if k in INBOX_PARAMS}
    if "due_before" in saved["query"]:
        params["due_before"] = saved["query"]["due_before"][:10]
    return redirect("/?" + urlencode(params))
