"""Audit hash chain: chained events, payloads by hash, chain heads

Events written before this revision are chained here, in their order, with the same
rules the application uses from now on (see flowdesk.engine.audit.chain), so an upgraded
database verifies end to end.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
from collections import defaultdict
from datetime import UTC

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from flowdesk.engine.audit import chain

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UtcText = sa.DateTime(timezone=True)

SQLITE_GUARDS = (
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'the events table is append-only (UPDATE refused)'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'the events table is append-only (DELETE refused)'); END",
)


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.create_table(
        "event_payloads",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("content", Json, nullable=False),
        sa.PrimaryKeyConstraint("hash"),
    )
    op.create_table(
        "audit_chains",
        sa.Column("chain_id", sa.String(length=64), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("anchored_length", sa.BigInteger(), nullable=False),
        sa.Column("anchor_chain_seq", sa.BigInteger(), nullable=True),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id"),
    )
    op.create_index("ix_audit_chains_dirty", "audit_chains", ["dirty"])
    with op.batch_alter_table("events") as batch:
        for name, type_ in (("chain_id", sa.String(64)), ("chain_seq", sa.BigInteger()),
                            ("payload_hash", sa.String(64)), ("prev_hash", sa.String(64)), ("hash", sa.String(64))):
            batch.add_column(sa.Column(name, type_, nullable=True))

    if postgres:
        op.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    _chain_existing_events(bind, postgres)

    with op.batch_alter_table("events") as batch:
        batch.drop_column("payload")
        for name in ("chain_id", "chain_seq", "payload_hash", "prev_hash", "hash"):
            batch.alter_column(name, nullable=False)
        batch.create_unique_constraint("uq_events_chain_seq", ["chain_id", "chain_seq"])
        batch.create_index("ix_events_definition_seq", ["definition_key", "seq"])
        batch.create_index("ix_events_at", ["at"])

    # KPI reports filter history by process and time range (engine/reports/kpis.py).
    op.create_index("ix_instances_key_started", "instances", ["definition_key", "started_at"])
    op.create_index("ix_instances_key_ended", "instances", ["definition_key", "ended_at"])
    op.create_index("ix_tasks_key_created", "tasks", ["definition_key", "created_at"])

    if postgres:
        op.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
        op.execute(
            "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
            "FOR EACH STATEMENT EXECUTE FUNCTION flowdesk_events_append_only()"
        )
    else:
        for statement in SQLITE_GUARDS:
            op.execute(statement)


def _chain_existing_events(bind, postgres: bool) -> None:
    events = sa.table(
        "events", sa.column("seq", sa.BigInteger), sa.column("at", UtcText), sa.column("type"),
        sa.column("actor"), sa.column("instance_id"), sa.column("definition_key"),
        sa.column("definition_version", sa.Integer), sa.column("element_id"), sa.column("task_id"),
        sa.column("payload", Json), sa.column("chain_id"), sa.column("chain_seq", sa.BigInteger),
        sa.column("payload_hash"), sa.column("prev_hash"), sa.column("hash"),
    )
    payloads = sa.table("event_payloads", sa.column("hash"), sa.column("salt"), sa.column("content", Json))
    chains = sa.table("audit_chains", sa.column("chain_id"), sa.column("length", sa.BigInteger),
                      sa.column("head"), sa.column("anchored_length", sa.BigInteger), sa.column("dirty", sa.Boolean))
    heads: dict[str, tuple[int, str]] = defaultdict(lambda: (0, chain.GENESIS))
    rows = bind.execute(sa.select(events).order_by(events.c.seq)).mappings().all()
    for row in rows:
        at = row["at"]
        if at.tzinfo is None:  # SQLite hands back naive UTC
            at = at.replace(tzinfo=UTC)
        chain_id = row["instance_id"] or chain.GLOBAL_CHAIN
        length, prev = heads[chain_id]
        content = row["payload"] if row["payload"] is not None else {}
        salt = chain.new_salt()
        digest = chain.payload_hash(content, salt)
        fields = {**row, "at": at, "chain_id": chain_id, "chain_seq": length + 1, "payload_hash": digest}
        hashed = chain.event_hash(fields, prev)
        bind.execute(sa.insert(payloads).values(hash=digest, salt=salt, content=content))
        bind.execute(sa.update(events).where(events.c.seq == row["seq"]).values(
            chain_id=chain_id, chain_seq=length + 1, payload_hash=digest, prev_hash=prev, hash=hashed))
        heads[chain_id] = (length + 1, hashed)
    heads.setdefault(chain.GLOBAL_CHAIN, (0, chain.GENESIS))
    for chain_id, (length, head) in heads.items():
        bind.execute(sa.insert(chains).values(chain_id=chain_id, length=length, head=head,
                                              anchored_length=0, dirty=length > 0 and chain_id != chain.GLOBAL_CHAIN))


def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        op.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("payload", Json, nullable=True))
    bind.execute(sa.text(
        "UPDATE events SET payload = (SELECT content FROM event_payloads p WHERE p.hash = events.payload_hash)"))
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("uq_events_chain_seq", type_="unique")
        batch.drop_index("ix_events_definition_seq")
        batch.drop_index("ix_events_at")
        for name in ("chain_id", "chain_seq", "payload_hash", "prev_hash", "hash"):
            batch.drop_column(name)
    if postgres:
        op.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
    op.drop_index("ix_tasks_key_created", table_name="tasks")
    op.drop_index("ix_instances_key_ended", table_name="instances")
    op.drop_index("ix_instances_key_started", table_name="instances")
    op.drop_index("ix_audit_chains_dirty", table_name="audit_chains")
    op.drop_table("audit_chains")
    op.drop_table("event_payloads")
