"""Operating instances and definitions: suspensions

Revision ID: 0009_operations
Revises: 0006
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_operations"
down_revision = "0007_security"
branch_labels = None
depends_on = None


def _utc():
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "instance_suspensions",
        sa.Column("instance_id", sa.String(length=36), sa.ForeignKey("instances.id"), primary_key=True),
        sa.Column("previous_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("suspended_by", sa.String(length=150), nullable=False),
        sa.Column("suspended_at", _utc(), nullable=False),
        sa.Column("with_definition", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "definition_suspensions",
        sa.Column("definition_key", sa.String(length=255), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("suspended_by", sa.String(length=150), nullable=False),
        sa.Column("suspended_at", _utc(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("definition_suspensions")
    op.drop_table("instance_suspensions")
