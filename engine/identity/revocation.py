"""Revoked tokens: logging out ends a token before it expires.

``POST /api/v1/auth/logout`` (and the web app's logout) writes the token's id (``jti``)
with its expiry into ``revoked_tokens``; every request's token is checked against that
list. A server process keeps the list in memory and reads it again at most every
``seconds`` (``FLOWDESK_AUTH_CACHE_SECONDS``, like the actor cache), so a logout through
the same process applies at once and one through another process within those seconds;
0 reads it on every request. Rows whose token has expired anyway are deleted on logout.

Changing a password ends every other session of the user at once: a cut-off per user
(``session_cutoffs``) ends the tokens issued before it, all but the one that made the
change (its web session's id, or its own id), read with the same cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from ..clock import Clock
from ..persistence.models import RevokedToken, SessionCutoff
from ..persistence.upsert import insert_ignore


class RevocationList:
    def __init__(self, clock: Clock, seconds: float, transaction: Callable[[], AbstractContextManager[Session]],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.seconds = seconds
        self._transaction = transaction
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._revoked: dict[str, datetime] = {}  # jti -> when the token expires anyway
        self._cutoffs: dict[str, tuple[float, str | None]] = {}  # username -> (cut-off, id kept)
        self._read_at: float | None = None

    def revoke(self, session: Session, jti: str, username: str, expires_at: datetime) -> None:
        now = self.clock.now()
        insert_ignore(session, RevokedToken, {"jti": jti, "username": username, "expires_at": expires_at,
                                              "revoked_at": now})
        session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= now))
        with self._lock:
            self._revoked[jti] = expires_at

    def cut_off(self, session: Session, username: str, kept: str | None) -> None:
        """End ``username``'s tokens issued until now, except the one whose id (or web
        session id) is ``kept``."""
        now = self.clock.now()
        row = session.get(SessionCutoff, username)
        if row is None:
            session.add(SessionCutoff(username=username, cut_at=now, kept=kept))
        else:
            row.cut_at, row.kept = now, kept
        with self._lock:
            self._cutoffs[username] = (now.timestamp(), kept)

    def is_cut_off(self, username: str, issued_at: float, ids: tuple[str, ...]) -> bool:
        """Whether a token of ``username`` issued at ``issued_at`` (seconds) with these ids
        (jti, sid) was ended by a later password change (issued at the very instant of the
        change counts as after it)."""
        if self.seconds <= 0:
            self._reload()
        else:
            with self._lock:
                fresh = self._read_at is not None and self._monotonic() - self._read_at < self.seconds
            if not fresh:
                self._reload()
        with self._lock:
            cutoff = self._cutoffs.get(username)
        if cutoff is None:
            return False
        cut_at, kept = cutoff
        return issued_at < cut_at and (kept is None or kept not in ids)

    def is_revoked(self, jti: str) -> bool:
        if self.seconds <= 0:
            with self._transaction() as session:
                return bool(session.scalar(select(exists().where(RevokedToken.jti == jti))))
        with self._lock:
            fresh = self._read_at is not None and self._monotonic() - self._read_at < self.seconds
            if fresh:
                return jti in self._revoked
        self._reload()
        with self._lock:
            return jti in self._revoked

    def _reload(self) -> None:
        started = self._monotonic()
        with self._transaction() as session:
            now = self.clock.now()
            found = session.execute(select(RevokedToken.jti, RevokedToken.expires_at)
                                    .where(RevokedToken.expires_at > now))
            rows = {jti: expires_at for jti, expires_at in found}
            cutoffs = {username: (cut_at.timestamp(), kept) for username, cut_at, kept
                       in session.execute(select(SessionCutoff.username, SessionCutoff.cut_at, SessionCutoff.kept))}
        with self._lock:
            self._cutoffs = cutoffs
            kept = {jti: at for jti, at in self._revoked.items() if at > now}
            self._revoked = {**kept, **rows}
            self._read_at = started
