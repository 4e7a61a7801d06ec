"""The scopes of a run and the lambdas designer code makes.

A `Scope` is one level of variables; a `SandboxFunction` is a lambda that closes over the
scope it was made in and runs its body in the interpreter that made it. They sit below the
interpreter so that FEEL's runtime can recognise a lambda without importing the
interpreter.
"""

from __future__ import annotations

import ast
from typing import Any

from .callables import SandboxCallable
from .errors import ResourceLimitExceeded


class Scope:
    """One level of variables. `function` is False for comprehension scopes, which an
    assignment expression (walrus) skips. The outermost scope of `evaluate` wraps the
    caller's read-only mapping and is never written to."""

    __slots__ = ("function", "parent", "vars")

    def __init__(self, vars: Any, parent: Scope | None, function: bool = True) -> None:
        self.vars = vars
        self.parent = parent
        self.function = function


NO_DEFAULT: Any = object()


class SandboxFunction(SandboxCallable):
    """A lambda made by designer code. Calling it runs its body in the interpreter that
    made it, counting steps and call depth; C code (``sorted(key=...)``) can call it too."""

    __slots__ = ("closure", "defaults", "interpreter", "kw_defaults", "node", "params", "simple")

    def __init__(
        self, interpreter: Any, node: ast.Lambda, closure: Scope, defaults: list, kw_defaults: list
    ) -> None:
        self.interpreter = interpreter
        self.node = node
        self.closure = closure
        self.defaults = defaults
        self.kw_defaults = kw_defaults
        args = node.args
        self.params = tuple(p.arg for p in (*args.posonlyargs, *args.args))
        self.simple = not (args.vararg or args.kwonlyargs or args.kwarg or defaults)

    def __repr__(self) -> str:
        return "<lambda>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        interpreter = self.interpreter
        meter = interpreter.meter
        meter.tick()
        if meter.depth >= meter.max_depth:
            raise ResourceLimitExceeded(
                f"lambdas called each other more than {meter.max_depth} levels deep (endless recursion?)"
            )
        if self.simple and not kwargs and len(args) == len(self.params):
            local = dict(zip(self.params, args, strict=True))
        else:
            local = self._bind(args, kwargs)
        saved = interpreter.scope
        interpreter.scope = Scope(local, self.closure)
        meter.depth += 1
        try:
            return interpreter.ev(self.node.body)
        finally:
            meter.depth -= 1
            interpreter.scope = saved

    def _bind(self, args: tuple, kwargs: dict) -> dict[str, Any]:
        spec = self.node.args
        params = self.params
        n = len(params)
        if len(args) > n and spec.vararg is None:
            raise TypeError(f"<lambda>() takes {n} positional arguments but {len(args)} were given")
        local: dict[str, Any] = dict(zip(params, args, strict=False))
        if spec.vararg is not None:
            local[spec.vararg.arg] = tuple(args[n:])
        positional_only = {p.arg for p in spec.posonlyargs}
        keyword_only = [p.arg for p in spec.kwonlyargs]
        extra: dict[str, Any] = {}
        for name, value in kwargs.items():
            if name in local and name in params:
                raise TypeError(f"<lambda>() got multiple values for argument '{name}'")
            if (name in params and name not in positional_only) or name in keyword_only:
                local[name] = value
            elif spec.kwarg is not None:
                extra[name] = value
            else:
                raise TypeError(f"<lambda>() got an unexpected keyword argument '{name}'")
        first_default = n - len(self.defaults)
        for index, name in enumerate(params):
            if name not in local:
                if index < first_default:
                    raise TypeError(f"<lambda>() missing required argument: '{name}'")
                local[name] = self.defaults[index - first_default]
        for name, default in zip(keyword_only, self.kw_defaults, strict=True):
            if name not in local:
                if default is NO_DEFAULT:
                    raise TypeError(f"<lambda>() missing required keyword-only argument: '{name}'")
                local[name] = default
        if spec.kwarg is not None:
            local[spec.kwarg.arg] = extra
        return local
