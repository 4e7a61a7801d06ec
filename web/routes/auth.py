"""Logging in and out, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response
from flowdesk.engine.errors import TooManyAttempts, Unauthorized

from .. import i18n, session
from ..pages import FormDep, engine_of, gettext, optional_actor, redirect, render, safe_next
from ._router import router

routes = router()


@routes.get("/login")
def login_page(request: Request, next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    if optional_actor(request) is not None:
        return redirect(safe_next(next))
    return render(request, "login.html", next=safe_next(next), username="", error=None)


@routes.post("/login")
def login(request: Request, form: FormDep) -> Response:
    """engine.login checks the password and throttles repeated failures, as for the API."""
    username = str(form.get("username") or "").strip()[:150]
    password = str(form.get("password") or "")[:1024]
    target = safe_next(str(form.get("next") or "/"))
    engine = engine_of(request)
    _ = gettext(request)
    try:
        actor = engine.identity.login(username, password, request.client.host if request.client else None)
    except Unauthorized:
        return render(request, "login.html", status_code=401, next=target, username=username,
                      error=_("Wrong username or password."))
    except TooManyAttempts as locked:
        response = render(request, "login.html", status_code=429, next=target, username=username,
                          error=_("Too many failed attempts; try again in %(seconds)s seconds.",
                                  seconds=locked.retry_after))
        response.headers["Retry-After"] = str(locked.retry_after)
        return response
    response = redirect(target)
    session.start_session(engine, actor, request, response)
    return response


@routes.post("/logout")
def logout(request: Request, form: FormDep) -> Response:
    response = redirect("/login?notice=logged_out")
    session.end_session(engine_of(request), request, response)
    return response


@routes.get("/locale")
def switch_locale(request: Request, to: Annotated[str, Query(max_length=20)] = "en",
                  next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    """Remember the chosen language (a preference, not a state change: no CSRF token needed)."""
    response = redirect(safe_next(next))
    chosen = i18n.normalise(to)
    if chosen:
        response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax", httponly=True, path="/")
    return response
