"""Signing in through the configured OpenID Connect provider (engine/identity/oidc.py).

``/login/sso`` sends the browser to the provider with a pending sign-in kept in a short-
lived cookie; ``/login/sso/callback`` finishes it and starts the same session a password
login starts. Both answer 404 while single sign-on is not configured.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response
from flowdesk.engine.errors import Unauthorized

from .. import session
from ..pages import engine_of, gettext, render, safe_next
from ._router import router

routes = router()
PENDING_COOKIE = "flowdesk_sso"
CALLBACK = "/login/sso/callback"


@routes.get("/login/sso")
def start(request: Request, next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    engine = engine_of(request)
    redirect_uri = engine.sso.redirect_url(str(request.url_for("sso_callback")))
    try:
        started = engine.sso.begin(redirect_uri, safe_next(next))
    except Unauthorized as refused:
        return _failed(request, refused, safe_next(next))
    response = RedirectResponse(started.url, status_code=303)
    response.set_cookie(PENDING_COOKIE, started.pending, max_age=600, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/login/sso")
    return response


@routes.get(CALLBACK, name="sso_callback")
def callback(request: Request, code: Annotated[str, Query(max_length=4000)] = "",
             state: Annotated[str, Query(max_length=500)] = "",
             error: Annotated[str, Query(max_length=200)] = "") -> Response:
    engine = engine_of(request)
    pending = request.cookies.get(PENDING_COOKIE)
    try:
        if error or not code:
            engine.sso.finish(None, "", "")  # 404 when not configured; otherwise refused below
            raise Unauthorized(f"the provider did not sign you in ({error or 'no code'})")
        actor, target = engine.sso.finish(pending, state, code)
    except Unauthorized as refused:
        return _failed(request, refused, "/")
    response = RedirectResponse(safe_next(target), status_code=303)
    response.delete_cookie(PENDING_COOKIE, path="/login/sso")
    session.start_session(engine, actor, request, response)
    return response


def _failed(request: Request, refused: Unauthorized, target: str) -> Response:
    _ = gettext(request)
    response = render(request, "login.html", status_code=401, next=target, username="",
                      error=_("Single sign-on failed: %(reason)s", reason=refused.detail))
    response.delete_cookie(PENDING_COOKIE, path="/login/sso")
    return response
