"""The one template-database builder: a database is migrated, given its definitions, seed
data and people once (per session or module), and every test works on a copy of it.

Passwords are hashed with Argon2 at its minimum cost while the template is built (see
``engines.quick_hashing``): the same algorithm and code paths, a thousandth of the time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

from flowdesk.api.demo import create_demo_users
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import Settings
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.process_engine import ProcessEngine

from .engines import quick_hashing
from .paths import leave_request_files

#: Every user the template databases create has this password.
PASSWORD = "correct-horse-battery"

#: The people of the API's template database (tests/api and the suites built on it).
USERS = {
    "alice": ["employees"],
    "bob": ["employees", "department_managers"],
    "carol": ["employees", "hr"],
    "dan": ["department_managers", "hr"],
    "dave": ["designer"],
    "erin": ["auditor"],
    "root": ["admin"],
    "ian": ["integration"],
}
#: One user per column of the contract's permission table.
ROLE_USERS = {"employee": "alice", "designer": "dave", "auditor": "erin", "admin": "root", "integration": "ian"}


def build_template(
    path: Path,
    users: Mapping[str, Iterable[str]] = {},
    *,
    paths: Iterable[Path] = (),
    sources: Iterable[SourceFile] = (),
    demo_users: bool = False,
    seed: bool | Iterable[Path] = False,
    reference: Iterable[Mapping[str, Any]] = (),
    prepare: Callable[[ProcessEngine], None] | None = None,
    settings: Mapping[str, Any] = {},
) -> Path:
    """A migrated database at `path` with, in this order: `paths` (files or folders) and
    `sources` deployed, the demo users created (``demo_users``), the shipped seed
    (``seed=True``) or these seed files loaded, `reference` data loaded (``{type: [records]}``
    mappings), `prepare` applied, `users` created with `PASSWORD`, and the token key made."""
    with quick_hashing():
        engine = ProcessEngine(Settings(database_url=f"sqlite:///{path}", definitions=(), **settings),
                               clock=FakeClock())
        paths, sources = list(paths), list(sources)
        if paths:
            engine.repository.deploy(paths, by=SYSTEM)
        if sources:
            engine.repository.deploy(sources, by=SYSTEM)
        if demo_users:
            create_demo_users(engine)
        if seed is True:
            engine.records.load_seed(by=SYSTEM)
        elif seed:
            engine.records.load_seed(list(seed), by=SYSTEM)
        reference = list(reference)
        if reference:
            with engine.transaction() as session:
                for data in reference:
                    engine.context.records.load_reference(session, data)
        if prepare is not None:
            prepare(engine)
        for username, groups in users.items():
            engine.identity.create_user(username, PASSWORD, list(groups), by=SYSTEM)
        engine.identity.token_secret()
        engine.close()
    with closing(sqlite3.connect(path)) as conn:  # fold the write-ahead log in: one file is the database
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def build_api_template(path: Path) -> Path:
    """The API's template: the shipped leave request deployed and `USERS` created (tests
    deploy what else they need)."""
    return build_template(path, USERS, paths=leave_request_files())


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite database, even one an engine still has open."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target
