"""The browser session and CSRF protection.

The session cookie holds the same signed, expiring token the HTTP API hands out
(``engine.identity.issue_token``), so there is one token mechanism, one key
(``FLOWDESK_SECRET_KEY`` or the engine's stored key) and one expiry rule. The cookie is
HttpOnly (scripts cannot read it) and SameSite=Lax (other sites' forms do not send it).

CSRF: every form carries a token that is an HMAC, under the same key, of a random nonce
kept in its own HttpOnly cookie and of the session cookie (the "signed double submit"
pattern, bound to the session). A forged form on another site can neither read the
nonce nor compute the token, a token from another session (or from before logging in)
does not fit this one, and the login form is protected the same way before anyone is
logged in. Cookies are Secure over HTTPS, or always with ``FLOWDESK_SECURE_COOKIES=true``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets

from fastapi import Request, Response
from flowdesk.engine.errors import Unauthorized
from flowdesk.engine.identity import Actor
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
    token = engine.identity.issue_token(actor)
    response.set_cookie(SESSION_COOKIE, token["access_token"], max_age=token["expires_in"], httponly=True,
                        samesite="lax", secure=_secure(request), path="/")
    # A fresh CSRF nonce per session: a token seen before logging in is worth nothing after.
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), httponly=True, samesite="lax",
                        secure=_secure(request), path="/")


def end_session(engine: ProcessEngine, request: Request, response: Response) -> None:
    """Log out: the session's token is revoked, not only its cookie deleted."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with contextlib.suppress(Unauthorized):  # expired or forged: nothing to revoke
            engine.identity.logout(token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def session_username(engine: ProcessEngine, request: Request) -> str | None:
    """The user the session cookie names, or None (no cookie, tampered, or expired)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return engine.identity.verify_token(token)
    except Unauthorized:
        return None


def csrf_nonce(request: Request) -> str:
    """The request's CSRF nonce; a new one is made (and later set as a cookie) when absent."""
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(32)
        request.state.new_csrf_nonce = nonce
    return nonce


def csrf_token(engine: ProcessEngine, request: Request) -> str:
    return _sign(engine, csrf_nonce(request), _session_binding(request))


def csrf_valid(engine: ProcessEngine, request: Request, submitted: str | None) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(_sign(engine, nonce, _session_binding(request)), submitted)


def _session_binding(request: Request) -> str:
    """What ties a CSRF token to the web session: a digest of the session cookie (empty
    before logging in), so a token taken from one session is worth nothing in another."""
    token = request.cookies.get(SESSION_COOKIE) or ""
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


def remember_new_nonce(request: Request, response: Response) -> None:
    """Set the CSRF cookie when this request had to make a nonce for a form it rendered."""
    nonce = getattr(request.state, "new_csrf_nonce", None)
    if nonce and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="lax", secure=_secure(request), path="/")


def _sign(engine: ProcessEngine, nonce: str, session: str) -> str:
    message = f"csrf:{nonce}:{session}".encode()
    return hmac.new(engine.identity.token_secret().encode(), message, hashlib.sha256).hexdigest()
