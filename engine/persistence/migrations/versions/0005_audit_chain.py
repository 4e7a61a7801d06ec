"""Audit hash chain: chained events, payloads by hash, chain heads

Events written before this revision are chained here, in their order, with the same
rules the application uses from now on (version 1 of the chain, copied at the end of this
file), so an upgraded database verifies end to end.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
import hashlib
import json
import math
import secrets
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


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
    heads: dict[str, tuple[int, str]] = defaultdict(lambda: (0, _GENESIS))
    rows = bind.execute(sa.select(events).order_by(events.c.seq)).mappings().all()
    for row in rows:
        at = row["at"]
        if at.tzinfo is None:  # SQLite hands back naive UTC
            at = at.replace(tzinfo=UTC)
        chain_id = row["instance_id"] or _GLOBAL_CHAIN
        length, prev = heads[chain_id]
        content = row["payload"] if row["payload"] is not None else {}
        salt = _new_salt()
        digest = _payload_hash(content, salt)
        fields = {**row, "at": at, "chain_id": chain_id, "chain_seq": length + 1, "payload_hash": digest}
        hashed = _event_hash(fields, prev)
        bind.execute(sa.insert(payloads).values(hash=digest, salt=salt, content=content))
        bind.execute(sa.update(events).where(events.c.seq == row["seq"]).values(
            chain_id=chain_id, chain_seq=length + 1, payload_hash=digest, prev_hash=prev, hash=hashed))
        heads[chain_id] = (length + 1, hashed)
    heads.setdefault(_GLOBAL_CHAIN, (0, _GENESIS))
    for chain_id, (length, head) in heads.items():
        bind.execute(sa.insert(chains).values(chain_id=chain_id, length=length, head=head,
                                              anchored_length=0, dirty=length > 0 and chain_id != _GLOBAL_CHAIN))


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


# -- the audit hash chain, version 1, as this migration wrote it -------------------------------
# A copy of engine/history/audit/chain.py at the time of this migration: a migration must
# give the same result whatever the live engine's code becomes later. The live module keeps
# computing version 1 hashes the same way, and a test checks that the two agree.
_GLOBAL_CHAIN = "global"
_GENESIS = "0" * 64
_HASH_VERSION = 1


def _canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON of a JSON value, as UTF-8 bytes.

    Python's C JSON encoder already writes RFC 8785's form for everything but floats
    (ECMAScript prints ``1.0`` as ``1`` and ``1e-07`` as ``1e-7``) and for object keys
    outside the Basic Multilingual Plane (sorted by UTF-16 units, not code points). Values
    without either, which are nearly all (amounts are stored as tagged decimal strings),
    take the C encoder: verifying a long log is hashing bound.
    """
    if _plain(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    return _canonical(value).encode("utf-8")


def _plain(value: Any) -> bool:
    """True when the C encoder's output is already canonical (no floats, BMP-only keys)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str) or (not key.isascii() and max(key) >= "\U00010000"):
                    return False
                stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, float):
            return False
    return True


def _canonical(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        # RFC 8785 sorts by UTF-16 code units; for the BMP this equals code point order.
        items = sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _canonical(v) for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} is not a JSON value; encode it first (flowdesk.engine.values.encode)")


def _number(value: float) -> str:
    """ECMAScript's Number.prototype.toString, which RFC 8785 prescribes for numbers."""
    if not math.isfinite(value):
        raise ValueError("NaN and infinities have no JSON form")
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _new_salt() -> str:
    return secrets.token_hex(16)


def _payload_hash(stored_payload: Any, salt: str) -> str:
    """The hash that names a payload row: over its salt and its stored (encoded) form."""
    return _sha256_hex(_canonical_json({"salt": salt, "payload": stored_payload}))


def _timestamp(moment: datetime) -> str:
    """The hashed form of an event time: UTC, microseconds, as the databases keep it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _event_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    """``SHA-256(canonical JSON of the event's fields, its payload hash and prev_hash)``.

    ``fields`` are the event's columns as stored: chain_id, chain_seq, at, type, actor,
    instance_id, definition_key, definition_version, element_id, task_id, payload_hash.
    The global ``seq`` is not hashed: it is assigned by the database on insert. Its order
    is checked separately (it must grow along every chain).
    """
    document = {
        "v": _HASH_VERSION,
        "chain_id": fields["chain_id"],
        "chain_seq": fields["chain_seq"],
        "at": _timestamp(fields["at"]),
        "type": fields["type"],
        "actor": fields["actor"],
        "instance_id": fields["instance_id"],
        "definition_key": fields["definition_key"],
        "definition_version": fields["definition_version"],
        "element_id": fields["element_id"],
        "task_id": fields["task_id"],
        "payload_hash": fields["payload_hash"],
        "prev_hash": prev_hash,
    }
    # Every field is a string, an integer or null, and every key ASCII: the C encoder's
    # output is canonical as it is (see canonical_json).
    return _sha256_hex(json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
