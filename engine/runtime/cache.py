"""Live workflows kept between steps, so a step need not decode and restore its state.

Restoring an instance means decoding its JSON state and rebuilding every live task
(SpiffWorkflow rebuilds each task's data from its parent's): for a 1000-item
multi-instance that was ~70 ms of every item's completion. After a step is committed, the
workflow object it ran on is exactly the state just stored, so it is kept here under the
instance id and the row's new ``lock_version``; the next step of that instance takes it
back if the row still has that version (any other writer, in this process or another,
bumps the version, and the entry is then ignored and the state restored as before).
A finished instance (completed, cancelled) has no next step: its entry is dropped.

An entry is taken out while a step runs on it (two requests never share one), and put
back only by the step writer after its transaction committed. A workflow is kept only
when its stored state is plain JSON (str keys, no tuples or other Python types a JSON
round trip would change), so a cached workflow behaves exactly like a restored one.
"""

from __future__ import annotations

import gc
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
        self._released = 0
        self._lock = threading.Lock()
        self.collections = 0

    @property
    def bytes_held(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def resize(self, max_bytes: int) -> None:
        """Bound the cache to ``max_bytes`` from now on (dropping the oldest entries)."""
        with self._lock:
            self.max_bytes = max_bytes
            released = self._shrink()
        self._release(released)

    def take(self, key: str, version: int) -> Any | None:
        """The workflow stored for ``key`` at ``version``, removed from the cache."""
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._bytes -= entry[2]
        if entry is None or entry[0] != version:
            if entry is not None:
                self._release(entry[2])
            return None
        return entry[1]

    def put(self, key: str, version: int, workflow: Any, size: int) -> None:
        """Keep ``workflow`` (about ``size`` bytes) as ``key`` at ``version``; the least
        recently kept entries go when the cache would hold more than its bound."""
        with self._lock:
            current = self._entries.pop(key, None)
            released = 0
            if current is not None:
                self._bytes -= current[2]
                if current[0] > version:
                    workflow, version, size = current[1], current[0], current[2]
                elif current[1] is not workflow:
                    released += current[2]
            if size > self.max_bytes:
                released += size
            else:
                self._entries[key] = (version, workflow, size)
                self._bytes += size
                released += self._shrink()
        self._release(released)

    def _shrink(self) -> int:
        dropped_bytes = 0
        while self._bytes > self.max_bytes and self._entries:
            _, (_, _, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped
            dropped_bytes += dropped
        return dropped_bytes

    def discard(self, key: str, size: int = 0) -> None:
        """Forget ``key``; ``size``: the bytes of a workflow of it that was not cached
        (a finished instance's), which is garbage now as well."""
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._bytes -= entry[2]
                size += entry[2]
        self._release(size)

    def _release(self, size: int) -> None:
        """Note ``size`` bytes of workflows let go. A workflow is a web of reference cycles
        (tasks point to their parents and children) that only a full collection frees, and
        with Flowdesk's collector thresholds (engine/tuning.py) full collections are rare:
        so once the workflows let go add up to half the cache's bound, collect them now.
        Memory then stays within about one and a half times the bound, however long the load."""
        if size <= 0:
            return
        with self._lock:
            self._released += size
            due = self._released >= max(self.max_bytes // 2, 1 << 20)
            if due:
                self._released = 0
        if due:
            gc.collect()
            self.collections += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


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
