"""Names, paths, function definitions and calls (built-ins, model functions, values)."""

from __future__ import annotations

from .. import library
from ..syntax import Node
from .compiler import Compiler


def _name(comp: Compiler, node: Node) -> str:
    return f"E({node.args[0]!r})"


def _input(comp: Compiler, node: Node) -> str:
    return comp.input_code if comp.input_code is not None else "E('?')"


def _path(comp: Compiler, node: Node) -> str:
    return f"_feel_path({comp.c(node.args[0])}, {node.args[1]!r})"


def _function(comp: Compiler, node: Node) -> str:
    params, body = node.args
    params_code = "(" + "".join(f"{p!r}, " for p in params) + ")"
    return f"_feel_fn(E, {params_code}, lambda E: {comp.scoped(params, body)})"


def _call(comp: Compiler, node: Node) -> str:
    target, positional, named = node.args
    args = [comp.c(a) for a in positional]
    named_code = "{" + ", ".join(f"{n!r}: {comp.c(v)}" for n, v in named) + "}" if named else None
    args_tuple = "(" + "".join(f"{a}, " for a in args) + ")"
    if target.kind == "name":
        name = target.args[0]
        if comp.is_local(name):
            return f"_feel_apply(E({name!r}), {args_tuple}{', ' + named_code if named_code else ''})"
        function = library.FUNCTIONS.get(name)
        if function is not None and name not in comp.known:
            if named_code is None:
                if not function.accepts(len(args)):
                    raise comp.error(node, f"{name}() does not take {len(args)} argument(s): "
                                           f"use {function.describe()}")
                return f"_feel_call({name!r}{''.join(', ' + a for a in args)})"
            if function.bind({n: None for n, _ in named}) is None:
                raise comp.error(node, f"{name}() has no parameters named "
                                       f"{', '.join(repr(n) for n, _ in named)}: use {function.describe()}")
            return f"_feel_calln({name!r}, {named_code})"
        return f"_feel_invoke(E, {name!r}, {args_tuple}{', ' + named_code if named_code else ''})"
    return f"_feel_apply({comp.c(target)}, {args_tuple}{', ' + named_code if named_code else ''})"


RULES = {
    "name": _name,
    "input": _input,
    "path": _path,
    "function": _function,
    "call": _call,
}
