"""Instance state split into a skeleton and one row per task (instance_task_states)

Existing instances keep their one-document state (format flowdesk-1/spiff-1.5): it is
read as it is, and the first step that writes such an instance stores it split.

Revision ID: 0012_mistate
Revises: 0011_collaboration
Create Date: 2026-12-07
"""
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_mistate"
down_revision = "0011_collaboration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_task_states",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=36), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "task_id"),
    )


def downgrade() -> None:
    # A split state cannot be read without its rows: put them back into the document.
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT instance_id, task_id, owner, entry FROM instance_task_states")).fetchall()
    if rows:
        state_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
        instances = sa.table("instances", sa.column("id", sa.String), sa.column("state", state_type))
        by_instance: dict[str, list] = {}
        for instance_id, task_id, owner, entry in rows:
            by_instance.setdefault(instance_id, []).append((task_id, owner, entry))
        for instance_id, task_rows in by_instance.items():
            state = bind.execute(sa.select(instances.c.state).where(instances.c.id == instance_id)).scalar_one()
            if isinstance(state, str):
                state = json.loads(state)
            if state.get("format") != "flowdesk-1/spiff-1.5/task-rows":
                continue
            state = dict(state)
            state["tasks"] = {}
            state["subprocesses"] = {k: {**sub, "tasks": {}} for k, sub in state.get("subprocesses", {}).items()}
            for task_id, owner, entry in task_rows:
                target = state["tasks"] if owner == "" else state["subprocesses"].get(owner, {}).get("tasks")
                if target is not None:
                    target[task_id] = json.loads(entry)
            state["format"] = "flowdesk-1/spiff-1.5"
            bind.execute(sa.update(instances).where(instances.c.id == instance_id).values(state=state))
    op.drop_table("instance_task_states")
