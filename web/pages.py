"""What every page shares: the acting user, the locale, CSRF-checked forms and rendering.

Web routes use :class:`WebRoute`, which turns the engine's typed errors into HTML pages
(the API's handlers would answer problem+json) and sends anonymous visitors to the login
page. The engine is the only authority on permissions: pages call its methods and show
what they refuse; the navigation merely hides links a role cannot use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from flowdesk.engine import local_time
from flowdesk.engine.errors import FlowdeskError, TooManyAttempts, Unauthorized
from flowdesk.engine.identity import Actor
from flowdesk.engine.process_engine import ProcessEngine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from . import i18n, session
from .navigation import navigation

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.globals.update(LOCALES=i18n.LOCALES, bcp47=i18n.bcp47)
# Instance data holds exact decimals; show them as written.
_ENV.policies["json.dumps_kwargs"] = {"default": str, "ensure_ascii": False, "sort_keys": False}


# Pages hold personal data (no caching), run only our own script (inline SVG needs inline
# styles), and may not be framed by another site (clickjacking a "Complete" button).
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class LoginRequired(Exception):
    """No valid session: the visitor is sent to the login page."""


class CsrfRefused(FlowdeskError):
    status, slug, title = 403, "csrf", "Form expired"


def engine_of(request: Request) -> ProcessEngine:
    return request.app.state.engine


def locale_of(request: Request) -> str:
    cached = getattr(request.state, "locale", None)
    if cached is None:
        cached = i18n.negotiate(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))
        request.state.locale = cached
    return cached


def zone_of(request: Request) -> tzinfo:
    """The zone the page shows times in: the user's preference, else ``FLOWDESK_TIME_ZONE``."""
    cached = getattr(request.state, "zone", None)
    if cached is None:
        engine = engine_of(request)
        actor = getattr(request.state, "actor", None)
        name = engine.people.preferences(by=actor)["time_zone"] if actor is not None else engine.settings.time_zone
        cached = request.state.zone = local_time.zone(name, engine.settings.time_zone)
    return cached


def gettext(request: Request) -> Callable[..., str]:
    """``_("Hello %(name)s", name=...)``: the locale's translation, then named formatting."""
    catalogue = i18n.translations(locale_of(request))

    def _(message: str, **values: Any) -> str:
        text = catalogue.gettext(message)
        return text % values if values else text

    return _


def ngettext(request: Request) -> Callable[..., str]:
    catalogue = i18n.translations(locale_of(request))

    def n_(singular: str, plural: str, count: int, **values: Any) -> str:
        return catalogue.ngettext(singular, plural, count) % {"num": count, **values}

    return n_


def current_actor(request: Request) -> Actor:
    """Dependency: the logged-in user with their groups as of now."""
    engine = engine_of(request)
    username = session.session_username(engine, request)
    if username is None:
        raise LoginRequired
    try:
        actor = engine.identity.authenticated(username)
    except Unauthorized:
        raise LoginRequired from None
    request.state.actor = actor
    return actor


def optional_actor(request: Request) -> Actor | None:
    try:
        return current_actor(request)
    except LoginRequired:
        return None


async def posted_form(request: Request) -> FormData:
    """Dependency: the submitted form, refused unless it carries this session's CSRF token."""
    form = await request.form()
    submitted = form.get(session.CSRF_FIELD)
    if not session.csrf_valid(engine_of(request), request, submitted if isinstance(submitted, str) else None):
        raise CsrfRefused("the form has expired or did not come from this site; reload the page and try again")
    return form


ActorDep = Annotated[Actor, Depends(current_actor)]
FormDep = Annotated[FormData, Depends(posted_form)]


# -- rendering -----------------------------------------------------------------------------------
def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    engine = engine_of(request)
    locale = locale_of(request)
    actor = getattr(request.state, "actor", None)
    context.setdefault("notice", notice(request))
    context.setdefault("notice_warning", request.query_params.get("notice", "") in WARNING_NOTICES)
    page = _ENV.get_template(template).render(
        request=request, actor=actor, locale=locale, lang=i18n.bcp47(locale), _=gettext(request),
        ngettext=ngettext(request), fmt=i18n.Formatter(locale, zone_of(request)), nav=navigation(actor),
        csrf_field=session.CSRF_FIELD, csrf_token=session.csrf_token(engine, request),
        here=here(request), t=lambda node, key, default=None: i18n.localized(node, key, locale, default),
        tr=lambda item, key: i18n.translated(item, key, locale),
        # groups by their display names in the page's language: group(id), groups([ids]) joined
        group=lambda name: engine.identity.group_names.name(name, i18n.bcp47(locale)),
        groups=lambda names: ", ".join(engine.identity.group_names.name(n, i18n.bcp47(locale)) for n in names or ()),
        **context,
    )
    response = HTMLResponse(page, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


#: Notices that report something gone differently than the user meant (not shown in green).
WARNING_NOTICES = frozenset({"start_failed", "sent_back"})


def notice(request: Request) -> str | None:
    """The confirmation a redirect asked for (``?notice=completed``), from a fixed list."""
    _ = gettext(request)
    messages = {
        "completed": _("Task completed."),
        "sent_back": _("Not done yet: the process checked what you entered and gave this task back to you. "
                       "The summary says what to change; your input is kept below."),
        "started": _("Your request was started."),
        "start_failed": _("Your request was started but stopped at once with an error: see its history."),
        "claimed": _("The task is yours now."),
        "unclaimed": _("The task is back in its group's inbox."),
        "deployed": _("Deployed."),
        "cancelled": _("The request was cancelled."),
        "logged_out": _("You are logged out."),
        "suspended": _("Suspended."),
        "resumed": _("Resumed."),
    }
    return messages.get(request.query_params.get("notice", ""))


def here(request: Request) -> str:
    """The current path and query, for a ``next=`` that brings the user back."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target that stays on this site (an open redirect helps phishers)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def redirect(target: str) -> RedirectResponse:
    """After a POST, always a 303 so the browser GETs the next page (no resubmission)."""
    return RedirectResponse(target, status_code=303)


def error_page(request: Request, error: FlowdeskError) -> HTMLResponse:
    _ = gettext(request)
    titles = {401: _("Not logged in"), 403: _("Not allowed"), 404: _("Not found"), 409: _("Conflict"),
              413: _("Too large"), 422: _("Invalid data"), 429: _("Too many attempts")}
    response = render(request, "error.html", status_code=error.status,
                      title=titles.get(error.status, _("Something went wrong")), detail=error.detail)
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _audit_refusal(request: Request, error: FlowdeskError) -> None:
    """Every refusal is an access.denied audit event, as in the API (the engine audits some itself)."""
    actor = getattr(request.state, "actor", None)
    context = {"method": request.method, "path": request.url.path}
    try:
        engine_of(request).identity.record_access_denied(actor.username if actor else "anonymous", error, context)
    except Exception:  # the refusal stands even when it cannot be audited; say so in the log
        log.exception("could not audit a refused request to %s", request.url.path)


class WebRoute(APIRoute):
    """HTML errors instead of problem documents, and the login page for anonymous visitors."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                response = redirect(f"/login?next={quote(here(request), safe='')}")
            except FlowdeskError as error:
                if error.status in (401, 403):
                    await run_in_threadpool(_audit_refusal, request, error)
                response = error_page(request, error)
            session.remember_new_nonce(request, response)
            session.remember_renewal(request, response)
            return response

        return route_handler
