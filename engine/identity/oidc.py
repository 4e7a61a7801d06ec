"""Single sign-on with an OpenID Connect provider (authorization code flow with PKCE).

The protocol is Authlib's: its OAuth 2 client builds the authorization URL (state, nonce,
S256 code challenge) and exchanges the code; the ID token's signature and claims
(issuer, audience, expiry, nonce) are checked with joserfc, Authlib's JOSE library,
against the provider's published keys. Flowdesk adds only what is its own: which claim
names the user, how the provider's groups map to Flowdesk groups, and the account.

A user signing in for the first time gets an account without a password (they can only
sign in through the provider); at every sign-in their groups are set from the
provider's, so the provider owns group membership. A deactivated account stays locked.

The pending sign-in (state, nonce, code verifier, where to go next) travels in a short-
lived cookie signed with the token key, so any server process can finish it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt as pyjwt
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..config import OidcSettings
from ..context import EngineContext
from ..errors import NotFound, Unauthorized
from ..history.audit import EventRecord
from ..persistence.models import User
from .actors import RESERVED_USERNAMES, Actor
from .users import _NAME

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
PENDING_SECONDS = 600
_CACHE_SECONDS = 3600
_TIMEOUT = 10
# An account made by single sign-on has no password: no hash verifies against this.
NO_PASSWORD = "!sso"  # noqa: S105 - a marker, not a password


@dataclass(frozen=True)
class SignInStart:
    url: str  # send the browser here
    pending: str  # keep this in a cookie until the provider sends the browser back


@dataclass(frozen=True)
class ExternalIdentity:
    subject: str
    username: str
    groups: tuple[str, ...]
    email: str | None
    display_name: str | None


class OidcProvider:
    """The configured provider: its metadata and keys (fetched once an hour), and the flow."""

    def __init__(self, settings: OidcSettings, now: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._now = now
        self._metadata: tuple[float, dict] | None = None
        self._keys: tuple[float, KeySet] | None = None

    def _session(self, redirect_uri: str | None = None) -> OAuth2Session:
        return OAuth2Session(self.settings.client_id, self.settings.client_secret or None,
                             scope=self.settings.scopes, redirect_uri=redirect_uri,
                             code_challenge_method="S256", default_timeout=_TIMEOUT)

    def metadata(self) -> dict:
        if self._metadata is None or self._now() - self._metadata[0] > _CACHE_SECONDS:
            url = self.settings.issuer + "/.well-known/openid-configuration"
            document = self._get_json(url)
            if str(document.get("issuer", "")).rstrip("/") != self.settings.issuer:
                raise Unauthorized("the provider's discovery document names another issuer")
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(document.get(name), str):
                    raise Unauthorized(f"the provider's discovery document has no {name}")
            self._metadata = (self._now(), document)
        return self._metadata[1]

    def keys(self, refresh: bool = False) -> KeySet:
        if refresh or self._keys is None or self._now() - self._keys[0] > _CACHE_SECONDS:
            try:
                keys = KeySet.import_key_set(self._get_json(self.metadata()["jwks_uri"]))
            except (JoseError, ValueError, TypeError, KeyError):
                raise Unauthorized("the provider's signing keys cannot be read") from None
            self._keys = (self._now(), keys)
        return self._keys[1]

    def _get_json(self, url: str) -> dict:
        try:
            response = httpx.get(url, timeout=_TIMEOUT, follow_redirects=False)
            response.raise_for_status()
            document = response.json()
        except Exception as err:  # network, HTTP status, not JSON: the provider cannot be used now
            raise Unauthorized(f"the sign-in provider did not answer ({type(err).__name__})") from None
        if not isinstance(document, dict):
            raise Unauthorized("the sign-in provider answered something else than a JSON object")
        return document

    # -- the flow ------------------------------------------------------------------------------------
    def authorization_url(self, redirect_uri: str, state: str, nonce: str, code_verifier: str) -> str:
        url, _ = self._session(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"], state=state, code_verifier=code_verifier, nonce=nonce)
        return url

    def identity(self, code: str, redirect_uri: str, nonce: str, code_verifier: str) -> ExternalIdentity:
        """Exchange the code, check the ID token, and read who signed in."""
        client = self._session(redirect_uri)
        try:
            token = client.fetch_token(self.metadata()["token_endpoint"], code=code, code_verifier=code_verifier)
        except Unauthorized:
            raise
        except Exception as err:
            raise Unauthorized(f"the sign-in provider refused the code ({type(err).__name__})") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise Unauthorized("the sign-in provider sent no ID token")
        claims = self._checked_claims(id_token, nonce)
        groups_claim = self.settings.groups_claim
        if groups_claim not in claims and self.metadata().get("userinfo_endpoint"):
            claims = {**self._userinfo(client), **claims}
        return self._identity(claims)

    def _checked_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        allowed = [a for a in self.metadata().get("id_token_signing_alg_values_supported", ["RS256"])
                   if a in ALGORITHMS] or ["RS256"]
        try:
            try:
                decoded = jwt.decode(id_token, self.keys(), algorithms=allowed)
            except JoseError:  # a key rotated since we fetched them: fetch once more
                decoded = jwt.decode(id_token, self.keys(refresh=True), algorithms=allowed)
            registry = jwt.JWTClaimsRegistry(
                now=int(self._now()), leeway=60,
                iss={"essential": True, "value": self.settings.issuer},
                aud={"essential": True, "value": self.settings.client_id},
                exp={"essential": True}, sub={"essential": True},
                nonce={"essential": True, "value": nonce})
            registry.validate(decoded.claims)
        except (JoseError, ValueError, TypeError) as err:
            raise Unauthorized(f"the ID token is not valid ({type(err).__name__})") from None
        return dict(decoded.claims)

    def _userinfo(self, client: OAuth2Session) -> dict:
        try:
            response = client.get(self.metadata()["userinfo_endpoint"], timeout=_TIMEOUT)
            response.raise_for_status()
            info = response.json()
        except Exception:
            return {}
        return info if isinstance(info, dict) else {}

    def _identity(self, claims: Mapping[str, Any]) -> ExternalIdentity:
        username = claims.get(self.settings.username_claim) or claims.get("email") or claims.get("sub")
        if not isinstance(username, str) or not _NAME.match(username) or username in RESERVED_USERNAMES:
            raise Unauthorized(f"the provider's user name {str(username)[:150]!r} cannot be a Flowdesk username")
        email, name = claims.get("email"), claims.get("name")
        groups = self.map_groups(claims.get(self.settings.groups_claim))
        return ExternalIdentity(str(claims["sub"])[:255], username, groups,
                                email[:320] if isinstance(email, str) else None,
                                name[:255] if isinstance(name, str) else None)

    def map_groups(self, raw: Any) -> tuple[str, ...]:
        """The Flowdesk groups for the provider's groups claim (a list, or a string of names)."""
        if isinstance(raw, str):
            raw = raw.replace(",", " ").split()
        outside = [g for g in raw if isinstance(g, str)][:1000] if isinstance(raw, list) else []
        if self.settings.group_mapping:
            mapped = {inside for name, inside in self.settings.group_mapping if name in outside}
        else:
            mapped = {g for g in outside if _NAME.match(g)}
        return tuple(sorted(mapped))


