"""API keys: how integration accounts authenticate without a password.

A key is ``fdk_`` and 43 random URL-safe characters, shown once when it is made. Only its
SHA-256 is stored: the key is random enough that a fast hash cannot be searched back,
and a fast hash lets every request find its key with one indexed lookup. A revoked key
stops working at once, in every server process (keys are never cached).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound
from ..persistence.models import ApiKey
from ..timeutil import as_utc, iso

KEY_PREFIX = "fdk_"
# How often the time a key was last used is written (not on every request).
_LAST_USED_EVERY = timedelta(minutes=1)
MAX_KEYS_PER_USER = 50


def looks_like_api_key(token: str) -> bool:
    """A bearer token that is an API key rather than a signed token (those are JWTs)."""
    return token.startswith(KEY_PREFIX) and "." not in token


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_view(row: ApiKey) -> dict:
    """A key as lists show it: never the key itself, only its first characters."""
    return {"id": row.id, "name": row.name, "prefix": row.prefix, "username": row.username,
            "created_at": iso(row.created_at), "created_by": row.created_by,
            "last_used_at": iso(row.last_used_at), "revoked_at": iso(row.revoked_at),
            "active": row.revoked_at is None}


class ApiKeyStore:
    """The ``api_keys`` rows, in the caller's transaction."""

    @staticmethod
    def create(session: Session, username: str, name: str, by: str, now: datetime) -> tuple[ApiKey, str]:
        """A new key for ``username``: the row and the key (the only time it is known)."""
        live = session.scalars(select(ApiKey.id).where(ApiKey.username == username,
                                                       ApiKey.revoked_at.is_(None))).all()
        if len(live) >= MAX_KEYS_PER_USER:
            raise Conflict(f"'{username}' already has {MAX_KEYS_PER_USER} API keys; revoke one first")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKey(id=str(uuid.uuid4()), username=username, name=name, key_hash=key_hash(key),
                     prefix=key[:12], created_at=now, created_by=by)
        session.add(row)
        session.flush()
        return row, key

    @staticmethod
    def of_user(session: Session, username: str) -> list[ApiKey]:
        return list(session.scalars(select(ApiKey).where(ApiKey.username == username)
                                    .order_by(ApiKey.created_at, ApiKey.id)))

    @staticmethod
    def revoke(session: Session, username: str, key_id: str, now: datetime) -> ApiKey:
        row = session.get(ApiKey, key_id[:36])
        if row is None or row.username != username:
            raise NotFound(f"'{username}' has no API key '{key_id[:36]}'")
        if row.revoked_at is None:
            row.revoked_at = now
            session.flush()
        return row

    @staticmethod
    def username_for(session: Session, key: str, now: datetime) -> str | None:
        """The user a live key belongs to (None for an unknown or revoked key)."""
        row = session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash(key))).one_or_none()
        if row is None or row.revoked_at is not None:
            return None
        last = as_utc(row.last_used_at) if row.last_used_at is not None else None
        if last is None or now - last >= _LAST_USED_EVERY:
            session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now)
                            .execution_options(synchronize_session=False))
        return row.username
