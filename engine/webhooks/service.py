"""The webhook service: subscriptions (admins) and their delivery log."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from ..context import EngineContext
from ..errors import FieldError, InvalidData, NotFound
from ..history.audit import EventRecord
from ..identity import authorization
from ..identity.actors import Actor
from ..pagination import Keyset, Page
from ..persistence.collaboration import Webhook, WebhookDelivery
from ..timeutil import iso

_NEWEST_FIRST = Keyset((WebhookDelivery.created_at, WebhookDelivery.id), (True, True), (datetime, str))
_BY_CREATION = Keyset((Webhook.created_at, Webhook.id), (False, False), (datetime, str))
EVENT_TYPE_MAX = 64


def webhook_view(hook: Webhook) -> dict[str, Any]:
    return {"id": hook.id, "url": hook.url, "events": list(hook.events), "active": hook.active,
            "created_by": hook.created_by, "created_at": iso(hook.created_at)}


def delivery_view(d: WebhookDelivery) -> dict[str, Any]:
    return {"id": d.id, "webhook_id": d.webhook_id, "event_key": d.event_key, "event_type": d.event_type,
            "status": d.status, "attempts": d.attempts, "last_status_code": d.last_status_code,
            "last_error": d.last_error, "log": list(d.log), "created_at": iso(d.created_at),
            "delivered_at": iso(d.delivered_at)}


def check_url(url: str) -> list[FieldError]:
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 - parses the host part: "http://[" fails here or above
    except ValueError:  # a malformed host ("Invalid IPv6 URL") is the caller's mistake, not a 500
        return [FieldError("/url", "must be an http(s) URL without credentials")]
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return [FieldError("/url", "must be an http(s) URL without credentials")]
    return []


class WebhookService:
    def __init__(self, context: EngineContext, on_change: Callable[[], None] = lambda: None) -> None:
        self._ctx = context
        self._on_change = on_change  # subscriptions changed: steps must see them at once

    def create(self, url: str, events: Sequence[str], secret: str, *, by: Actor) -> dict[str, Any]:
        authorization.require_admin(by, "manage webhooks")
        errors = check_url(url)
        errors += [FieldError(f"/events/{i}", "is not an event type") for i, e in enumerate(events)
                   if not e or len(e) > EVENT_TYPE_MAX or not all(c.isalnum() or c in "._*" for c in e)]
        if errors:
            raise InvalidData(errors)
        now = self._ctx.clock.now()
        with self._ctx.transaction() as session:
            hook = Webhook(id=str(uuid.uuid4()), url=url, events=sorted(set(events)), secret=secret, active=True,
                           created_by=by.username, created_at=now)
            session.add(hook)
            session.flush()
            self._ctx.audit.append(session, [EventRecord("webhook.created", by.username, payload={
                "webhook_id": hook.id, "url": url, "events": hook.events})])
            view = webhook_view(hook)
        self._on_change()
        return view

    def list(self, *, by: Actor, limit: int | None = None, cursor: str | None = None) -> Page:
        authorization.require_admin(by, "manage webhooks")
        with self._ctx.transaction() as session:
            return _BY_CREATION.page(session, select(Webhook), limit, cursor, webhook_view)

    def delete(self, webhook_id: str, *, by: Actor) -> None:
        authorization.require_admin(by, "manage webhooks")
        with self._ctx.transaction() as session:
            hook = session.get(Webhook, webhook_id)
            if hook is None:
                raise NotFound(f"no webhook with id '{webhook_id}'")
            hook.active = False  # its delivery log stays readable
            self._ctx.audit.append(session, [EventRecord("webhook.deleted", by.username,
                                                         payload={"webhook_id": hook.id})])
        self._on_change()

    def deliveries(self, webhook_id: str, *, by: Actor, limit: int | None = None,
                   cursor: str | None = None) -> Page:
        authorization.require_admin(by, "manage webhooks")
        with self._ctx.transaction() as session:
            if session.get(Webhook, webhook_id) is None:
                raise NotFound(f"no webhook with id '{webhook_id}'")
            stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
            return _NEWEST_FIRST.page(session, stmt, limit, cursor, delivery_view)
