"""Live workflows kept between steps, so a step need not decode and restore its state.

Restoring an instance means decoding its JSON state and rebuilding every live task
(SpiffWorkflow rebuilds each task's data from its parent's): for a 1000-item
multi-instance that was ~70 ms of every item's completion. After a step is committed, the
workflow object it ran on is exactly the state just stored, so it is kept here under the
instance id and the row's new ``lock_version``; the next step of that instance takes it
back if the row still has that version (any other writer, in this process or another,
bumps the version, and the entry is then ignored and the state restored as before).
A finished instance (completed, cancelled) has no next step: its entry is dropped.

A workflow is a web of reference cycles (each task points to its workflow, which holds
its tasks; its event manager and sub-workflows point back too), which reference counting
never frees and only a full run of the garbage collector does: rare with Flowdesk's
collector thresholds (engine/tuning.py), and one forced from here would stop a request
for a walk over every object of the process. So a workflow let go (evicted, replaced,
stale, or a finished instance's) is taken apart (:func:`dismantle`) and freed at once.

An entry is taken out while a step runs on it (two requests never share one), and put
back only by the step writer after its transaction committed. A workflow is kept only
when its stored state is plain JSON (str keys, no tuples or other Python types a JSON
round trip would change), so a cached workflow behaves exactly like a restored one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

# The cache holds at most this many bytes (the estimate of each workflow's stored state,
# see estimate_bytes), not a number of workflows: a thousand small instances cost what
# one 1000-item multi-instance does, and one start with megabytes of data counts as such.
# ``FLOWDESK_CACHE_MB`` sets it for a process (ProcessEngine); 0 turns the cache off.
DEFAULT_BYTES = 64 * 1024 * 1024


class WorkflowCache:
    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[int, Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes_held(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def resize(self, max_bytes: int) -> None:
        """Bound the cache to ``max_bytes`` from now on (dropping the oldest entries)."""
        with self._lock:
            self.max_bytes = max_bytes
            dropped = self._shrink()
        _let_go(dropped)

    def take(self, key: str, version: int) -> Any | None:
        """The workflow stored for ``key`` at ``version``, removed from the cache."""
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._bytes -= entry[2]
        if entry is None or entry[0] != version:
            if entry is not None:
                dismantle(entry[1])  # a stale state: someone else moved the instance on
            return None
        return entry[1]

    def put(self, key: str, version: int, workflow: Any, size: int) -> None:
        """Keep ``workflow`` (about ``size`` bytes) as ``key`` at ``version``; the least
        recently kept entries go when the cache would hold more than its bound. The caller
        hands ``workflow`` over: whatever is not kept is taken apart."""
        with self._lock:
            current = self._entries.pop(key, None)
            dropped = []
            if current is not None:
                self._bytes -= current[2]
                if current[0] > version:  # an older version never replaces a newer one
                    dropped.append(workflow)
                    version, workflow, size = current
                elif current[1] is not workflow:
                    dropped.append(current[1])
            if size > self.max_bytes:
                dropped.append(workflow)
            else:
                self._entries[key] = (version, workflow, size)
                self._bytes += size
                dropped.extend(self._shrink())
        _let_go(dropped)

    def _shrink(self) -> list[Any]:
        dropped = []
        while self._bytes > self.max_bytes and self._entries:
            _, (_, workflow, size) = self._entries.popitem(last=False)
            self._bytes -= size
            dropped.append(workflow)
        return dropped

    def discard(self, key: str, workflow: Any = None) -> None:
        """Forget ``key``, and take apart its entry and ``workflow`` (a finished instance's,
        or one whose state is not cached), which no step will use again."""
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._bytes -= entry[2]
        _let_go([entry[1]] if entry is not None and entry[1] is not workflow else [])
        if workflow is not None:
            dismantle(workflow)

    def clear(self) -> None:
        with self._lock:
            dropped = [workflow for _, workflow, _ in self._entries.values()]
            self._entries.clear()
            self._bytes = 0
        _let_go(dropped)


def _let_go(workflows: list[Any]) -> None:
    for workflow in workflows:  # outside the lock: taking apart a large workflow takes a while
        dismantle(workflow)


def dismantle(workflow: Any) -> None:
    """Take apart a workflow nobody will use again, so that reference counting frees it
    (and its tasks and data) now instead of a full garbage collection some day: emptying
    the attributes of the workflow and of its sub-workflows cuts every cycle through them
    (tasks -> workflow -> tasks, event manager -> workflow, sub-workflow -> top workflow).
    Only for a workflow no step holds: the cache hands out an entry by removing it."""
    subprocesses = getattr(workflow, "subprocesses", None)
    parts = [*subprocesses.values(), workflow] if isinstance(subprocesses, dict) else [workflow]
    for part in parts:
        attributes = getattr(part, "__dict__", None)
        if attributes is not None:
            attributes.clear()


WORKFLOWS = WorkflowCache()

# What CPython spends on each kind of value, near enough (64-bit): the object itself, and
# a container's slots per item. The estimate is of the state's plain-JSON form, which the
# live workflow's task data mirrors.
_STR, _NUMBER, _DICT, _DICT_ITEM, _LIST, _LIST_ITEM = 49, 32, 64, 80, 56, 8


def estimate_bytes(value: Any) -> int:
    """About how many bytes ``value`` (plain JSON: dicts, lists, str, numbers) occupies."""
    total = 0
    stack = [value]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is str:
            total += _STR + len(current)
        elif kind is dict:
            total += _DICT + _DICT_ITEM * len(current)
            for key in current:
                total += _STR + len(key) if type(key) is str else _NUMBER
            stack.extend(current.values())
        elif kind is list or kind is tuple:
            total += _LIST + _LIST_ITEM * len(current)
            stack.extend(current)
        else:
            total += _NUMBER
    return total


JSON_SCALARS = frozenset({str, int, bool, float, type(None)})


def json_stable(value: Any) -> bool:
    """Whether ``value`` comes back from a JSON round trip as it is (dicts with str keys,
    lists, str, int, float, bool, None)."""
    if type(value) in JSON_SCALARS:
        return True
    stack = [value]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is dict:
            for key in current:
                if type(key) is not str:
                    return False
            items = current.values()
        elif kind is list:
            items = current
        else:
            return False
        for item in items:
            item_kind = type(item)
            if item_kind in JSON_SCALARS:
                continue
            if item_kind is dict or item_kind is list:
                stack.append(item)
            else:
                return False
    return True
