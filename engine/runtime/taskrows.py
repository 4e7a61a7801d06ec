"""An instance's state stored as a skeleton plus one row per task, written by difference.

A 1000-item multi-instance's state is a thousand task entries; storing it as one JSON
document meant re-serializing, encoding and writing all of them at every step although
a step changes a handful. So the stored state is split: the skeleton (workflow data,
subprocesses without their tasks, bpmn events, ...) stays in ``instances.state`` under
:data:`SPLIT_FORMAT`, and each task's entry (exactly what :mod:`.serialization` writes
for it) is its own row. A step serializes only the tasks that may have changed since the
rows were written and upserts those whose entry did change; the tasks gone from the tree
are deleted. :func:`assemble` puts skeleton and rows back into the one-document form
:func:`.serialization.state_from_dict` restores.

What was written is remembered on the workflow itself (:data:`_WRITTEN`), beside it in
the cache (runtime/cache.py), so it describes exactly the stored rows of the version the
workflow is cached at; a restored workflow gets it from the rows it was restored from.
A task is serialized again when

* anything SpiffWorkflow changes when it moves a task on differs: its state or
  ``last_state_change``, ``triggered``, its parent, its children, its spec, or the very
  ``data``/``internal_data`` objects it holds;
* it is in a state in which SpiffWorkflow and Flowdesk change data in place without
  moving the task (STARTED: a multi-instance merging its items' output, a call activity;
  WAITING: timers and catch events; ERROR), or it is a tree's root (pruning keeps the
  cut ancestry in the root's internal data);
* a key of its parent's data that it inherits (holds with the parent's value, so its
  entry's delta leaves it out) changed, or its parent gained a key it neither has nor
  deletes: its delta would restore the wrong data. The parent's keys are compared by
  their JSON text (``_key_prints``), for the parents serialized in this step only.

Everything else is as it was written. tests/runtime/test_task_rows.py holds the rules
to the full serialization on processes that exercise each of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.util.task import TaskState

from .cache import estimate_bytes
from .serialization import _ID_TEXTS, STATE_FORMAT, _StateWriter, state_to_dict_stable

# instances.state of a split state: the document without its tasks.
SPLIT_FORMAT = "flowdesk-1/spiff-1.5/task-rows"
# The rows of the top-level workflow's tasks name this owner; a subprocess's, its key.
TOP = ""
_WRITTEN = "_flowdesk_written_tasks"
# A workflow of fewer tasks is stored as one document, as before the split: writing it
# whole costs less than a second statement per step. Once split (it grew past this), an
# instance stays split: its rows are known and only the changed ones are written.
SPLIT_AT = 200
_MEMORY_PER_CHAR = 8
_UNCHANGED: tuple = (frozenset(), frozenset())
_VOLATILE = TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


def _dumps(entry: dict) -> str:
    """An entry's text, keys and deletions sorted: a restored task's data has its keys in
    another order (its parent's first), and an entry that is the same must read the same."""
    delta = entry.get("delta")
    if delta and len(delta.get("deletions") or ()) > 1:
        delta["deletions"] = sorted(delta["deletions"], key=str)
    return json.dumps(entry, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


class _Written:
    """What was last written for one task, and what its entry depended on."""

    __slots__ = (
        "changed",
        "children",
        "covered",
        "data",
        "inherited",
        "internal",
        "owner",
        "parent",
        "prints",
        "size",
        "spec",
        "stable",
        "state",
        "task",
        "text",
        "text_id",
        "triggered",
    )

    def __init__(self, owner: str, task, text_id: str, text: str, size: int, stable: bool, entry: dict) -> None:
        self.owner, self.task, self.text_id = owner, task, text_id
        self.state, self.changed, self.triggered = task.state, task.last_state_change, task.triggered
        self.parent, self.children, self.spec = task._parent, list(task._children), task.task_spec
        # The objects themselves, compared by identity (holding them keeps their ids unique).
        self.data, self.internal = task.data, task.internal_data
        self.text, self.size, self.stable = text, size, stable
        delta = entry.get("delta") or {}
        updates = delta.get("updates") or {}
        own = task.data.keys() if type(task.data) is dict else ()
        # Keys restored from the parent's data (None: the entry holds the whole data).
        self.inherited = frozenset(k for k in own if k not in updates) if entry.get("parent") else None
        self.covered = frozenset(own).union(delta.get("deletions") or ())
        self.prints: dict[str, str] | None = None

    def same(self, task) -> bool:
        return (self.task is task and self.data is task.data and self.internal is task.internal_data
                and self.state == task.state and self.changed == task.last_state_change
                and self.triggered == task.triggered and self.parent == task._parent
                and self.spec is task.task_spec and self.children == task._children)


@dataclass
class SplitState:
    """One step's writes of a split state."""

    skeleton: dict
    upserts: list[tuple[str, str, str]] = field(default_factory=list)  # (task id, owner, entry JSON)
    deletes: list[str] = field(default_factory=list)
    # Nothing is known of the stored rows (a new or restored-from-a-document workflow): the
    # instance's rows are all replaced by ``upserts``.
    replace_all: bool = False
    # Whether ``skeleton`` is the state split (else it is the whole state, and no row is written).
    split: bool = False
    stable: bool = True
    size: int = 0


def split_state(workflow) -> SplitState:
    """The skeleton of ``workflow``'s state and the task rows that changed since the last
    split of this workflow (all of them the first time); a small workflow never split
    before is stored as one document (``skeleton`` is then the whole state, no rows)."""
    written: dict[int, _Written] | None = getattr(workflow, _WRITTEN, None)
    if written is None and _task_count(workflow) < SPLIT_AT:
        dct, stable = state_to_dict_stable(workflow)
        return SplitState(dct, stable=stable, size=estimate_bytes(dct))
    writer = _StateWriter(getattr(workflow, _ID_TEXTS, None))
    skeleton = writer.workflow(workflow, with_tasks=False)
    skeleton["format"] = SPLIT_FORMAT
    result = SplitState(skeleton, replace_all=written is None, split=True)
    previous = written or {}
    now: dict[int, _Written] = {}
    parts = [(TOP, workflow)] + [(str(key), sub) for key, sub in workflow.subprocesses.items()]
    for owner, part in parts:
        _split_part(writer, owner, part, previous, now, result)
    result.deletes = [record.text_id for key, record in previous.items() if key not in now]
    setattr(workflow, _WRITTEN, now)
    setattr(workflow, _ID_TEXTS, writer.spelled)  # the ids the entries written now name
    result.stable = writer.stable and all(record.stable for record in now.values())
    result.size = estimate_bytes(skeleton) + sum(record.size for record in now.values())
    return result


def _held(text: str) -> int:
    """About the bytes a task's entry holds in memory, from its JSON text (what
    cache.estimate_bytes finds for a multi-instance state is 8-9 times its text; a walk over a
    multi-instance task's thousands of child ids at every step would cost more than
    the estimate is worth)."""
    return _MEMORY_PER_CHAR * len(text)


def _task_count(workflow) -> int:
    return len(workflow.tasks) + sum(len(sub.tasks) for sub in workflow.subprocesses.values())


def _split_part(writer: _StateWriter, owner: str, part, previous: dict, now: dict, result: SplitState) -> None:
    """Carry over the records of the part's unchanged tasks and write the others. Tasks
    are found by the integer of their id (a UUID hashes in Python, ~1 us each)."""
    root = part.task_tree
    if root is None:
        return
    redo = []
    for task in part.tasks.values():
        key = task.id.int
        record = previous.get(key)
        if (record is None or task.state & _VOLATILE or task is root or record.owner != owner
                or not record.same(task)):
            redo.append(task)
        else:
            now[key] = record
    seen = set()
    while redo:
        task = redo.pop()
        key = task.id.int
        if key in seen:
            continue
        seen.add(key)
        record = previous.get(key)
        stable_before, writer.stable = writer.stable, True
        entry = writer.task(task)
        entry_text = _dumps(entry)
        new = _Written(owner, task, writer.text(task.id), entry_text, _held(entry_text), writer.stable, entry)
        writer.stable = stable_before and writer.stable
        if record is None or record.text != entry_text or record.owner != owner:
            result.upserts.append((new.text_id, owner, entry_text))
        now[key] = new
        if not task._children:
            continue
        # The children that inherit a key of this task's data that changed, or lack one it
        # gained, are written again (their delta would restore the wrong data).
        new.prints = _key_prints(task.data)
        before = record.prints if record is not None and record.prints is not None else (
            _key_prints(record.data) if record is not None and record.data is not task.data else None)
        changes = _changes(before, new.prints)
        if changes == _UNCHANGED:
            continue
        for child_id in task._children:
            child_key = child_id.int
            if child_key in seen:
                continue
            child_record = now.get(child_key)
            if child_record is None or child_record.inherited is None:
                continue  # not carried over: written anyway, or holds its whole data
            if changes is None:
                stale = True
            else:
                changed, added = changes
                stale = bool(changed and not child_record.inherited.isdisjoint(changed)) or bool(
                    added and added - child_record.covered)
            if stale:
                del now[child_key]
                redo.append(child_record.task)


def _key_prints(data: Any) -> dict[str, str] | None:
    """Each top-level value of ``data`` as JSON text, to tell which changed (None when
    they cannot be printed: every key then counts as changed)."""
    if type(data) is not dict:
        return None
    prints = {}
    for key, value in data.items():
        try:
            prints[key] = json.dumps(value, sort_keys=True, default=repr)
        except (TypeError, ValueError):
            return None
    return prints


def _changes(before: dict | None, after: dict | None) -> tuple | None:
    if before is None or after is None:
        return None
    changed = frozenset(k for k, v in before.items() if after.get(k) != v)
    added = frozenset(k for k in after if k not in before)
    return changed, added


def remember_rows(workflow, rows: list[tuple[str, str, str]], entries: dict[str, dict]) -> None:
    """Record that ``workflow`` (just restored) is stored as ``rows`` (task id, owner,
    entry JSON; ``entries`` the decoded entries by task id), so its next split writes
    only what changes."""
    written: dict[int, _Written] = {}
    parts = [(TOP, workflow)] + [(str(key), sub) for key, sub in workflow.subprocesses.items()]
    by_id = {task_id: (owner, text) for task_id, owner, text in rows}
    for owner, part in parts:
        for task_id, task in part.tasks.items():
            text_id = str(task_id)
            stored = by_id.get(text_id)
            if stored is None or stored[0] != owner:
                continue
            entry = entries[text_id]
            record = _Written(owner, task, text_id, stored[1], _held(stored[1]), True, entry)
            if task._children:  # what its children's deltas are checked against at the next step
                record.prints = _key_prints(task.data)
            written[task_id.int] = record
    setattr(workflow, _WRITTEN, written)


def assemble(skeleton: dict, rows: list[tuple[str, str, str]]) -> tuple[dict, dict[str, dict]]:
    """The one-document state (:data:`.serialization.STATE_FORMAT`) of a skeleton and its
    task rows (task id, owner, entry JSON), and the decoded entries by task id."""
    if skeleton.get("format") != SPLIT_FORMAT:
        raise ValueError(f"not a split state: {skeleton.get('format')!r}")
    state = dict(skeleton)
    state["tasks"] = {}
    state["subprocesses"] = {key: {**sub, "tasks": {}} for key, sub in skeleton.get("subprocesses", {}).items()}
    entries: dict[str, dict] = {}
    for task_id, owner, text in rows:
        entry = json.loads(text)
        entries[task_id] = entry
        if owner == TOP:
            state["tasks"][task_id] = entry
        elif owner in state["subprocesses"]:
            state["subprocesses"][owner]["tasks"][task_id] = entry
    state["format"] = STATE_FORMAT
    return state, entries
