"""The browser session and CSRF protection.

The session cookie holds the same kind of signed, expiring token the HTTP API hands out
(``engine.identity.start_session``), so there is one token mechanism and one key
(``FLOWDESK_SECRET_KEY`` or the engine's stored key). A session's token lives
``FLOWDESK_SESSION_IDLE_MINUTES`` and names the session (``sid``); a request made past
half of that gets a fresh token of the same session in a new cookie (sliding expiry), so
a user who keeps working stays logged in and one who walks away is logged out after the
idle time. The cookie is HttpOnly (scripts cannot read it) and SameSite=Lax (other sites'
forms do not send it).

CSRF: every form carries a token that is an HMAC, under the same key, of a random nonce
kept in its own HttpOnly cookie and of the session's id (the "signed double submit"
pattern, bound to the session: a form rendered before a renewal still fits after it). A
forged form on another site can neither read the nonce nor compute the token, a token
from another session (or from before logging in) does not fit this one, and the login
form is protected the same way before anyone is logged in. Cookies are Secure over
HTTPS, or always with ``FLOWDESK_SECURE_COOKIES=true``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets

from fastapi import Request, Response
from flowdesk.engine.errors import Unauthorized
from flowdesk.engine.identity import Actor
from flowdesk.engine.identity.tokens import IssuedToken
from flowdesk.engine.process_engine import ProcessEngine

SESSION_COOKIE = "flowdesk_session"
CSRF_COOKIE = "flowdesk_csrf"
CSRF_FIELD = "csrf_token"


def _secure(request: Request) -> bool:
    """``FLOWDESK_SECURE_COOKIES`` (behind a TLS-terminating proxy the request itself looks
    like plain HTTP), else whether this request came over HTTPS."""
    forced = request.app.state.engine.settings.secure_cookies
    return forced if forced is not None else request.url.scheme == "https"


def start_session(engine: ProcessEngine, actor: Actor, request: Request, response: Response) -> None:
    _set_session_cookie(request, response, engine.identity.start_session(actor))
    # A fresh CSRF nonce per session: a token seen before logging in is worth nothing after.
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), httponly=True, samesite="lax",
                        secure=_secure(request), path="/")


def end_session(engine: ProcessEngine, request: Request, response: Response) -> None:
    """Log out: the session's token is revoked, not only its cookie deleted."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with contextlib.suppress(Unauthorized):  # expired or forged: nothing to revoke
            engine.identity.logout(token)
    request.state.session_ended = True
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def _set_session_cookie(request: Request, response: Response, token: IssuedToken) -> None:
    response.set_cookie(SESSION_COOKIE, token["access_token"], max_age=token["expires_in"], httponly=True,
                        samesite="lax", secure=_secure(request), path="/")


def session_username(engine: ProcessEngine, request: Request) -> str | None:
    """The user the session cookie names, or None (no cookie, tampered, expired or logged
    out). A session past half its life is renewed: the fresh token is kept for
    :func:`remember_renewal` to send."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        username = engine.identity.verify_token(token)
        renewed = engine.identity.renew_session(token)
    except Unauthorized:
        return None
    if renewed is not None:
        request.state.renewed_session = renewed
    return username


def remember_renewal(request: Request, response: Response) -> None:
    """Send the session's fresh token when this request renewed it (not after a logout)."""
    renewed = getattr(request.state, "renewed_session", None)
    if renewed is not None and not getattr(request.state, "session_ended", False):
        _set_session_cookie(request, response, renewed)


def csrf_nonce(request: Request) -> str:
    """The request's CSRF nonce; a new one is made (and later set as a cookie) when absent."""
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(32)
        request.state.new_csrf_nonce = nonce
    return nonce


def csrf_token(engine: ProcessEngine, request: Request) -> str:
    return _sign(engine, csrf_nonce(request), _session_binding(engine, request))


def csrf_valid(engine: ProcessEngine, request: Request, submitted: str | None) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(_sign(engine, nonce, _session_binding(engine, request)), submitted)


def _session_binding(engine: ProcessEngine, request: Request) -> str:
    """What ties a CSRF token to the web session: the session's id, the same through its
    renewals (empty before logging in), so a token taken from one session is worth nothing
    in another. A cookie that is no valid session (expired, forged) binds by its digest."""
    token = request.cookies.get(SESSION_COOKIE) or ""
    if not token:
        return ""
    try:
        session_id = engine.identity.token_claims(token).get("sid")
    except Unauthorized:
        session_id = None
    if isinstance(session_id, str) and session_id:
        return "sid:" + session_id
    return hashlib.sha256(token.encode()).hexdigest()


def remember_new_nonce(request: Request, response: Response) -> None:
    """Set the CSRF cookie when this request had to make a nonce for a form it rendered."""
    nonce = getattr(request.state, "new_csrf_nonce", None)
    if nonce and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="lax", secure=_secure(request), path="/")


def _sign(engine: ProcessEngine, nonce: str, session: str) -> str:
    message = f"csrf:{nonce}:{session}".encode()
    return hmac.new(engine.identity.token_secret().encode(), message, hashlib.sha256).hexdigest()
