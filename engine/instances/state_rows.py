"""Reading and writing an instance's stored state: its skeleton in ``instances.state``,
its task entries in ``instance_task_states`` (see runtime/taskrows.py).

A step writes only the task rows that changed, queued in its write batch after the instance
row's versioned UPDATE: a competing writer of the same instance is stopped by that version check (it
waits on the instance row, then finds it moved) before it touches any task row. An
instance stored before the split (one document) reads as it is; its next step stores it
split (all its rows at once).
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..persistence.batch import WriteBatch, send_queued
from ..persistence.models import Instance, InstanceTaskState
from ..runtime.taskrows import SPLIT_FORMAT, SplitState, assemble

_TABLE = InstanceTaskState.__table__
_READ = (select(_TABLE.c.task_id, _TABLE.c.owner, _TABLE.c.entry)
         .where(_TABLE.c.instance_id == bindparam("instance_id")))
_INSERT = insert(_TABLE)
_UPSERT = {
    name: (lambda stmt: stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.instance_id, _TABLE.c.task_id],
        set_={"owner": stmt.excluded.owner, "entry": stmt.excluded.entry}))(insert_of(_TABLE))
    for name, insert_of in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}
_DELETE_ALL = delete(_TABLE).where(_TABLE.c.instance_id == bindparam("instance_id"))
_DELETE_ONE = delete(_TABLE).where(_TABLE.c.instance_id == bindparam("instance_id"),
                                   _TABLE.c.task_id == bindparam("task_id"))


def is_split(state: dict | None) -> bool:
    return bool(state) and state.get("format") == SPLIT_FORMAT


def task_rows(session: Session, instance_id: str) -> list[tuple[str, str, str]]:
    """The instance's task rows: (task id, owner, entry JSON), in one query (after the
    writes this transaction queued, which may hold some of them)."""
    send_queued(session)
    return [tuple(row) for row in session.execute(_READ, {"instance_id": instance_id})]


def stored_state(session: Session, instance: Instance) -> dict:
    """The instance's state as one document (runtime/serialization.py's format), whichever
    way it is stored: for the readers that work on the whole state (version migration)."""
    state = instance.state
    if not is_split(state):
        return state
    return assemble(state, task_rows(session, instance.id))[0]


def forget_task_rows(session: Session, instance: Instance) -> None:
    """Delete a split instance's task rows before its state is written anew from a
    workflow that does not know them (a version migration rebuilds it)."""
    if is_split(instance.state):
        session.execute(_DELETE_ALL, {"instance_id": instance.id})


def queue_task_rows(batch: WriteBatch, session: Session, instance_id: str, split: SplitState) -> None:
    """Queue a step's task rows in its write batch, after the instance row's versioned UPDATE
    (one round trip with the rest of the step on PostgreSQL)."""
    if not split.split:
        return
    if split.replace_all:
        batch.add(_DELETE_ALL, {"instance_id": instance_id})
    elif split.deletes:
        batch.add(_DELETE_ONE, [{"instance_id": instance_id, "task_id": task_id} for task_id in split.deletes])
    if not split.upserts:
        return
    rows = [{"instance_id": instance_id, "task_id": task_id, "owner": owner, "entry": entry}
            for task_id, owner, entry in split.upserts]
    batch.add(_INSERT if split.replace_all else _UPSERT[session.get_bind().dialect.name], rows)
