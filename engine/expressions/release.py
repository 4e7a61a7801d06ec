"""Checks on what leaves the sandbox: the value of `evaluate`, the variables of `execute`.

Two things must not get out. Functions made inside (lambdas, sandbox builtins, methods
read through attributes) belong to the run that made them; the variables are saved as
JSON and a function there would break the instance later. A lambda assigned to a
top-level variable is a local helper (``key = lambda r: r['date']``), so it is *dropped*
from the variables when the script ends; a function nested inside data, or returned by
an expression, is refused with `SandboxViolation`.

And data must not be a bomb for whoever serialises it next. Inside the sandbox the meter
bounds every comparison, hash and conversion, but the JSON encoder of the caller walks a
value as a tree: a list that holds the same list a thousand times, each holding another
such list, is small in memory and astronomically large as text. So the tree size is
computed (on the object graph, in time proportional to its size in memory) and a value
whose shared parts would expand it by more than ten times `max_collection_length` items,
or by more than ten times `max_string_length` characters of text (a list holding one
long text 100,000 times is 100,000 references in memory and 100,000 copies in JSON), is
refused, as is data nested deeper than `MAX_DATA_NESTING` or containing itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .callables import SandboxCallable
from .errors import EvaluationError, ResourceLimitExceeded, SandboxViolation
from .limits import MAX_DATA_NESTING, Limits
from .sizes import decimal_digits

_CONTAINERS = frozenset({list, tuple, dict, set, frozenset})
_ACTIVE = (-1, -1)


def _children(value: Any) -> list[Any]:
    if type(value) is dict:
        return [*value.keys(), *value.values()]
    return list(value)


_LONG_TEXT = 64  # shorter texts are counted per reference; their sharing is the items' rule


def _text_length(value: Any) -> int:
    """Characters the value takes when saved (numbers by their digits)."""
    t = type(value)
    if t is str:
        return len(value)
    if t is Decimal:
        return decimal_digits(value)
    if t is int:
        return value.bit_length() * 30103 // 100000 + 1
    return 8


def inspect_value(root: Any, limits: Limits, what: str) -> None:
    """Refuses functions inside `root`, cycles, excessive nesting and excessive sharing."""
    if isinstance(root, SandboxCallable):
        raise SandboxViolation(f"{what} is a function; a function cannot leave the expression")
    if type(root) not in _CONTAINERS:
        return
    # id -> (tree size, depth, text) of finished containers; _ACTIVE while their children are walked.
    done: dict[int, tuple[int, int, int]] = {}
    physical = 0
    physical_text = 0
    long_texts: set[int] = set()
    stack = [root]
    while stack:
        value = stack[-1]
        state = done.get(id(value))
        if state is None:
            done[id(value)] = _ACTIVE
            children = _children(value)
            physical += 1 + len(children)
            for child in children:
                if type(child) in _CONTAINERS:
                    child_state = done.get(id(child))
                    if child_state is _ACTIVE:
                        raise EvaluationError(f"{what} contains itself and cannot be saved")
                    if child_state is None:
                        stack.append(child)
                elif isinstance(child, SandboxCallable):
                    raise SandboxViolation(f"{what} contains a function; functions cannot be stored in data")
                else:
                    length = _text_length(child)
                    if length < _LONG_TEXT:
                        physical_text += length
                    elif id(child) not in long_texts:
                        long_texts.add(id(child))
                        physical_text += length
        elif state is _ACTIVE:
            stack.pop()
            size, depth, text = 1, 1, 0
            for child in _children(value):
                if type(child) in _CONTAINERS:
                    child_size, child_depth, child_text = done[id(child)]
                    size += child_size
                    text += child_text
                    depth = max(depth, child_depth + 1)
                else:
                    size += 1
                    text += _text_length(child)
            if depth > MAX_DATA_NESTING:
                raise ResourceLimitExceeded(f"{what} is nested more than {MAX_DATA_NESTING} levels deep")
            done[id(value)] = (size, depth, text)
        else:
            stack.pop()
    size, _, text = done[id(root)]
    allowance = 10 * limits.max_collection_length
    if size - physical > allowance:
        raise ResourceLimitExceeded(
            f"{what} repeats the same lists or dicts so often that saving it would write "
            f"{size:,} items (more than {allowance:,} beyond its size in memory)"
        )
    text_allowance = 10 * limits.max_string_length
    if text - physical_text > text_allowance:
        raise ResourceLimitExceeded(
            f"{what} repeats the same texts so often that saving it would write {text:,} "
            f"characters (more than {text_allowance:,} beyond its size in memory)"
        )


def release_variables(variables: dict[str, Any], names: Iterable[str], limits: Limits) -> None:
    """After a script: drops top-level functions, checks every variable the script named
    (only those can have changed) with `inspect_value`."""
    for name in names:
        if name not in variables:
            continue
        value = variables[name]
        if isinstance(value, SandboxCallable):
            del variables[name]
        else:
            inspect_value(value, limits, f"the variable '{name}'")
