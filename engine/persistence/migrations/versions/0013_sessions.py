"""Changing a password ends the user's other sessions: one cut-off per user

Revision ID: 0013_sessions
Revises: 0012_mistate
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_sessions"
down_revision = "0012_mistate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_cutoffs",
        sa.Column("username", sa.String(length=150), primary_key=True),
        sa.Column("cut_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kept", sa.String(length=64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("session_cutoffs")
