"""The key tokens (and the web app's CSRF tokens) are signed with, kept out of the database.

``FLOWDESK_SECRET_KEY`` gives it; otherwise it is read from ``FLOWDESK_SECRET_KEY_FILE``
(default: ``<database file>.key`` beside a SQLite database, ``./flowdesk.key`` for
PostgreSQL). Where the file does not exist, a key is generated into it (mode 0600,
created exclusively, so server processes starting at once agree on the first one
written) and a warning says so: several machines must share the file or set the
variable. A key that earlier versions kept in the ``settings`` table moves into the
file, so tokens issued before stay valid, and leaves the table (whoever could read the
database could forge any user's token).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ..errors import BadRequest
from ..persistence.models import Setting

log = logging.getLogger("flowdesk.identity")
LEGACY_SETTING = "token_signing_key"
MIN_KEY_LENGTH = 32


def default_key_file(database_url: str) -> Path | None:
    """Beside a SQLite file; ``./flowdesk.key`` for a server database; None in memory."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database + ".key")
    return Path.cwd() / "flowdesk.key"


def resolve_signing_key(configured: str, key_file: Path | None,
                        transaction: Callable[[], AbstractContextManager[Session]]) -> str:
    if configured:
        return configured
    legacy = _take_legacy_key(transaction)
    if key_file is None:
        log.warning("no FLOWDESK_SECRET_KEY or key file for an in-memory database: tokens are signed with a key "
                    "that lives as long as this process")
        return legacy or secrets.token_urlsafe(48)
    try:
        key = key_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = _create(key_file, legacy or secrets.token_urlsafe(48))
    if len(key) < MIN_KEY_LENGTH:
        raise BadRequest(f"the signing key in {key_file} is shorter than {MIN_KEY_LENGTH} characters")
    return key


def _create(key_file: Path, key: str) -> str:
    key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: use theirs
        return key_file.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    log.warning("generated a token signing key in %s (set FLOWDESK_SECRET_KEY or FLOWDESK_SECRET_KEY_FILE; "
                "every server of an installation needs the same key)", key_file)
    return key


def _take_legacy_key(transaction: Callable[[], AbstractContextManager[Session]]) -> str | None:
    """The key an earlier version kept in the database, removed from it."""
    with transaction() as session:
        row = session.get(Setting, LEGACY_SETTING)
        if row is None:
            return None
        value = row.value
        session.execute(delete(Setting).where(Setting.key == LEGACY_SETTING))
        return value
