"""Security: a task's designated assignee, files attached to instances, revoked tokens

Revision ID: 0007_security
Revises: 0006
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_security"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("designated_assignee", sa.String(length=150), nullable=True))
    # Tasks opened before: whoever holds one now stays able to (as before the upgrade).
    op.execute("UPDATE tasks SET designated_assignee = assignee WHERE assignee IS NOT NULL")
    op.create_table(
        "file_attachments",
        sa.Column("file_id", sa.String(length=36), sa.ForeignKey("files.id"), primary_key=True),
        sa.Column("instance_id", sa.String(length=36), sa.ForeignKey("instances.id"), primary_key=True),
        sa.Column("attached_by", sa.String(length=150), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_file_attachments_instance_id", "file_attachments", ["instance_id"])
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(length=64), primary_key=True),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_revoked_tokens_expires_at", "revoked_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_revoked_tokens_expires_at", table_name="revoked_tokens")
    op.drop_table("revoked_tokens")
    op.drop_index("ix_file_attachments_instance_id", table_name="file_attachments")
    op.drop_table("file_attachments")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("designated_assignee")
