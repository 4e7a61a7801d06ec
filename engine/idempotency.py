"""``Idempotency-Key``: a retried creating request returns the first response.

Keys are per user. The first request with a key reserves it (a row without a response),
runs, and stores its response when it succeeded; a failed request gives the key back,
so the client can correct the request and try again. A retry with the same key and the
same request gets the stored response; with a different request, 422; while the first
one is still running, 409. Reservations left behind by a crashed process expire after
``pending_timeout``, stored responses after ``ttl``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from .clock import Clock
from .errors import Conflict, IdempotencyKeyReused
from .persistence.models import IdempotencyKey
from .persistence.upsert import insert_ignore
from .timeutil import as_utc


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    media_type: str
    body: str


def fingerprint(*parts: str | bytes) -> str:
    """A hash of what makes two requests the same request (method, path, canonical body)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()



class IdempotencyStore:
    def __init__(self, clock: Clock, ttl: timedelta = timedelta(hours=24),
                 pending_timeout: timedelta = timedelta(minutes=5)) -> None:
        self.clock = clock
        self.ttl = ttl
        self.pending_timeout = pending_timeout

    def begin(self, session: Session, username: str, key: str, request_fingerprint: str) -> StoredResponse | None:
        """Reserve ``key`` for this request (None: go ahead) or return the response to replay."""
        now = self.clock.now()
        row = session.get(IdempotencyKey, (username, key))
        if row is not None and (
            as_utc(row.created_at) < now - self.ttl
            or (row.status_code is None and as_utc(row.created_at) < now - self.pending_timeout)
        ):
            session.delete(row)
            session.flush()
            row = None
        if row is None:
            values = {"username": username, "key": key, "fingerprint": request_fingerprint, "created_at": now}
            if not insert_ignore(session, IdempotencyKey, values):
                raise Conflict("a request with this Idempotency-Key is being processed; retry later")
            return None
        if row.fingerprint != request_fingerprint:
            raise IdempotencyKeyReused("this Idempotency-Key was used for a different request; "
                                       "use a new key for a new request")
        if row.status_code is None:
            raise Conflict("a request with this Idempotency-Key is being processed; retry later")
        return StoredResponse(row.status_code, row.media_type or "application/json", row.response or "")

    def finish(self, session: Session, username: str, key: str, response: StoredResponse) -> None:
        row = session.get(IdempotencyKey, (username, key))
        if row is not None:
            row.status_code, row.media_type, row.response = response.status_code, response.media_type, response.body

    def release(self, session: Session, username: str, key: str) -> None:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.username == username,
                                                     IdempotencyKey.key == key,
                                                     IdempotencyKey.status_code.is_(None)))


class IdempotencyService:
    """``Idempotency-Key`` for the API's creating requests, each call its own transaction
    (the request it guards runs in between, in transactions of its own)."""

    def __init__(self, transaction, clock: Clock) -> None:
        self._transaction = transaction
        self._store = IdempotencyStore(clock)

    def begin(self, username: str, key: str, request_fingerprint: str) -> StoredResponse | None:
        with self._transaction() as session:
            return self._store.begin(session, username, key, request_fingerprint)

    def finish(self, username: str, key: str, response: StoredResponse) -> None:
        with self._transaction() as session:
            self._store.finish(session, username, key, response)

    def release(self, username: str, key: str) -> None:
        with self._transaction() as session:
            self._store.release(session, username, key)
