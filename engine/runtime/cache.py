"""Live workflows kept between steps, so a step need not decode and restore its state.

Restoring an instance means decoding its JSON state and rebuilding every live task
(SpiffWorkflow rebuilds each task's data from its parent's): for a 1000-item
multi-instance that was ~70 ms of every item's completion. After a step is committed, the
workflow object it ran on is exactly the state just stored, so it is kept here under the
instance id and the row's new ``lock_version``; the next step of that instance takes it
back if the row still has that version (any other writer, in this process or another,
bumps the version, and the entry is then ignored and the state restored as before).

An entry is taken out while a step runs on it (two requests never share one), and put
back only by the step writer after its transaction committed. A workflow is kept only
when its stored state is plain JSON (str keys, no tuples or other Python types a JSON
round trip would change), so a cached workflow behaves exactly like a restored one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

# The cache holds at most this many tasks (summed over its workflows), not a number of
# workflows: a thousand small instances cost what one 1000-item multi-instance does.
DEFAULT_TASKS = 50_000


def _weight(workflow: Any) -> int:
    return len(workflow.tasks) + sum(len(sub.tasks) for sub in workflow.subprocesses.values())


class WorkflowCache:
    def __init__(self, max_tasks: int = DEFAULT_TASKS) -> None:
        self.max_tasks = max_tasks
        self._entries: OrderedDict[str, tuple[int, Any, int]] = OrderedDict()
        self._tasks = 0
        self._lock = threading.Lock()

    def take(self, key: str, version: int) -> Any | None:
        """The workflow stored for ``key`` at ``version``, removed from the cache."""
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._tasks -= entry[2]
        if entry is None or entry[0] != version:
            return None
        return entry[1]

    def put(self, key: str, version: int, workflow: Any) -> None:
        weight = _weight(workflow)
        if weight > self.max_tasks:
            return
        with self._lock:
            current = self._entries.pop(key, None)
            if current is not None:
                self._tasks -= current[2]
                if current[0] > version:
                    workflow, version, weight = current[1], current[0], current[2]
            self._entries[key] = (version, workflow, weight)
            self._tasks += weight
            while self._tasks > self.max_tasks and self._entries:
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._tasks -= dropped

    def discard(self, key: str) -> None:
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._tasks -= entry[2]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._tasks = 0


WORKFLOWS = WorkflowCache()


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
