"""Users and groups: admins find a user, change their groups, deactivate or reactivate
them, set their password, and manage an integration account's API keys; auditors and
designers read who is in which group.

Every action calls the engine's identity and account services, which decide who may do
it (``authorization.require_admin``, ``require_directory_reader``), exactly as the API and
the CLI do; a page only shows what the engine answers, refusals included.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Query, Request
from fastapi.responses import Response
from flowdesk.engine.errors import BadRequest, FieldError, InvalidData
from flowdesk.engine.identity import ROLE_GROUPS, Actor, authorization

from ..navigation import N_
from ..pages import ActorDep, FormDep, engine_of, gettext, redirect, render
from ._router import router

routes = router()
PAGE_SIZE = 50
NOTICES = {
    "groups": N_("The groups were saved."),
    "deactivated": N_("The user was deactivated."),
    "reactivated": N_("The user was reactivated."),
    "password": N_("The password was set."),
    "revoked": N_("The API key was revoked."),
}


@routes.get("/users")
def users_page(request: Request, actor: ActorDep, q: Annotated[str, Query(max_length=150)] = "",
               cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    page = engine_of(request).identity.list_users(by=actor, limit=PAGE_SIZE, cursor=cursor, search=q)
    next_url = f"/users?{urlencode({'q': q, 'cursor': page.next_cursor})}" if page.next_cursor else None
    return render(request, "users.html", users=page.items, q=q, next_url=next_url)


@routes.get("/users/{username}")
def user_page(username: str, request: Request, actor: ActorDep) -> Response:
    return _render(request, actor, username)


@routes.post("/users/{username}/groups")
def save_groups(username: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine = engine_of(request)
    typed = str(posted.get("groups") or "")[:5000]
    groups = [g.strip() for g in typed.replace(",", " ").split() if g.strip()]
    groups += [role for role in sorted(ROLE_GROUPS) if posted.get(f"role.{role}") == "on"]
    try:
        engine.identity.set_user_groups(username, groups, by=actor)
    except BadRequest as bad:  # a group name that is not valid: shown beside the field
        return _render(request, actor, username, {"/groups": bad.detail}, typed={"groups": typed}, status_code=422)
    return redirect(_back(username, "groups"))


@routes.post("/users/{username}/deactivate")
def deactivate(username: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    """The user's open tasks go back to their groups, or to the user named to take them over."""
    reassign_to = str(posted.get("reassign_to") or "").strip()[:150] if posted.get("tasks") == "user" else None
    try:
        engine_of(request).accounts.deactivate(username, by=actor, reassign_to=reassign_to)
    except InvalidData as invalid:
        return _render(request, actor, username, _errors(invalid), typed={"reassign_to": reassign_to or ""},
                       status_code=422)
    return redirect(_back(username, "deactivated"))


@routes.post("/users/{username}/reactivate")
def reactivate(username: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine_of(request).accounts.reactivate(username, by=actor)
    return redirect(_back(username, "reactivated"))


@routes.post("/users/{username}/password")
def set_password(username: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    password, repeated = str(posted.get("password") or ""), str(posted.get("password_again") or "")
    engine = engine_of(request)
    try:
        if password != repeated:
            engine.accounts.set_password(username, "", by=actor, dry_run=True)  # refusals come first
            raise InvalidData([FieldError("/password_again", "the two passwords differ")])
        engine.accounts.set_password(username, password[:2000], by=actor)
    except InvalidData as invalid:
        return _render(request, actor, username, _errors(invalid), status_code=422)
    return redirect(_back(username, "password"))


@routes.post("/users/{username}/api-keys")
def create_api_key(username: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    """The new key is in this answer only (pages are never cached); it cannot be shown again."""
    name = str(posted.get("name") or "")[:500]
    try:
        created = engine_of(request).accounts.create_api_key(username, name, by=actor)
    except InvalidData as invalid:
        return _render(request, actor, username, _errors(invalid), typed={"key_name": name}, status_code=422)
    return _render(request, actor, username, created_key=created)


@routes.post("/users/{username}/api-keys/{key_id}/revoke")
def revoke_api_key(username: str, key_id: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine_of(request).accounts.revoke_api_key(username, key_id, by=actor)
    return redirect(_back(username, "revoked"))


def _back(username: str, notice: str) -> str:
    return f"/users/{quote(username, safe='')}?notice={notice}"


def _errors(invalid: InvalidData) -> dict[str, str]:
    return {e.path: e.message for e in invalid.errors}


def _render(request: Request, actor: Actor, username: str, errors: dict[str, str] | None = None,
            typed: dict[str, str] | None = None, created_key: dict | None = None,
            status_code: int = 200) -> Response:
    engine = engine_of(request)
    user: dict[str, Any] = dict(engine.identity.get_user(username, by=actor))  # readers of the directory
    manages = authorization.has_role(actor, authorization.ADMIN)
    keys = engine.accounts.list_api_keys(username, by=actor) if manages else []
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return render(request, "user.html", status_code=status_code, user=user, keys=keys, manages=manages,
                  errors=errors or {},
                  typed=typed or {}, created_key=created_key, roles=sorted(ROLE_GROUPS),
                  business_groups=[g for g in user["groups"] if g not in ROLE_GROUPS],
                  notice=gettext(request)(notice) if notice else None)
