"""The database tables, as SQLAlchemy 2 ORM classes.

Instance state is a JSON document per instance (SpiffWorkflow's task tree, without the
spec; a large one's task entries one row each in ``instance_task_states``); everything
Flowdesk needs to *find* work is a projection written in the same transaction: the inbox
(``tasks`` + ``task_candidates`` + ``task_exclusions``), incidents and the append-only
``events`` log. Nothing is ever found by deserializing instances.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# JSONB on PostgreSQL (compact, indexable), plain JSON text elsewhere.
Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY columns.
SeqInt = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator):
    """Timestamps in UTC, always timezone-aware in Python.

    SQLite has no timezone-aware type: SQLAlchemy stores the text and hands back naive
    datetimes, which then cannot be compared with aware ones. Values are stored as UTC
    (naive on SQLite, so its text comparison orders them) and always read back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Flowdesk stores timezone-aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(150), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiKey(Base):
    """An integration account's API key: only its SHA-256 is kept (the key is shown once)."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(150))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(150))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Membership(Base):
    __tablename__ = "memberships"
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(150), primary_key=True, index=True)


class Setting(Base):
    """Small values the installation keeps for itself (e.g. a generated signing key)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Resource(Base):
    """A deployed file's bytes, stored once by content hash."""

    __tablename__ = "resources"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)


class Deployment(Base):
    __tablename__ = "deployments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    deployed_by: Mapped[str] = mapped_column(String(150))


class DeploymentFile(Base):
    """Which file names an upload contained; the latest deployment of a name wins when a
    later upload refers to it (a form, a decision table) without carrying it."""

    __tablename__ = "deployment_files"
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    stem: Mapped[str] = mapped_column(String(255), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("resources.sha256"))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Definition(Base):
    """One version of one process: pinned content, parsed spec stored once."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_definitions_key_version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    content_hash: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[dict] = mapped_column(Json)
    info: Mapped[dict] = mapped_column(Json)
    spec: Mapped[dict] = mapped_column(Json)


class Instance(Base):
    __tablename__ = "instances"
    __table_args__ = (
        Index("ix_instances_key_status", "definition_key", "status"),
        Index("ix_instances_started_by", "started_by", "started_at"),
        Index("ix_instances_key_started", "definition_key", "started_at"),
        Index("ix_instances_key_ended", "definition_key", "ended_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[str] = mapped_column(ForeignKey("definitions.id"))
    definition_key: Mapped[str] = mapped_column(String(255))
    definition_version: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(20))
    started_by: Mapped[str | None] = mapped_column(String(150))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    parent_instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    state: Mapped[dict] = mapped_column(Json)
    data: Mapped[dict] = mapped_column(Json)
    active_elements: Mapped[list] = mapped_column(Json)
    # Optimistic lock: every step bumps it; a writer that loaded an older value loses.
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock_version}


class InstanceTaskState(Base):
    """One task of an instance's stored state (runtime/taskrows.py): the entry the state's
    serialization writes for it, as JSON text, so that a step writes the tasks that changed
    instead of the whole state. ``owner`` is "" for the instance's own workflow, else the
    key of the subprocess the task belongs to. No foreign key: a new instance's rows are
    written before the ORM inserts the instance's row at the end of the step."""

    __tablename__ = "instance_task_states"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(36))
    entry: Mapped[str] = mapped_column(Text)


class Task(Base):
    """A human task (the inbox projection)."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_status_assignee", "status", "assignee"),
        Index("ix_tasks_instance_status", "instance_id", "status"),
        Index("ix_tasks_key_created", "definition_key", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"))
    definition_key: Mapped[str] = mapped_column(String(255))
    definition_version: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str | None] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    assignee: Mapped[str | None] = mapped_column(String(150))
    candidate_groups: Mapped[list] = mapped_column(Json)
    form: Mapped[str | None] = mapped_column(String(255))
    priority: Mapped[int] = mapped_column(Integer, default=50)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(150), index=True)
    # The user the model's assignee rule named when the task opened (or the starter, for a
    # task nobody is named for): eligible beside the candidate groups (migration 0007).
    designated_assignee: Mapped[str | None] = mapped_column(String(150))


class TaskCandidate(Base):
    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_task_candidates_group", "group_name", "task_id"),)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(150), primary_key=True)


class TaskExclusion(Base):
    """A user a separation-of-duties rule bars from a task (hidden from their inbox)."""

    __tablename__ = "task_exclusions"
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(150), primary_key=True)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_instance_status", "instance_id", "status"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"))
    element_id: Mapped[str | None] = mapped_column(String(255))
    task_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Event(Base):
    """The append-only, hash-chained audit log; rows are inserted, never updated or deleted.

    ``seq`` orders all events globally; ``chain_id``/``chain_seq`` place the event in its
    hash chain (see :mod:`flowdesk.engine.history.audit.chain`). The payload lives in
    :class:`EventPayload`, referenced by ``payload_hash``, so it can be erased on its own.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_instance_seq", "instance_id", "seq"),
        Index("ix_events_type_seq", "type", "seq"),
        Index("ix_events_actor_seq", "actor", "seq"),
        Index("ix_events_definition_seq", "definition_key", "seq"),
        Index("ix_events_at", "at"),
        UniqueConstraint("chain_id", "chain_seq", name="uq_events_chain_seq"),
    )
    seq: Mapped[int] = mapped_column(SeqInt, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    type: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(150))
    instance_id: Mapped[str | None] = mapped_column(String(36))
    definition_key: Mapped[str | None] = mapped_column(String(255))
    definition_version: Mapped[int | None] = mapped_column(Integer)
    element_id: Mapped[str | None] = mapped_column(String(255))
    task_id: Mapped[str | None] = mapped_column(String(36))
    chain_id: Mapped[str] = mapped_column(String(64))
    chain_seq: Mapped[int] = mapped_column(BigInteger)
    payload_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class EventPayload(Base):
    """Event data, addressed by the SHA-256 of its salt and canonical JSON (one row per event).

    Deleting a row (retention, erasure) removes the data but not the event: the chain
    still verifies, and the event reads as erased.
    """

    __tablename__ = "event_payloads"
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    salt: Mapped[str] = mapped_column(String(32))
    content: Mapped[dict] = mapped_column(Json)


