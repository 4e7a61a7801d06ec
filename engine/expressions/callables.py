"""The callables the sandbox makes, and the charged helpers every layer shares.

`SandboxCallable` marks every callable the sandbox hands to designer code (builtins,
types, methods read with an allowed attribute, lambdas, FEEL's helpers); `SafeBuiltin`
and `SafeType` wrap trusted functions so that they charge the active meter. The three
helpers charge the meter before a collection is hashed or sorted. This module sits below
the builtins table, the attribute rules, the operators and FEEL's runtime, which all
build on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .meter import Meter, active_meter


class SandboxCallable:
    """Marker base of every callable made by the sandbox (builtins, types, methods read
    with an allowed attribute, lambdas). They may be used freely inside a run but must
    not leave it: `execute` drops them from the variables and `evaluate` refuses to
    return one."""

    __slots__ = ()


class SafeBuiltin(SandboxCallable):
    """A builtin function: `impl` receives the active meter before the call's arguments."""

    __slots__ = ("impl", "name")

    def __init__(self, name: str, impl: Callable[..., Any]) -> None:
        self.name = name
        self.impl = impl

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        meter = active_meter()
        meter.tick()
        return self.impl(meter, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<built-in function {self.name}>"


class SafeType(SandboxCallable):
    """A type usable by name: calling it runs `make` (a checked constructor); `isinstance`
    unwraps it to `type`. Class-level attributes (``date.today``) are allow-listed in
    `attributes.CLASS_ATTRIBUTES`."""

    __slots__ = ("make", "name", "type")

    def __init__(self, name: str, cls: type, make: Callable[..., Any]) -> None:
        self.name = name
        self.type = cls
        self.make = make

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        meter = active_meter()
        meter.tick()
        return self.make(meter, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<class '{self.name}'>"


def hashable_items(meter: Meter, items: Any) -> None:
    """Before a collection of items is hashed (set(), dict(), displays)."""
    meter.hashable_all(items)


def hash_pairs(meter: Meter, pairs: Any) -> None:
    """Before ``dict(pairs)`` or ``d.update(pairs)``: the pairs are read, their keys hashed."""
    meter.weigh(pairs)
    meter.hashable_all([p[0] for p in pairs if type(p) in (tuple, list) and len(p) == 2])


def sort_in_place(meter: Meter, items: list[Any], key: Any = None, reverse: bool = False) -> None:
    """Sorts with the comparisons charged before they are made: each item (or its key)
    takes part in about log2(n) + 2 comparisons, each costing at most its weight (the
    slots and characters it holds; see `Meter.weigh`). With a `key`, the keys are
    computed once and weighed, and the items are put in the order of their keys."""
    rounds = len(items).bit_length() + 2
    if key is None:
        meter.weigh(items, rounds)
        items.sort(reverse=reverse)
        return
    keys = [key(item) for item in items]
    meter.weigh(keys, rounds)
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=reverse)
    items[:] = [items[i] for i in order]
