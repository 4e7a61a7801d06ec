"""FEEL's scopes and functions at run time: `Env` looks a name up through FEEL's own
bindings and then the interpreter's scope chain; `FeelFunction` is a ``function(a, b) body``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..callables import SandboxCallable

MISSING: Any = object()  # a name that is bound nowhere (unlike one bound to null)


class Env(SandboxCallable):
    """A FEEL scope: ``env(name)`` is the value of `name` or None. The root wraps the
    interpreter's scope chain; children hold FEEL's own bindings."""

    __slots__ = ("item", "parent", "scope", "vars")

    def __init__(self, vars: Mapping[str, Any] | None, parent: Env | None, scope: Any = None,
                 item: Any = MISSING) -> None:
        self.vars = vars
        self.parent = parent
        self.scope = scope
        self.item = item

    def __call__(self, name: str) -> Any:
        env: Env | None = self
        while env is not None:
            item = env.item
            if item is not MISSING:
                if type(item) is dict and name in item:
                    return item[name]
                if name == "item":
                    return item
            variables = env.vars
            if variables is not None and name in variables:
                return variables[name]
            scope = env.scope
            while scope is not None:
                if name in scope.vars:
                    return scope.vars[name]
                scope = scope.parent
            env = env.parent
        return None

    def lookup(self, name: str) -> Any:
        """Like calling, but tells a missing name (`MISSING`) from a null value."""
        env: Env | None = self
        while env is not None:
            item = env.item
            if item is not MISSING:
                if type(item) is dict and name in item:
                    return item[name]
                if name == "item":
                    return item
            variables = env.vars
            if variables is not None and name in variables:
                return variables[name]
            scope = env.scope
            while scope is not None:
                if name in scope.vars:
                    return scope.vars[name]
                scope = scope.parent
            env = env.parent
        return MISSING

    def child(self, vars: Mapping[str, Any]) -> Env:
        return Env(vars, self)

    def __repr__(self) -> str:
        return "<FEEL environment>"


class FeelFunction(SandboxCallable):
    """A FEEL ``function(a, b) body``: callable with positional or named arguments."""

    __slots__ = ("body", "env", "params")

    def __init__(self, env: Env, params: tuple[str, ...], body: Callable[[Env], Any]) -> None:
        self.env = env
        self.params = params
        self.body = body

    def __call__(self, *args: Any, **named: Any) -> Any:
        if named:
            if args or not set(named) <= set(self.params):
                return None
            bound = {p: named.get(p) for p in self.params}
        else:
            if len(args) != len(self.params):
                return None
            bound = dict(zip(self.params, args, strict=True))
        return self.body(Env(bound, self.env))

    def __repr__(self) -> str:
        return f"<FEEL function({', '.join(self.params)})>"
