"""The registry of FEEL's built-in functions, how they are called, and the argument checks they share.

Each function takes the run's `Meter` first and FEEL values after; a call with arguments
of the wrong type returns null (`Null`), as FEEL specifies. `FUNCTIONS` maps the FEEL
name (``"string length"``) to a `Builtin` with its parameter names, which the translator
uses to check arity and map named arguments at deploy time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import DecimalException
from typing import Any

from ...errors import EvaluationError
from ...meter import Meter
from .. import regex
from ..values import INT_LIMIT, is_number, to_decimal


class Null(Exception):
    """Raised inside a built-in to return null."""


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    impl: Callable[..., Any]
    signatures: tuple[tuple[str, ...], ...]  # parameter names; "x?" optional, "*x" varargs

    def accepts(self, count: int) -> bool:
        for signature in self.signatures:
            required = sum(1 for p in signature if not p.endswith("?") and not p.startswith("*"))
            varargs = any(p.startswith("*") for p in signature)
            if count >= required and (varargs or count <= len(signature)):
                return True
        return False

    def describe(self) -> str:
        shapes = [", ".join(p.lstrip("*").rstrip("?") + ("..." if p.startswith("*") else "") for p in s)
                  for s in self.signatures]
        return " or ".join(f"{self.name}({shape})" for shape in shapes)

    def bind(self, named: dict[str, Any]) -> list[Any] | None:
        """Positional arguments for a call with named ones, or None if no signature fits."""
        for signature in self.signatures:
            names = [p.lstrip("*").rstrip("?") for p in signature]
            if not set(named) <= set(names):
                continue
            required = [n for p, n in zip(signature, names, strict=True)
                        if not p.endswith("?") and not p.startswith("*")]
            if not all(n in named for n in required):
                continue
            args = [named.get(n) for n in names]
            while args and names[len(args) - 1] not in named:
                args.pop()
            last = signature[len(args) - 1] if args else ""
            if last.startswith("*"):
                value = args.pop()
                args.extend(value if isinstance(value, list) else [value])
            return args
        return None


FUNCTIONS: dict[str, Builtin] = {}


def builtin(name: str, *signatures: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name] = Builtin(name, impl, signatures)
        return impl

    return register


def call(meter: Meter, function: Builtin, args: Sequence[Any]) -> Any:
    if not function.accepts(len(args)):
        return None
    try:
        return function.impl(meter, *args)
    except Null:
        return None
    except (DecimalException, OverflowError, ValueError, TypeError, ZeroDivisionError, IndexError,
            regex.RegexError) as exc:
        if isinstance(exc, regex.RegexError):
            raise EvaluationError(f"FEEL {function.name}(): {exc}") from exc
        return None


# -- argument checks ----------------------------------------------------------------------


def text_arg(value: Any) -> str:
    if type(value) is not str:
        raise Null
    return value


def number_arg(value: Any) -> Any:
    if not is_number(value):
        raise Null
    return value


def integer_arg(value: Any) -> int:
    if not is_number(value):
        raise Null
    if type(value) is int:
        return value
    d = to_decimal(value)
    if d != d.to_integral_value():
        raise Null
    if abs(d) > INT_LIMIT:
        raise Null
    return int(d)


def list_arg(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value) if type(value) is tuple else value
    raise Null


def items_arg(meter: Meter, args: tuple[Any, ...]) -> list[Any]:
    """``f([1, 2, 3])`` or ``f(1, 2, 3)``."""
    items = list_arg(args[0]) if len(args) == 1 and isinstance(args[0], list | tuple) else list(args)
    meter.consume(items)
    return items


def context_arg(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise Null
    return value


def bool_arg(value: Any) -> bool | None:
    return value if type(value) is bool else None
