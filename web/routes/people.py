"""The user's own page: preferences (e-mail, language, time zone, notifications, digest),
the substitute who takes their new tasks while they are away, and their password."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import Request
from fastapi.responses import Response
from flowdesk.engine import local_time
from flowdesk.engine.collaboration.preferences import DIGESTS, NOTIFICATION_KINDS
from flowdesk.engine.errors import FieldError, InvalidData

from .. import i18n
from ..navigation import N_
from ..pages import ActorDep, FormDep, engine_of, redirect, render
from ..session import SESSION_COOKIE
from ._router import router

routes = router()
NOTIFICATION_LABELS = {
    "assigned": N_("A task is assigned to me"),
    "group_task": N_("A new task for one of my groups"),
    "due_soon": N_("A task of mine is due soon"),
    "overdue": N_("A task of mine is overdue"),
    "escalated": N_("A task was escalated"),
}
# Offered first in the time-zone select: where Flowdesk's users mostly work.
COMMON_ZONES = ("Asia/Shanghai", "UTC", "Europe/Berlin", "America/New_York", "Asia/Hong_Kong", "Asia/Singapore",
                "Asia/Tokyo", "Europe/London", "America/Los_Angeles")
DIGEST_LABELS = {"off": N_("Every notification at once"), "hourly": N_("Group tasks once an hour"),
                 "daily": N_("Group tasks once a day")}


@routes.get("/preferences")
def preferences_page(request: Request, actor: ActorDep) -> Response:
    engine = engine_of(request)
    return _render(request, engine.people.preferences(by=actor), engine.people.substitute(by=actor), [])


@routes.post("/preferences")
def save_preferences(request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine = engine_of(request)
    changes: dict[str, Any] = {
        "email": str(posted.get("email") or "").strip()[:320],
        "locale": str(posted.get("locale") or ""),
        "time_zone": str(posted.get("time_zone") or "").strip()[:64],
        "notifications": {kind: posted.get(f"notify.{kind}") == "on" for kind in NOTIFICATION_KINDS},
        "digest": str(posted.get("digest") or "off"),
    }
    try:
        saved = engine.people.save_preferences(changes, by=actor)
    except InvalidData as invalid:
        return _render(request, {**engine.people.preferences(by=actor), **changes},
                       engine.people.substitute(by=actor), invalid.errors, status_code=422)
    response = redirect("/preferences?notice=saved")
    chosen = i18n.normalise(saved["locale"])
    if chosen:  # pages follow the saved language from now on
        response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax", httponly=True, path="/")
    return response


@routes.post("/preferences/substitute")
def save_substitute(request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine = engine_of(request)
    if posted.get("_action") == "remove":
        if engine.people.substitute(by=actor) is not None:
            engine.people.clear_substitute(by=actor)
        return redirect("/preferences?notice=saved")
    prefs = engine.people.preferences(by=actor)
    zone = local_time.zone(prefs["time_zone"], engine.settings.time_zone)
    errors: list[FieldError] = []
    moments = {}
    for field in ("from", "until"):
        text = str(posted.get(field) or "").strip()
        try:
            moments[field] = datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC) if text else None
        except ValueError:
            errors.append(FieldError(f"/{field}", "is not a date and time"))
    username = str(posted.get("username") or "").strip()[:150]
    if not errors:
        try:
            engine.people.set_substitute(username, moments["from"], moments["until"], by=actor)
            return redirect("/preferences?notice=saved")
        except InvalidData as invalid:
            errors = invalid.errors
    typed = {"substitute": username, "from": posted.get("from") or "", "until": posted.get("until") or "",
             "active": False, "typed": True}
    return _render(request, prefs, typed, errors, status_code=422)


@routes.post("/preferences/password")
def change_password(request: Request, actor: ActorDep, posted: FormDep) -> Response:
    """The engine checks the current password and the new one's length; every other session of
    the user (API tokens, other browsers) ends, this one stays."""
    engine = engine_of(request)
    current = str(posted.get("current_password") or "")[:2000]
    password, repeated = str(posted.get("password") or "")[:2000], str(posted.get("password_again") or "")[:2000]
    try:
        if password != repeated:
            raise InvalidData([FieldError("/password_again", "the two passwords differ")])
        engine.accounts.change_password(current, password, by=actor, current_token=request.cookies.get(SESSION_COOKIE))
    except InvalidData as invalid:
        return _render(request, engine.people.preferences(by=actor), engine.people.substitute(by=actor),
                       invalid.errors, status_code=422)
    return redirect("/preferences?notice=password")


@cache
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones() - {"localtime", "Factory"}))


def _zone_choice(name: str, now: datetime) -> dict[str, str]:
    """A select option: the zone's name with its offset now (``Asia/Shanghai (UTC+08:00)``)."""
    offset = now.astimezone(ZoneInfo(name)).strftime("%z")
    return {"value": name, "label": f"{name} (UTC{offset[:3]}:{offset[3:]})"}


def _render(request: Request, prefs: dict, substitute: dict | None, errors: list[FieldError],
            status_code: int = 200) -> Response:
    engine = engine_of(request)
    zone = local_time.zone(prefs.get("time_zone"), engine.settings.time_zone)
    now = engine.clock.now()
    common = [_zone_choice(name, now) for name in COMMON_ZONES if name in _all_zones()]
    others = [_zone_choice(name, now) for name in _all_zones() if name not in COMMON_ZONES]
    shown = dict(substitute or {})
    if substitute and not substitute.get("typed"):
        for field in ("from", "until"):  # as the user's own wall-clock time, for the datetime-local input
            if substitute.get(field):
                shown[field] = datetime.fromisoformat(substitute[field]).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    return render(request, "preferences.html", status_code=status_code, prefs=prefs, substitute=shown,
                  errors={e.path: e.message for e in errors}, kinds=NOTIFICATION_LABELS, digests=DIGEST_LABELS,
                  digest_order=DIGESTS, common_zones=common, other_zones=others,
                  saved=request.query_params.get("notice") == "saved",
                  password_changed=request.query_params.get("notice") == "password")
