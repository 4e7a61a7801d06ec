"""Tables of people working together (migration 0011): preferences, substitutes and task
owners, notifications, webhooks and their deliveries, comments, attachments, drafts,
saved filters and follow-up dates.

They live beside :mod:`.models` on the same metadata (``persistence/__init__`` imports
this module), so the schema test and Alembic see one schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, Json, UtcDateTime


class UserPreferences(Base):
    """A user's language, time zone and notification choices (the e-mail address is on ``users``)."""

    __tablename__ = "user_preferences"
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # {"assigned": bool, "group_task": bool, "due_soon": bool, "overdue": bool, "escalated": bool}
    notifications: Mapped[dict] = mapped_column(Json)
    # "off": every notification at once; "hourly"/"daily": group tasks collected into one mail.
    digest: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Substitute(Base):
    """Out of office: while ``starts_at <= now < ends_at``, tasks that would be assigned to
    ``username`` go to ``substitute``."""

    __tablename__ = "substitutes"
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"), primary_key=True)
    substitute: Mapped[str] = mapped_column(String(150), index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TaskOwner(Base):
    """A task worked by someone on behalf of its owner (a substitute, or a delegate)."""

    __tablename__ = "task_owners"
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(150), index=True)
    delegate: Mapped[str] = mapped_column(String(150))
    reason: Mapped[str] = mapped_column(String(20))  # "substitute" | "delegation"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Notification(Base):
    """One notification for one user: the log, the idempotency of sending (``key``), and
    the queue of a digest (``status`` ``queued`` until the digest mail takes it)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_status", "username", "status"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str] = mapped_column(String(150))
    kind: Mapped[str] = mapped_column(String(20))
    task_id: Mapped[str | None] = mapped_column(String(36))
    instance_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))  # "sent" | "queued" | "digested" | "skipped"
    data: Mapped[dict] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Webhook(Base):
    __tablename__ = "webhooks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(Json)
    secret: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookDelivery(Base):
    """One event for one webhook, with every attempt's outcome (the delivery log)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("webhook_id", "event_key", name="uq_webhook_deliveries_event"),
                      Index("ix_webhook_deliveries_webhook", "webhook_id", "created_at"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # "pending" | "delivered" | "failed"
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    log: Mapped[list] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Comment(Base):
    """A comment on an instance (and the task it was written on, if any); never edited."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_instance", "instance_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    author: Mapped[str] = mapped_column(String(150))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_instance", "instance_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id"))
    added_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Draft(Base):
    """Unfinished form data of one task, for its author alone."""

    __tablename__ = "drafts"
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(150), primary_key=True)
    data: Mapped[dict] = mapped_column(Json)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SavedFilter(Base):
    __tablename__ = "saved_filters"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(150), index=True)
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[dict] = mapped_column(Json)
    shared_with_groups: Mapped[list] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TaskFollowUp(Base):
    __tablename__ = "task_follow_ups"
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    follow_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    set_by: Mapped[str] = mapped_column(String(150))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)
