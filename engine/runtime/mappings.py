"""Variable mappings that the dialect translation attaches to tasks as scripts.

Camunda models move data with input/output mappings (``zeebe:ioMapping``,
``camunda:inputOutput``), multi-instance input and output elements, script results and
call-activity variable passing. Their semantics (local variables, targets like
``provider.type`` that write into nested objects, output mappings that replace what a
task would otherwise propagate) do not fit a Python script, so the translation writes
them as a *mapping directive*: a pre- or post-script whose text is :data:`DIRECTIVE`
followed by JSON. :class:`scripting.SandboxScriptEngine` recognises the marker and runs
the steps here, with the task at hand; every expression in it is sandbox Python that was
checked at deploy time and is evaluated in the sandbox like any other expression.

Steps, run in order (``EXPR`` is sandbox Python source, or null for a null value)::

    ["snapshot"]                 remember the data as it is (see "outputs")
    ["local", TARGET, EXPR]      TARGET's top-level variable becomes local to the task (its
                                 value before is restored by "outputs"/"restore"), then
                                 set like "set"
    ["set", TARGET, EXPR]        evaluate, then write the value at TARGET ("a.b" writes
                                 key "b" of the object "a", creating objects on the way)
    ["drop", NAME]               remove a variable
    ["outputs", [[TARGET, EXPR], ...]]
                                 evaluate every EXPR against the task's data, then put the
                                 data back as the "snapshot" left it (when one was taken)
                                 or restore the local variables, then write the values
    ["restore"]                  restore the local variables
    ["merge", EXPR]              evaluate EXPR (an object) and write each of its entries

The state between a pre-script and the post-script of one task (the snapshot and the
shadowed variables) is kept in the task's internal data, so it survives a save and load
of the instance while the task waits.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, MutableMapping
from typing import Any

DIRECTIVE = "#!flowdesk-io"
_SNAPSHOT = "flowdesk_io_snapshot"
_SHADOW = "flowdesk_io_shadow"
_ABSENT = {"flowdesk_io_absent": True}


def directive(steps: list[list]) -> str:
    """The script text of a directive (what the translation writes)."""
    return f"{DIRECTIVE}\n{json.dumps({'v': 1, 'steps': steps}, ensure_ascii=False)}"


def is_directive(script: str | None) -> bool:
    return isinstance(script, str) and script.startswith(DIRECTIVE)


def steps_of(script: str) -> list[list]:
    return json.loads(script[len(DIRECTIVE):])["steps"]


def expressions_of(script: str) -> list[str]:
    """Every expression a directive evaluates (for checks and for tools reading models)."""
    found: list[str] = []
    for step in steps_of(script):
        kind = step[0]
        if kind in ("local", "set") and step[2] is not None:
            found.append(step[2])
        elif kind == "merge" and step[1] is not None:
            found.append(step[1])
        elif kind == "outputs":
            found.extend(expr for _, expr in step[1] if expr is not None)
    return found


def set_path(data: MutableMapping[str, Any], target: str, value: Any) -> None:
    """``data[a][b] = value`` for target ``a.b`` (objects are created or replaced on the way)."""
    parts = target.split(".")
    current = data
    for part in parts[:-1]:
        inner = current.get(part)
        if not isinstance(inner, dict):
            inner = {}
            current[part] = inner
        current = inner
    current[parts[-1]] = value


def run(task: Any, script: str, evaluate: Callable[[str, dict], Any]) -> None:
    """Run a directive against ``task`` (a SpiffWorkflow task), evaluating expressions with
    ``evaluate(source, data)``."""
    data = task.data
    internal = task.internal_data

    def value(expr: str | None) -> Any:
        return None if expr is None else evaluate(expr, data)

    def shadow(name: str) -> None:
        saved = internal.setdefault(_SHADOW, {})
        if name not in saved:
            saved[name] = copy.deepcopy(data[name]) if name in data else _ABSENT

    def restore() -> None:
        for name, old in internal.pop(_SHADOW, {}).items():
            if old == _ABSENT:
                data.pop(name, None)
            else:
                data[name] = old

    for step in steps_of(script):
        kind = step[0]
        if kind == "snapshot":
            internal[_SNAPSHOT] = copy.deepcopy(dict(data))
        elif kind == "local":
            result = value(step[2])
            shadow(step[1].split(".")[0])
            set_path(data, step[1], result)
        elif kind == "set":
            set_path(data, step[1], value(step[2]))
        elif kind == "drop":
            data.pop(step[1], None)
        elif kind == "merge":
            result = value(step[1])
            if isinstance(result, dict):
                data.update(result)
        elif kind == "restore":
            restore()
        elif kind == "outputs":
            results = [(target, value(expr)) for target, expr in step[1]]
            snapshot = internal.pop(_SNAPSHOT, None)
            if snapshot is not None:
                internal.pop(_SHADOW, None)
                data.clear()
                data.update(snapshot)
            else:
                restore()
            for target, result in results:
                set_path(data, target, result)
        else:  # pragma: no cover - written by the translation only
            raise ValueError(f"unknown mapping step {kind!r}")