class SsoService:
    """Signing in through the configured OpenID Connect provider (``engine.sso``)."""

    def __init__(self, context: EngineContext, secret: Callable[[], str]) -> None:
        self._ctx = context
        self._secret = secret
        self.provider = OidcProvider(context.settings.oidc, lambda: context.clock.now().timestamp())

    @property
    def enabled(self) -> bool:
        return self._ctx.settings.oidc.enabled

    def redirect_url(self, default: str) -> str:
        return self._ctx.settings.oidc.redirect_url or default

    def begin(self, redirect_uri: str, next_url: str) -> SignInStart:
        """Where to send the browser, and the pending sign-in to keep until it comes back."""
        self._require_enabled()
        state, nonce, verifier = (secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48))
        url = self.provider.authorization_url(redirect_uri, state, nonce, verifier)
        now = int(self._ctx.clock.now().timestamp())
        pending = pyjwt.encode({"state": state, "nonce": nonce, "verifier": verifier, "next": next_url,
                                "redirect_uri": redirect_uri, "exp": now + PENDING_SECONDS, "aud": "flowdesk-sso"},
                               self._secret(), algorithm="HS256")
        return SignInStart(url, pending)

    def finish(self, pending: str | None, state: str, code: str) -> tuple[Actor, str]:
        """The user who signed in (their account made or updated), and where they were going."""
        self._require_enabled()
        try:
            started = pyjwt.decode(pending or "", self._secret(), algorithms=["HS256"], audience="flowdesk-sso",
                                   options={"verify_exp": False})
        except pyjwt.PyJWTError:
            raise Unauthorized("the sign-in was not started here or has expired; start again") from None
        if started.get("exp", 0) < self._ctx.clock.now().timestamp():
            raise Unauthorized("the sign-in took too long; start again")
        if not secrets.compare_digest(str(started.get("state", "")), state or ""):
            raise Unauthorized("the sign-in answer does not belong to this browser's sign-in; start again")
        identity = self.provider.identity(code, started["redirect_uri"], started["nonce"], started["verifier"])
        return self._account(identity), str(started.get("next") or "/")

    def _account(self, identity: ExternalIdentity) -> Actor:
        users = self._ctx.users
        with self._ctx.transaction() as session:
            user = session.get(User, identity.username)
            if user is not None and not user.active:
                self._ctx.audit.append(session, [EventRecord("access.denied", identity.username, payload={
                    "reason": "unauthorized", "detail": "deactivated user signed in through the provider",
                    "username": identity.username})])
            elif user is None:
                session.add(User(username=identity.username, password_hash=NO_PASSWORD, active=True,
                                 email=identity.email, display_name=identity.display_name,
                                 created_at=self._ctx.clock.now()))
                session.flush()
                clean = users.set_groups(session, identity.username, list(identity.groups))
                self._ctx.audit.append(session, [EventRecord("user.created", "system", payload={
                    "username": identity.username, "groups": clean, "source": "oidc",
                    "issuer": self._ctx.settings.oidc.issuer, "subject": identity.subject})])
            else:
                before = sorted(users.groups_of(session, identity.username))
                if before != list(identity.groups):
                    clean = users.set_groups(session, identity.username, list(identity.groups))
                    self._ctx.audit.append(session, [EventRecord("user.groups_changed", "system", payload={
                        "username": identity.username, "from": before, "to": clean, "source": "oidc"})])
        if user is not None and not user.active:
            raise Unauthorized(f"'{identity.username}' is deactivated")
        self._ctx.actors.clear()
        with self._ctx.transaction() as session:
            return users.actor(session, identity.username)

    def _require_enabled(self) -> None:
        if not self.enabled:
            raise NotFound("single sign-on is not configured")
