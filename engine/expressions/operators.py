"""Binary operators and comparisons, with the size guards they need.

Most operators produce a result no bigger than their operands, and it is enough to check
the result afterwards. Three do not: repetition (``'a' * 10**9``), power
(``10 ** 10**10``) and left shift (``1 << 10**10``), where a small operand decides the
size. Those are estimated and refused *before* Python computes anything. printf-style
``%`` on text is estimated as well (see `formatting.check_printf`). Comparisons and
membership tests first let the meter walk nested containers, since Python compares them
recursively in C.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .callables import hashable_items
from .formatting import check_printf
from .limits import BIT_PRODUCTS_PER_STEP, ITEMS_PER_STEP
from .meter import Meter
from .sizes import short

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}
_IN_PLACE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.iadd,
    ast.Sub: operator.isub,
    ast.Mult: operator.imul,
    ast.Div: operator.itruediv,
    ast.FloorDiv: operator.ifloordiv,
    ast.Mod: operator.imod,
    ast.Pow: operator.ipow,
    ast.LShift: operator.ilshift,
    ast.RShift: operator.irshift,
    ast.BitOr: operator.ior,
    ast.BitXor: operator.ixor,
    ast.BitAnd: operator.iand,
}
SYMBOLS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}
_SEQUENCES = (str, list, tuple, bytes, bytearray)
_TEXTS = (str, bytes, bytearray)
_MUTABLE = frozenset({list, dict, set})


def _repeat(meter: Meter, sequence: Any, times: int) -> None:
    if times <= 0:
        return
    size = len(sequence) * times
    if isinstance(sequence, _TEXTS):
        meter.need_chars(size, f"{short(sequence)} * {short(times)}")
    else:
        noun = "item" if len(sequence) == 1 else "items"
        meter.need_items(size, f"a {type(sequence).__name__} of {len(sequence)} {noun} * {short(times)}")


def _check_mult(meter: Meter, a: Any, b: Any) -> None:
    if type(a) is int and type(b) is int:
        if a and b and a.bit_length() + b.bit_length() - 1 > meter.max_bits:
            meter.need_bits(a.bit_length() + b.bit_length() - 1, f"{short(a)} * {short(b)}")
        meter.int_work(a, b)
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        _repeat(meter, a, b)
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        _repeat(meter, b, a)


def _check_pow(meter: Meter, a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and b > 0:
        base = abs(a)
        # The result has at least (bits(base) - 1) * b bits: refuse without computing it.
        if base > 1 and (base.bit_length() - 1) * b > meter.max_bits:
            meter.need_bits((base.bit_length() - 1) * b, f"{short(a)} ** {short(b)}")
        if base > 1:  # squaring up to the result: about one multiplication of its size
            bits = base.bit_length() * b
            meter.charge(bits * bits // BIT_PRODUCTS_PER_STEP)


def _check_lshift(meter: Meter, a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0 and a.bit_length() + b > meter.max_bits:
        meter.need_bits(a.bit_length() + b, f"{short(a)} << {short(b)}")


def _check_division(meter: Meter, a: Any, b: Any) -> None:
    if type(a) is int and type(b) is int:
        meter.int_work(a, b)


def _check_mod(meter: Meter, a: Any, b: Any) -> None:
    if isinstance(a, str):
        check_printf(meter, a, b)
    elif type(a) is int and type(b) is int:
        meter.int_work(a, b)


_VIEWS = frozenset({type({}.keys()), type({}.items())})
_HASHED_OPERANDS = frozenset({set, frozenset, dict, *_VIEWS})


def _check_set_operation(meter: Meter, a: Any, b: Any) -> None:
    # set | set, keys() - [...], dict | dict: builds a table from one side and hashes the
    # items of the other into it. A list or tuple beside a view is hashed in bulk.
    ta, tb = type(a), type(b)
    if ta in _HASHED_OPERANDS or tb in _HASHED_OPERANDS:
        for side in (a, b):
            if type(side) is list or type(side) is tuple:
                hashable_items(meter, side)
            else:
                meter.hash_lookups(len(side))


_CHECKS: dict[type, Callable[[Meter, Any, Any], None]] = {
    ast.Mult: _check_mult,
    ast.Pow: _check_pow,
    ast.LShift: _check_lshift,
    ast.Mod: _check_mod,
    ast.FloorDiv: _check_division,
    ast.BitOr: _check_set_operation,
    ast.BitAnd: _check_set_operation,
    ast.BitXor: _check_set_operation,
    ast.Sub: _check_set_operation,
}
_DECIMAL_PRODUCTS = frozenset({ast.Mult, ast.Div, ast.FloorDiv, ast.Mod})


def _decimal_cost(meter: Meter, op: type, a: Any, b: Any) -> None:
    if op is ast.Pow:
        meter.decimal_power(a, b)
    else:
        meter.decimal_work(a, b, product=op in _DECIMAL_PRODUCTS)


def binary(meter: Meter, op: type, a: Any, b: Any, in_place: bool = False) -> Any:
    """``a <op> b`` (or ``a <op>= b``) for the AST operator class `op`."""
    check = _CHECKS.get(op)
    if check is not None:
        check(meter, a, b)
    if type(a) is Decimal or type(b) is Decimal:
        _decimal_cost(meter, op, a, b)
    if in_place and type(a) in _MUTABLE:
        before = len(a)
        result = _IN_PLACE[op](a, b)
        if result is a:  # list += ..., set |= ...: changed in place
            meter.grown(a, before)
            meter.charge((len(a) - before) // ITEMS_PER_STEP)
            return result
        return meter.produced(result)
    return meter.produced(_BINARY[op](a, b))


_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_SCANNED = frozenset({str, list, tuple, dict, set, frozenset, *(type(v) for v in ({}.keys(), {}.values(), {}.items()))})
_HASHED = frozenset({dict, set, frozenset, type({}.keys())})


def compare(meter: Meter, op: type, a: Any, b: Any) -> Any:
    """One link of a comparison chain, ``a <op> b``."""
    if op is ast.Is:
        return a is b
    if op is ast.IsNot:
        return a is not b
    ta, tb = type(a), type(b)
    if op is ast.In or op is ast.NotIn:
        if tb in _HASHED:
            meter.hashable(a)
        elif tb is str and ta is str:
            meter.search(b, len(a))
        elif tb is range:
            if ta is not int and ta is not bool:  # only ints are found by arithmetic; the rest by a walk
                meter.charge(len(b) // ITEMS_PER_STEP)
        else:
            meter.scan(b)
            meter.scan(a)
        found = a in b
        return found if op is ast.In else not found
    if ta in _SCANNED or tb in _SCANNED:
        meter.scan(a)
        meter.scan(b)
        if ta in _HASHED and tb in _HASHED:  # each key of one side is looked up in the other
            meter.hash_lookups(len(a))
    elif ta is Decimal or tb is Decimal:
        meter.decimal_work(a, b)
    return _COMPARE[op](a, b)
