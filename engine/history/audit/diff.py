"""Field-level differences between two versions of an instance's data.

Auditors ask "what did this step change?", not "what was the data afterwards?": every
step records the changed fields as JSON Pointer paths with the value before and after.
Objects are compared key by key, recursively; lists and scalars are compared whole (a
changed line of an order shows as the whole list before and after, which is what a
reader wants to see anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _pointer(parts: tuple[str, ...]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def apply_diff(document: dict[str, Any], changes: list[dict[str, Any]]) -> None:
    """Replay `changes` (as `diff` wrote them) onto `document`, in place: the inverse of
    `diff`, used to rebuild the data as it stood at any event from the chained history."""
    for change in changes:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in change["path"].split("/")[1:]]
        target = document
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        if change["op"] == "remove":
            target.pop(parts[-1], None)
        else:
            target[parts[-1]] = change.get("after")


def diff(before: Mapping[str, Any], after: Mapping[str, Any], _at: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    for key in sorted(set(before) | set(after), key=str):
        path = (*_at, str(key))
        if key not in after:
            changes.append({"path": _pointer(path), "op": "remove", "before": before[key]})
        elif key not in before:
            changes.append({"path": _pointer(path), "op": "add", "after": after[key]})
        elif isinstance(before[key], Mapping) and isinstance(after[key], Mapping):
            changes.extend(diff(before[key], after[key], path))
        elif before[key] != after[key] or type(before[key]) is not type(after[key]):
            changes.append({"path": _pointer(path), "op": "replace", "before": before[key], "after": after[key]})
    return changes
