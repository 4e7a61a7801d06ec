"""The migrations build exactly the schema the models describe (no drift either way)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flowdesk.engine.persistence import Database
from flowdesk.engine.persistence.migrate import upgrade
from flowdesk.engine.persistence.models import Base


def _drift(url: str) -> list:
    db = Database(url)
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            return [d for d in compare_metadata(context, Base.metadata)
                    if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")]
    finally:
        db.engine.dispose()


def test_sqlite_schema_matches_the_models(sqlite_url):
    assert _drift(sqlite_url) == []


def test_postgres_schema_matches_the_models(postgres_url):
    assert _drift(postgres_url) == []
