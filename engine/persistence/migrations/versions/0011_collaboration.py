"""People working together: preferences, substitutes, task owners, notifications, webhooks,
comments, attachments, drafts, saved filters, follow-up dates

Revision ID: 0011_collaboration
Revises: 0006
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_collaboration"
down_revision = "0010_accounts"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "user_preferences",
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("notifications", Json, nullable=False),
        sa.Column("digest", sa.String(length=10), nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.ForeignKeyConstraint(["username"], ["users.username"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "substitutes",
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("substitute", sa.String(length=150), nullable=False),
        sa.Column("starts_at", When, nullable=False),
        sa.Column("ends_at", When, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(["username"], ["users.username"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_index("ix_substitutes_substitute", "substitutes", ["substitute"])
    op.create_table(
        "task_owners",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=150), nullable=False),
        sa.Column("delegate", sa.String(length=150), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("task_id"),
    )
    op.create_index("ix_task_owners_owner", "task_owners", ["owner"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("sent_at", When, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_notifications_user_status", "notifications", ["username", "status"])
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", Json, nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("webhook_id", sa.String(length=36), nullable=False),
        sa.Column("event_key", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("log", Json, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("delivered_at", When, nullable=True),
        sa.ForeignKeyConstraint(["webhook_id"], ["webhooks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("webhook_id", "event_key", name="uq_webhook_deliveries_event"),
    )
    op.create_index("ix_webhook_deliveries_webhook", "webhook_deliveries", ["webhook_id", "created_at"])
    op.create_table(
        "comments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("author", sa.String(length=150), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_comments_instance", "comments", ["instance_id", "created_at"])
    op.create_index("ix_comments_task_id", "comments", ["task_id"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.Column("added_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attachments_instance", "attachments", ["instance_id", "created_at"])
    op.create_index("ix_attachments_task_id", "attachments", ["task_id"])
    op.create_table(
        "drafts",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("task_id", "username"),
    )
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=150), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("query", Json, nullable=False),
        sa.Column("shared_with_groups", Json, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_saved_filters_owner", "saved_filters", ["owner"])
    op.create_table(
        "task_follow_ups",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("follow_up_at", When, nullable=True),
        sa.Column("set_by", sa.String(length=150), nullable=False),
        sa.Column("set_at", When, nullable=False),
        sa.PrimaryKeyConstraint("task_id"),
    )


def downgrade() -> None:
    op.drop_table("task_follow_ups")
    op.drop_index("ix_saved_filters_owner", table_name="saved_filters")
    op.drop_table("saved_filters")
    op.drop_table("drafts")
    op.drop_index("ix_attachments_task_id", table_name="attachments")
    op.drop_index("ix_attachments_instance", table_name="attachments")
    op.drop_table("attachments")
    op.drop_index("ix_comments_task_id", table_name="comments")
    op.drop_index("ix_comments_instance", table_name="comments")
    op.drop_table("comments")
    op.drop_index("ix_webhook_deliveries_webhook", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_index("ix_notifications_user_status", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_task_owners_owner", table_name="task_owners")
    op.drop_table("task_owners")
    op.drop_index("ix_substitutes_substitute", table_name="substitutes")
    op.drop_table("substitutes")
    op.drop_table("user_preferences")