class AuditChain(Base):
    """The head of one hash chain: appending locks this row, so a chain never forks.

    ``dirty`` marks chains that moved since the last anchor into the global chain.
    """

    __tablename__ = "audit_chains"
    chain_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    length: Mapped[int] = mapped_column(BigInteger)
    head: Mapped[str] = mapped_column(String(64))
    anchored_length: Mapped[int] = mapped_column(BigInteger, default=0)
    # chain_seq (in the global chain) of the newest anchor that recorded this chain's head.
    anchor_chain_seq: Mapped[int | None] = mapped_column(BigInteger)
    dirty: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


# -- HTTP API (migration 0002) -------------------------------------------------------------------


class LoginAttempt(Base):
    """Failed logins per username, so throttling holds across server processes."""

    __tablename__ = "login_attempts"
    username: Mapped[str] = mapped_column(String(150), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class IdempotencyKey(Base):
    """The first response to a creating POST, per user and ``Idempotency-Key``.

    ``status_code`` is NULL while the first request is still running.
    """

    __tablename__ = "idempotency_keys"
    username: Mapped[str] = mapped_column(String(150), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    media_type: Mapped[str | None] = mapped_column(String(100))
    response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class FileContent(Base):
    """Uploaded bytes, stored once by content hash."""

    __tablename__ = "file_contents"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)


class StoredFile(Base):
    """One upload (a form's file field refers to it by id)."""

    __tablename__ = "files"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("file_contents.sha256"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(150), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FileAttachment(Base):
    """A file submitted to an instance: readable by whoever may read that instance."""

    __tablename__ = "file_attachments"
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), primary_key=True, index=True)
    attached_by: Mapped[str] = mapped_column(String(150))
    attached_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SessionCutoff(Base):
    """Tokens of a user issued before ``cut_at`` are ended, all but the one ``kept`` (the id
    or web-session id of the token that changed the password) (migration 0012)."""

    __tablename__ = "session_cutoffs"
    username: Mapped[str] = mapped_column(String(150), primary_key=True)
    cut_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kept: Mapped[str | None] = mapped_column(String(64))


class RevokedToken(Base):
    """A bearer token ended by logging out before it expired (migration 0007)."""

    __tablename__ = "revoked_tokens"
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(150))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime)


# -- Background work (migration 0003) ----------------------------------------------------------


class Job(Base):
    """A unit of background work: a due timer, a service call, a message to deliver.

    The table is the source of truth: jobs are written in the transaction of the step
    that creates them and finished in the transaction of the step they drive. A worker
    owns a job while ``locked_by`` is set and ``lock_expires_at`` lies ahead; after
    that any worker may take it again.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_due", "status", "due_at"),
        Index("ix_jobs_instance", "instance_id", "status"),
        Index("ix_jobs_kind_name", "kind", "name", "status"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # What the job is about: the message name, the connector name; empty for timers.
    name: Mapped[str | None] = mapped_column(String(255))
    instance_id: Mapped[str | None] = mapped_column(String(36))
    definition_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(255))
    task_id: Mapped[str | None] = mapped_column(String(36))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(150))
    lock_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    payload: Mapped[dict] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MessageSubscription(Base):
    """An instance waiting for a message: its name and the correlation values it expects."""

    __tablename__ = "message_subscriptions"
    __table_args__ = (Index("ix_message_subscriptions_name", "name", "created_at"),)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    correlation: Mapped[dict] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"
    worker_id: Mapped[str] = mapped_column(String(150), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    jobs_done: Mapped[int] = mapped_column(Integer, default=0)


# -- Business records (migration 0004) ---------------------------------------------------------


class Record(Base):
    """A business document or reference entry: a purchase order, a supplier, an item.

    Processes create and change records through connectors; ``number`` is the human
    identifier (``PO-2026-000123`` for documents, the code for reference data) and is
    unique per type. ``idempotency_key`` makes a connector call that is repeated after a
    crash create the record once.
    """

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("type", "number", name="uq_records_type_number"),
        Index("ix_records_type_status", "type", "status"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(50))
    number: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(150))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": revision}


class RecordLink(Base):
    """Which instances created, changed or read a record (and so who may see it)."""

    __tablename__ = "record_links"
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    relation: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NumberSequence(Base):
    """Document number counters, one per prefix and year."""

    __tablename__ = "number_sequences"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


# -- Operating instances and definitions (migration 0009) --------------------------------------


class InstanceSuspension(Base):
    """An instance an operator suspended: why, by whom, and the status it resumes to."""

    __tablename__ = "instance_suspensions"
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), primary_key=True)
    previous_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    suspended_by: Mapped[str] = mapped_column(String(150))
    suspended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Suspended with its definition (resuming the definition resumes these, not the others).
    with_definition: Mapped[bool] = mapped_column(Boolean, default=False)


class DefinitionSuspension(Base):
    """A process (every version of its key) that starts no new instances until resumed."""

    __tablename__ = "definition_suspensions"
    definition_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    suspended_by: Mapped[str] = mapped_column(String(150))
    suspended_at: Mapped[datetime] = mapped_column(UtcDateTime)
