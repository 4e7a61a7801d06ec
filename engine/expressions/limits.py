"""Resource limits of the sandbox and the meter that enforces them during one run.

The cost model
--------------

A run has a budget of *steps* (`Limits.max_operations`). One step stands for about a
microsecond of work on an ordinary server core. Interpreting one AST node costs one step
(in practice a node takes a third of that), and so does every loop iteration,
comprehension item and call. Work that Python does in bulk, in C, behind a single node
is charged *before* it is done, by the sizes that decide how long it takes:

* building text costs its length (`CHARS_PER_STEP` characters a step); building a
  collection its length (`ITEMS_PER_STEP`), twice if its items are new objects too (the
  pieces of ``split``); building a big int its bits (`BITS_PER_STEP`); building a
  Decimal its digits (as text); case mapping and classifying characters their number,
  ten times more outside ASCII (`UNICODE_CHARS_PER_STEP`);
* comparing, hashing and searching text that already exists costs its length
  (`SCAN_CHARS_PER_STEP`). Searching and stripping cost the *product* of the text's
  and the needle's (or the stripped characters') lengths, the worst case of CPython's
  algorithms: ``('a'*300000).strip('b'*299999 + 'a')`` costs 9 * 10**10 character
  comparisons, not 300,000;
* comparing, hashing, sorting or printing a nested value walks it first (`weigh`,
  `text_size`), counting every container slot (`NODES_PER_STEP`) and the length of every
  string reached, as often as it is reached: a list holding one 1,000,000-character
  string 100,000 times weighs 10**11 characters, because that is what ``sorted``,
  ``==``, ``.count``, ``in`` or ``str`` of it may read. Sorting costs the weight of its
  keys times log2 of their number; ``min``/``max`` once;
* Decimal arithmetic costs the digits of its operands (`DIGITS_PER_STEP`), multiplying,
  dividing and powers their product, fractional powers the square of the working
  precision; big-int multiplication and division cost the product of the operands' bits
  (`BIT_PRODUCTS_PER_STEP`) and conversions between ints and decimal text or Decimals
  the square of the digits (`INT_TEXT_PER_STEP`), as CPython's algorithms do;
* inserting a key into, or looking it up in, a dict or set costs the number of distinct
  keys seen in this run that share its hash (`COMPARES_PER_STEP`). The hashes of text
  are randomised per process, but those of numbers, tuples, timedeltas and timezones
  are not, so a script can make thousands of keys collide and turn every insert into a
  walk through all of them (``set(range(0, 20000 * (2**61 - 1), 2**61 - 1))``). The
  meter counts, for those types, the distinct keys per hash value (`_register`); an
  ordinary run never sees more than a few per hash and pays nothing.

Sizes that an operand alone decides (``'a' * 10**9``, ``10 ** 10**10``, ``range(10**9)``,
a strftime format that repeats a long timezone name) are refused before they are
computed, and every value produced is checked against the length limits.

A charge of a quarter of the budget or more that does not fit is refused naming what it
was for ("sorting or ordering the values ... would take about 1,900,000,000 steps"); the
budget running out otherwise is reported as such. The constants are calibrated so that
filling the whole default budget (200,000 steps) with the costliest kind of operation
takes about 0.3 s at most (tests/expressions/test_resource_bounds.py holds such payloads).

Two backstops hold even where an estimate is wrong:

* a wall-clock *deadline* (`Limits.max_seconds`): the clock is read whenever
  `CLOCK_EVERY` steps have been spent, so on every loop, call and charge of bulk work,
  and after every call of a function the engine offers (trusted code whose work the
  meter cannot see). A single builtin cannot be interrupted, but it only starts when its
  estimated cost fits in the budget left;
* a *memory ceiling* (`Limits.max_memory`): every sizeable value the sandbox creates is
  counted by its size in bytes (``sys.getsizeof``, plus the items a builtin creates), as
  is the bookkeeping of the hash counter. Memory freed during the run is not given back,
  so the figure bounds what a run can make the process allocate.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, getcontext
from itertools import islice
from typing import Any, NoReturn

from .errors import ResourceLimitExceeded, SandboxViolation

# How much work one step stands for when work is done in bulk. The figures keep a
# step within the same order of time as interpreting one node (about a microsecond).
CHARS_PER_STEP = 100  # building text, or a Decimal's digits; classifying ASCII characters
UNICODE_CHARS_PER_STEP = 10  # case mapping or classifying other characters (Unicode database)
SCAN_CHARS_PER_STEP = 1000  # comparing, hashing or searching text that already exists
ITEMS_PER_STEP = 10  # building or consuming a collection
MOVES_PER_STEP = 1000  # shifting existing items (list.insert(0, x), del l[0])
BITS_PER_STEP = 800  # building a big integer
NODES_PER_STEP = 16  # walking nested containers (compare, hash, print)
DIGITS_PER_STEP = 250  # Decimal arithmetic, per operand digit
BIT_PRODUCTS_PER_STEP = 1 << 20  # multiplying or dividing big ints: bits(a) * bits(b)
INT_TEXT_PER_STEP = 1 << 14  # int <-> decimal digits (text or Decimal): digits ** 2
COMPARES_PER_STEP = 16  # hash-table probes that compare keys
DECIMAL_HASH_COST = 4  # hashing a Decimal reads each digit several times (scan units)
CLOCK_EVERY = 2000  # steps between two looks at the clock

# Deepest nesting of containers that the sandbox compares, hashes, prints or lets out.
MAX_DATA_NESTING = 100

_MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one evaluation or script run may use. The defaults suit gateway conditions and
    ordinary script tasks; a deployment can pass tighter or looser limits per call.

    `max_seconds` is wall-clock time, `max_memory` bytes the run may allocate in total."""

    max_operations: int = 200_000
    max_string_length: int = 1_000_000
    max_collection_length: int = 100_000
    max_int_bits: int = 8192
    max_depth: int = 50  # nesting of lambda calls / recursion in the interpreter
    max_seconds: float = 1.0
    max_memory: int = 256 * _MB

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "max_seconds":
                if type(value) not in (int, float) or not 0 < value < float("inf"):
                    raise ValueError(f"Limits.max_seconds must be a positive number, not {value!r}")
            elif type(value) is not int or value < 1:
                raise ValueError(f"Limits.{field.name} must be a positive integer, not {value!r}")


DEFAULT_LIMITS = Limits()

_DICT_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))
# Containers whose comparison, hashing or printing recurses into their items.
_DEEP = frozenset({list, tuple, dict, set, frozenset, *_DICT_VIEWS})
_COLLECTIONS = frozenset({list, tuple, dict, set, frozenset})
_HASH_MODULUS = sys.hash_info.modulus  # ints below it in size hash to themselves
# Types whose hash a script can steer (not randomised per process, unlike text and dates).
_STEERABLE_HASH = frozenset({int, float, Decimal, tuple, frozenset, timedelta, timezone})
_REGISTRY_ENTRY_BYTES = 120  # what counting one distinct key costs the hash counter


# -- sizes of scalars ------------------------------------------------------------------

_DECIMAL_BASE_SIZE = sys.getsizeof(Decimal(0))
# The C implementation keeps up to 4 words (76 digits) inline and reports only the size
# of a separately allocated coefficient, 19 digits per 64-bit word; reading it is O(1).
_DECIMAL_SIZES_DIGITS = sys.getsizeof(Decimal("1" * 200)) > _DECIMAL_BASE_SIZE


def decimal_digits(value: Decimal) -> int:
    """An upper bound of the number of digits of `value`'s coefficient, in O(1)."""
    if _DECIMAL_SIZES_DIGITS:
        extra = sys.getsizeof(value) - _DECIMAL_BASE_SIZE
        return 76 if extra <= 0 else extra // 8 * 19
    return len(value.as_tuple().digits)  # pragma: no cover - pure-Python decimal


def _small_number(value: Any) -> bool:
    """True for anything but a Decimal of more than 76 digits or an int of more than 64
    bits (their arithmetic is charged by size)."""
    t = type(value)
    if t is Decimal:
        return sys.getsizeof(value) <= _DECIMAL_BASE_SIZE
    return t is not int or value.bit_length() <= 64


def int_digits(value: int) -> int:
    """An upper bound of the decimal digits of an int, from its bits."""
    return value.bit_length() * 30103 // 100000 + 1


def int_text_steps(digits: int) -> int:
    """Converting an int of `digits` digits to decimal (text, Decimal) or back: CPython's
    conversion is quadratic in the digits."""
    return digits * digits // INT_TEXT_PER_STEP


def short(value: Any, width: int = 40) -> str:
    """A bounded rendering of a value for an error message (never converts a huge int)."""
    if type(value) is int and value.bit_length() > 64:
        return f"<a number of {value.bit_length()} bits>"
    if isinstance(value, Decimal) and decimal_digits(value) > 76:
        return "<a Decimal of many digits>"
    if isinstance(value, str):
        text = repr(value[: width + 1])
    elif isinstance(value, int | float | Decimal | bool) or value is None:
        text = repr(value)
    else:
        return f"<{type(value).__name__}>"
    return text if len(text) <= width else text[: width - 3] + "..."


def _megabytes(n: int) -> str:
    return f"{n / _MB:,.0f} MB" if n >= _MB else f"{n:,} bytes"


class Meter:
    """Counts the steps, time and memory of one run and checks sizes against its `Limits`.

    One meter belongs to one call of `evaluate` or `execute`; it is not shared between
    threads. The step counter counts *down* so the hot path is one subtraction and one
    comparison, with `checkpoint` (not 0) as the threshold: crossing it looks at the
    clock, and below 0 the budget is exhausted.
    """

    __slots__ = (
        "_groups",
        "checkpoint",
        "collisions",
        "deadline",
        "depth",
        "limits",
        "max_bits",
        "max_chars",
        "max_depth",
        "max_items",
        "memory",
        "ops",
    )

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.ops = limits.max_operations
        self.checkpoint = max(0, self.ops - CLOCK_EVERY)
        self.deadline = time.monotonic() + limits.max_seconds
        self.memory = limits.max_memory  # bytes left
        self.depth = 0
        self.max_chars = limits.max_string_length
        self.max_items = limits.max_collection_length
        self.max_bits = limits.max_int_bits
        self.max_depth = limits.max_depth
        # The hash counter (see `hashable`): distinct keys per hash value, the largest count.
        self.collisions = 1
        # hash value -> the first key seen with it, or a _Group once a second one came
        self._groups: dict[int, Any] | None = None

    # -- steps, time and memory ----------------------------------------------------------

    def exhausted(self) -> NoReturn:
        raise ResourceLimitExceeded(
            f"the operation budget of {self.limits.max_operations} steps was exhausted (an endless loop?)"
        )

    def passed(self) -> None:
        """Called when the step counter falls below `checkpoint`."""
        if self.ops < 0:
            self.exhausted()
        if time.monotonic() > self.deadline:
            raise ResourceLimitExceeded(
                f"the run took longer than its time limit of {self.limits.max_seconds:g} s"
            )
        self.checkpoint = max(0, self.ops - CLOCK_EVERY)

    def clock(self) -> None:
        """Looks at the clock now (after work the meter could not see)."""
        if time.monotonic() > self.deadline:
            self.passed()

    def tick(self) -> None:
        self.ops -= 1
        if self.ops < self.checkpoint:
            self.passed()

    def charge(self, steps: int, what: str | None = None) -> None:
        """Takes `steps` from the budget before the work they stand for is done. A charge
        of a quarter of the budget or more that does not fit is refused naming `what` was
        about to be done; a smaller one ends the run as an exhausted budget."""
        if steps > 0:
            self.ops -= steps
            if self.ops < self.checkpoint:
                if self.ops < 0 and steps * 4 >= self.limits.max_operations:
                    left = self.ops + steps
                    raise ResourceLimitExceeded(
                        f"{what or 'the next operation'} would take about {steps:,} steps of work, more than "
                        f"the {max(left, 0):,} left of the budget of {self.limits.max_operations:,}"
                    )
                self.passed()

    def moved(self, container: Any) -> None:
        """Before an operation that shifts the items of a list in memory."""
        if type(container) is list and len(container) >= MOVES_PER_STEP:
            self.charge(len(container) // MOVES_PER_STEP)

    def allocated(self, nbytes: int) -> None:
        """Counts `nbytes` the run made the process allocate against `max_memory`."""
        self.memory -= nbytes
        if self.memory < 0:
            raise ResourceLimitExceeded(
                f"the run allocated more than its memory limit of {_megabytes(self.limits.max_memory)}"
            )

    # -- sizes known in advance --------------------------------------------------------

    def need_chars(self, n: int, what: str = "the result") -> None:
        if n > self.max_chars:
            raise ResourceLimitExceeded(
                f"{what} would be a text of {n:,} characters, more than the limit of {self.max_chars:,}"
            )

    def need_items(self, n: int, what: str = "the result") -> None:
        if n > self.max_items:
            raise ResourceLimitExceeded(
                f"{what} would have {n:,} items, more than the limit of {self.max_items:,}"
            )

    def need_bits(self, n: int, what: str = "the result") -> None:
        if n > self.max_bits:
            raise ResourceLimitExceeded(f"{what} would exceed the integer size limit of {self.max_bits} bits")

    # -- values produced ---------------------------------------------------------------

    def produced(self, value: Any) -> Any:
        """Checks a freshly built value against the limits, charges for building it (steps
        and memory), and returns it. Used on results of operators, builtins, displays and
        slices; not on values merely read out of existing data. Small values are not
        counted one by one: the steps that made them bound how many there can be."""
        t = type(value)
        if t is str:
            n = len(value)
            if n >= CHARS_PER_STEP:
                if n > self.max_chars:
                    self.need_chars(n)
                self.charge(n // CHARS_PER_STEP)
                self.allocated(sys.getsizeof(value))
        elif t is int:
            bits = value.bit_length()
            if bits >= BITS_PER_STEP:
                if bits > self.max_bits:
                    self.need_bits(bits)
                self.charge(bits // BITS_PER_STEP)
                self.allocated(sys.getsizeof(value))
        elif t in _COLLECTIONS:
            n = len(value)
            if n >= ITEMS_PER_STEP:
                if n > self.max_items:
                    self.need_items(n)
                self.charge(n // ITEMS_PER_STEP)
                self.allocated(sys.getsizeof(value))
        elif t is float or t is bool or value is None:
            pass
        elif t is Decimal:
            digits = decimal_digits(value)
            if digits > 76:
                self.charge(digits // CHARS_PER_STEP)
                self.allocated(sys.getsizeof(value))
        elif isinstance(value, tuple | list | dict | set | frozenset):
            # A subclass (a namedtuple such as DecimalTuple) would pass the exact-type checks
            # of every walk as "not a container": the sandbox hands out the plain type.
            for plain in (tuple, list, dict, set, frozenset):
                if isinstance(value, plain):
                    return self.produced(plain(value))
        return value

    def produced_items(self, value: Any) -> Any:
        """`produced` for a collection whose items were created by the same builtin (the
        pieces of ``split``, the pairs of ``zip``): making them costs as much again, and
        their memory is counted too."""
        value = self.produced(value)
        self.charge(len(value) // ITEMS_PER_STEP)
        if type(value) is dict:
            items: Any = [*value.keys(), *value.values()]
        else:
            items = value
        if len(items) >= ITEMS_PER_STEP:
            self.allocated(sum(map(sys.getsizeof, items)))
        return value

    def int_of_decimal(self, value: Decimal) -> None:
        """Before a Decimal becomes an int: ``Decimal('1e999999999')`` is a short value whose
        integer has a billion digits, and converting it would run for minutes in C."""
        if value.is_finite() and value.adjusted() >= 0:
            # decimal digits -> bits: 10 ** d needs d * log2(10) ~ d * 3.32 bits
            self.need_bits((value.adjusted() + 1) * 332 // 100, f"int({short(value)})")
            self.charge(int_text_steps(value.adjusted() + 1))

    def grown(self, container: Any, before: int) -> None:
        """After an in-place change: refuses a container that grew past the limit. Data
        that was already larger when it came in is left alone unless it grows."""
        n = len(container)
        if n > before and n > self.max_items:
            self.need_items(n, "the collection")

    def consume(self, iterable: Any) -> Sequence[Any]:
        """Materialises an iterable that a builtin is about to walk in C, checking its
        length first and charging for it. Lists, tuples and strings are returned as they
        are (callers must not mutate the result); anything else becomes a new list, read
        through `islice` so that even an endless iterator stops at the limit."""
        t = type(iterable)
        if t is list or t is tuple or t is str:
            seq: Sequence[Any] = iterable
            n = len(seq)
        else:
            try:
                n = len(iterable)
            except TypeError:
                n = -1
            except OverflowError:
                n = self.max_items + 1
            if n > self.max_items:
                self.need_items(n, "the input")
            seq = list(iterable) if n >= 0 else list(islice(iter(iterable), self.max_items + 1))
            n = len(seq)
            if n >= ITEMS_PER_STEP:
                self.allocated(sys.getsizeof(seq))
        if n > self.max_items:
            self.need_items(n, "the input")
        if n >= ITEMS_PER_STEP:
            self.charge(n // ITEMS_PER_STEP)
        return seq

    # -- numbers -------------------------------------------------------------------------

    def decimal_work(self, a: Any, b: Any = None, product: bool = False) -> None:
        """Before Decimal arithmetic on `a` (and `b`): linear in the digits of both, or in
        their product for multiplication, division and remainders (`product`). An int
        operand is converted to a Decimal first, which is quadratic in its digits."""
        if _small_number(a) and _small_number(b):  # the common case: nothing to charge
            return
        sizes = []
        for x in (a, b):
            t = type(x)
            if t is Decimal:
                sizes.append(decimal_digits(x))
            elif t is int and x.bit_length() > 64:
                digits = int_digits(x)
                self.charge(int_text_steps(digits))
                sizes.append(digits)
            else:
                sizes.append(1)
        units = sum(sizes)
        if product:
            units += sizes[0] * sizes[1] // 64
        if units >= DIGITS_PER_STEP:
            self.charge(units // DIGITS_PER_STEP, f"Decimal arithmetic on {max(sizes):,} digits")

    def decimal_power(self, base: Any, exponent: Any) -> None:
        """Before ``base ** exponent`` with a Decimal: an integral exponent squares the base
        a few times; a fractional one computes a logarithm and an exponential at the
        working precision, quadratic in the digits involved."""
        digits = decimal_digits(base) if type(base) is Decimal else int_digits(base) if type(base) is int else 1
        integral = type(exponent) is int or (
            type(exponent) is Decimal and exponent.is_finite() and exponent == exponent.to_integral_value()
        )
        what = f"a power of a Decimal of {digits:,} digits"
        if type(exponent) is int and exponent.bit_length() > 64:  # becomes a Decimal first
            self.charge(int_text_steps(int_digits(exponent)))
        if integral:
            self.charge((digits * digits // 64) // DIGITS_PER_STEP, what)
        else:
            size = digits + getcontext().prec
            self.charge(size * size // 8, what)

    def int_work(self, a: int, b: int) -> None:
        """Before multiplying or dividing two big ints: the product of their sizes."""
        work = a.bit_length() * b.bit_length()
        if work >= BIT_PRODUCTS_PER_STEP:
            self.charge(work // BIT_PRODUCTS_PER_STEP, "big-integer arithmetic")

    # -- hashing -------------------------------------------------------------------------

    def hashable(self, key: Any) -> None:
        """Before `key` is hashed to insert it into a dict or set or to look it up there.

        Tuples and frozensets hash recursively, so they are weighed first. Keys whose hash
        a script can steer are counted per hash value (see the module doc): the key costs
        one comparison for every distinct key seen with the same hash. A text is hashed
        once, but meeting an equal text in the table compares every character."""
        t = type(key)
        if t is str:
            if len(key) >= SCAN_CHARS_PER_STEP:
                self.charge(len(key) // SCAN_CHARS_PER_STEP, _COMPARING)
            return
        if t is int and -_HASH_MODULUS < key < _HASH_MODULUS and self.collisions < COMPARES_PER_STEP:
            return
        compares = self._compares(key, t)
        if compares >= COMPARES_PER_STEP:
            self.charge(compares // COMPARES_PER_STEP, _COLLIDING)

    def _compares(self, key: Any, t: type) -> int:
        """The key comparisons hashing `key` into a table may take (charging the hashing
        itself of tuples and long Decimals)."""
        if t is int and -_HASH_MODULUS < key < _HASH_MODULUS:
            # hashes to itself: never part of a crafted group, but may be looked up in one
            group = None if self._groups is None else self._groups.get(key)
            return group.count if type(group) is _Group else 0
        if t is tuple or t is frozenset:
            self.weigh(key)
        elif t is Decimal:
            digits = decimal_digits(key)
            if digits > 76:
                self.charge(digits * DECIMAL_HASH_COST // SCAN_CHARS_PER_STEP, _COMPARING)
        elif t not in _STEERABLE_HASH:
            return 0
        return self._register(key)

    def hashable_all(self, items: Sequence[Any]) -> None:
        """`hashable` for every item of a collection about to be hashed in bulk (``set()``,
        ``dict()``, set operations), with a fast path for text and small ints."""
        kinds = set(map(type, items))
        if str in kinds:  # equal texts in one table are compared character by character
            chars = sum(map(len, items)) if len(kinds) == 1 else sum(len(x) for x in items if type(x) is str)
            self.charge(chars // SCAN_CHARS_PER_STEP, _COMPARING)
        if kinds <= _PLAIN_KEYS:
            plain = True
        elif kinds <= _INT_KEYS:
            plain = not items or (min(items) > -_HASH_MODULUS and max(items) < _HASH_MODULUS)
        else:
            plain = False
        if plain and self.collisions < COMPARES_PER_STEP:
            return
        compares = 0
        for item in items:
            t = type(item)
            if t is not str:
                compares += self._compares(item, t)
        self.charge(compares // COMPARES_PER_STEP, _COLLIDING)

    def hash_lookups(self, n: int) -> None:
        """Before `n` keys already counted are hashed again (set operations and comparisons
        between sets or dicts): each may compare with a whole group of colliding keys."""
        if self.collisions >= COMPARES_PER_STEP:
            self.charge(n * self.collisions // COMPARES_PER_STEP, _COLLIDING)

    def _register(self, key: Any) -> int:
        """Counts `key` among the distinct keys of its hash value and returns their number.

        The first key of a hash value is kept as it is (the common case: one key per hash,
        met again and again). From the second distinct one on, keys are told apart by
        the hash of a canonical form that is randomised per process (bytes, text), so the
        counter itself cannot be made to collide."""
        h = hash(key)
        groups = self._groups
        if groups is None:
            groups = self._groups = {}
        entry = groups.get(h, _NOTHING)
        if entry is _NOTHING:
            groups[h] = key
            self.allocated(_REGISTRY_ENTRY_BYTES)
            return 1
        if type(entry) is not _Group:
            if entry is key or (type(entry) is type(key) and entry == key):
                return 1
            entry = groups[h] = _Group(hash(_canonical(entry)))
        canonical = hash(_canonical(key))
        if canonical not in entry.seen:
            entry.seen.add(canonical)
            entry.count += 1
            self.allocated(_REGISTRY_ENTRY_BYTES)
            if entry.count > self.collisions:
                self.collisions = entry.count
        return entry.count

    # -- deep work ---------------------------------------------------------------------
    #
    # Both walks go level by level: the level count is the nesting depth, which is
    # bounded too, since hashing a tuple nested a million levels deep overflows the C
    # stack (comparison and repr would only raise RecursionError). A value containing
    # itself shows up as endless depth.

    def _too_large(self, what: str, cap: int) -> NoReturn:
        raise ResourceLimitExceeded(
            f"{what} is too large: walking it would visit more than {cap:,} items "
            "(a list or dict shared in many places counts every time it is reached)"
        )

    def _too_deep(self, what: str) -> NoReturn:
        raise ResourceLimitExceeded(f"{what} is nested more than {MAX_DATA_NESTING} levels deep (or contains itself)")

    def weigh(self, value: Any, rounds: int = 0) -> tuple[int, int]:
        """Measures the work Python does comparing or hashing `value` and charges it:
        the container slots it visits (shared sub-containers counted each time they are
        reached, as Python does) and the characters of the strings (and digits of the
        Decimals) it reads, every reference counted. Returns ``(nodes, chars)``.

        `rounds` > 0 charges for that many passes over the value instead of one (sorting
        reads each item about log2(n) times). Refuses more than four times
        `max_collection_length` nodes, or nesting deeper than `MAX_DATA_NESTING`. Each
        level is kept as distinct containers with the number of times they are reached,
        so the walk itself costs what the value occupies in memory, not what it would
        expand to."""
        t = type(value)
        if t not in _DEEP:
            chars = _scalar_scan(value)
            if chars:
                self.charge(max(1, rounds) * chars // SCAN_CHARS_PER_STEP, _READING if rounds else _COMPARING)
            return 1, chars
        if t is tuple or t is list:
            kinds = set(map(type, value))
            if kinds.isdisjoint(_DEEP):  # flat: no walk needed (most keys and rows)
                nodes = len(value) + 1
                chars = _flat_chars(value, kinds)
                if nodes > 4 * self.max_items:
                    self._too_large("the value", 4 * self.max_items)
                if rounds:
                    self.charge(nodes * rounds // 64 + chars * rounds // SCAN_CHARS_PER_STEP, _READING)
                elif nodes >= NODES_PER_STEP or chars >= SCAN_CHARS_PER_STEP:
                    self.charge(nodes // NODES_PER_STEP + chars // SCAN_CHARS_PER_STEP, _COMPARING)
                return nodes, chars
        cap = 4 * self.max_items
        nodes = 0
        chars = 0
        depth = 0
        level: dict[int, tuple[Any, int]] = {id(value): (value, 1)}
        while level:
            depth += 1
            if depth > MAX_DATA_NESTING:
                self._too_deep("the value")
            below: dict[int, tuple[Any, int]] = {}
            for v, count in level.values():
                if type(v) is dict:
                    nodes += count * (2 * len(v) + 1)
                    keys, found = _leaves(v)
                    values, found_values = _leaves(v.values())
                    chars += count * (keys + values)
                    children = [*found, *found_values]
                else:
                    nodes += count * (len(v) + 1)
                    scanned, children = _leaves(v)
                    chars += count * scanned
                if nodes > cap:
                    self._too_large("the value", cap)
                for child in children:
                    seen = below.get(id(child))
                    below[id(child)] = (child, count if seen is None else seen[1] + count)
            level = below
        if rounds:
            self.charge(nodes * rounds // 64 + chars * rounds // SCAN_CHARS_PER_STEP, _READING)
        else:
            self.charge(nodes // NODES_PER_STEP + chars // SCAN_CHARS_PER_STEP, _COMPARING)
        return nodes, chars

    def weigh_all(self, values: Iterable[Any]) -> None:
        """`weigh` for each of several values (arguments of one call)."""
        for value in values:
            self.weigh(value)

    def scan(self, value: Any) -> None:
        """Before a comparison or membership test reads `value` in C."""
        t = type(value)
        if t is str:
            n = len(value)
            if n >= SCAN_CHARS_PER_STEP:
                self.charge(n // SCAN_CHARS_PER_STEP, _COMPARING)
        elif t in _DEEP or t is Decimal:
            self.weigh(value)

    def search(self, text: str, needle_length: int) -> None:
        """Before searching `text` for a substring of `needle_length` characters (``in``,
        find, count, split, replace, strip's set of characters): the worst case of a
        search is the product of the two lengths."""
        n = len(text)
        work = n * needle_length if 1 < needle_length <= n else n
        if work >= SCAN_CHARS_PER_STEP:
            self.charge(
                work // SCAN_CHARS_PER_STEP,
                f"searching a text of {n:,} characters for one of {needle_length:,}",
            )

    def text_size(self, value: Any) -> int:
        """Estimates how many characters ``str()``/``repr()`` of `value` would produce,
        walking nested containers like `weigh`, and refuses (before Python builds it) a
        text over `max_string_length`. Charged and bounded like `weigh`, plus the
        quadratic conversion of big ints to decimal digits."""
        cap_chars = self.max_chars
        cap_nodes = 4 * self.max_items
        deep = _DEEP
        chars = 0
        nodes = 0
        depth = 0
        conversions = 0
        level: dict[int, tuple[Any, int]] = {id(value): (value, 1)}
        while level:
            depth += 1
            if depth > MAX_DATA_NESTING:
                self._too_deep("the value to convert to text")
            below: dict[int, tuple[Any, int]] = {}
            for v, count in level.values():
                if type(v) not in deep:
                    size, work = _leaf_text(v)
                    chars += count * size
                    conversions += work
                else:
                    n = len(v)
                    nodes += count * (n + 1)
                    if type(v) is dict:
                        chars += count * (2 + 4 * n)
                        items: list[Any] = [*v.keys(), *v.values()]
                    else:
                        chars += count * (2 + 2 * n)
                        items = list(v)
                    if nodes > cap_nodes:
                        self._too_large("the value to convert to text", cap_nodes)
                    kinds = set(map(type, items))
                    if kinds <= _STR_ONLY:
                        chars += count * (sum(map(len, items)) + 2 * len(items))
                    else:
                        for item in items:
                            if type(item) in deep:
                                seen = below.get(id(item))
                                below[id(item)] = (item, count if seen is None else seen[1] + count)
                            else:
                                size, work = _leaf_text(item)
                                chars += count * size
                                conversions += work
                if chars > cap_chars:
                    raise ResourceLimitExceeded(
                        f"converting the value to text would produce more than {cap_chars:,} characters"
                    )
            level = below
        if chars > cap_chars:
            raise ResourceLimitExceeded(
                f"converting the value to text would produce more than {cap_chars:,} characters"
            )
        self.charge(nodes // NODES_PER_STEP + conversions)
        return chars


class _Group:
    """The distinct keys seen with one hash value: their number and canonical hashes."""

    __slots__ = ("count", "seen")

    def __init__(self, first: int) -> None:
        self.count = 1
        self.seen = {first}


_NOTHING: Any = object()
_COLLIDING = "hashing keys whose hash values collide (crafted numbers or tuples?)"
_COMPARING = "comparing or hashing the value (every reference to a text counts)"
_READING = "sorting or ordering the values (every reference to a text counts)"
_PLAIN_KEYS = frozenset({str, bool, type(None), date, datetime})
_INT_KEYS = frozenset({int, bool})
_STR_ONLY = frozenset({str})


def _canonical(value: Any) -> Any:
    """A form of `value` whose hash cannot be steered: equal values give equal forms (or,
    for a few equal values of different types, different ones, which only over-counts)."""
    t = type(value)
    if t is str:
        return value
    if t is int or t is bool:
        return value.to_bytes(value.bit_length() // 8 + 1, "little", signed=True)
    if t is tuple:
        return tuple(map(_canonical, value))
    if t is frozenset:
        return frozenset(map(_canonical, value))
    if t is float:
        return value.hex()
    if t is Decimal:
        return "D" + str(value)
    if t is timezone:
        return "tz" + str(value.utcoffset(None))
    return f"{t.__name__}:{value!r}"


def _scalar_scan(value: Any) -> int:
    """What comparing or hashing one scalar reads, in characters."""
    t = type(value)
    if t is str:
        return len(value)
    if t is Decimal:
        digits = decimal_digits(value)
        return digits * DECIMAL_HASH_COST if digits > 76 else 0
    return 0


def _flat_chars(items: Sequence[Any], kinds: set[type]) -> int:
    """The characters of the strings (and Decimal digits) among `items`."""
    if not kinds:
        return 0
    if len(kinds) == 1:
        (kind,) = kinds
        if kind is str:
            return sum(map(len, items))
        if kind is Decimal:
            return sum(map(_scalar_scan, items))
        return 0
    chars = 0
    if str in kinds:
        chars += sum(len(x) for x in items if type(x) is str)
    if Decimal in kinds:
        chars += sum(_scalar_scan(x) for x in items if type(x) is Decimal)
    return chars


def _leaves(items: Iterable[Any]) -> tuple[int, list[Any]]:
    """The characters of the strings (and Decimal digits) among `items`, and the nested
    containers among them. Runs at C speed for the common uniform cases."""
    if type(items) is not list and type(items) is not tuple:
        items = list(items)
    kinds = set(map(type, items))
    if not kinds:
        return 0, []
    if len(kinds) == 1:
        (kind,) = kinds
        if kind is str:
            return sum(map(len, items)), []
        if kind in _DEEP:
            return 0, list(items)
        if kind is Decimal:
            return sum(map(_scalar_scan, items)), []
        return 0, []
    chars = 0
    if str in kinds:
        chars += sum(len(x) for x in items if type(x) is str)
    if Decimal in kinds:
        chars += sum(_scalar_scan(x) for x in items if type(x) is Decimal)
    children = [x for x in items if type(x) in _DEEP] if not _DEEP.isdisjoint(kinds) else []
    return chars, children


def _leaf_text(value: Any) -> tuple[int, int]:
    """Upper estimate of the length of the text of one non-container value (its repr may
    escape characters and be longer; the produced text is checked again afterwards), and
    the steps converting it costs beyond its length."""
    t = type(value)
    if t is str:
        return len(value) + 2, 0
    if t is int:
        if value.bit_length() <= 64:
            return 22, 0
        digits = int_digits(value)
        return digits + 2, int_text_steps(digits)
    if t is Decimal:
        if not value.is_finite():
            return 24, 0
        return decimal_digits(value) + len(str(value.adjusted())) + 24, 0
    if t is float:
        return 24, 0
    if t is timezone:
        return _zone_name_length(value) + 64, 0
    if t is datetime:
        tz = value.tzinfo
        return 96 + (_zone_name_length(tz) if isinstance(tz, timezone) else 64 if tz is not None else 0), 0
    return 80, 0


def _zone_name_length(zone: timezone) -> int:
    """A fixed-offset timezone can carry a name of any length, which ``%Z``, ``str`` and
    ``repr`` all write out."""
    name = zone.tzname(None)
    return len(name) if isinstance(name, str) else 0


def zone_name_length(value: Any) -> int:
    """The length of the timezone name of a datetime (0 without one)."""
    tz = getattr(value, "tzinfo", None)
    if isinstance(tz, timezone):
        return _zone_name_length(tz)
    if tz is not None and isinstance(value, datetime):
        name = value.tzname()
        return len(name) if isinstance(name, str) else 0
    return 0


_ACTIVE: ContextVar[Meter | None] = ContextVar("flowdesk_expression_meter", default=None)


def activate(meter: Meter) -> Token[Meter | None]:
    """Makes `meter` the one that sandbox builtins charge while a run is in progress (they
    can be called from C, e.g. as a ``key=`` of ``sorted``, where no meter is passed)."""
    return _ACTIVE.set(meter)


def deactivate(token: Token[Meter | None]) -> None:
    _ACTIVE.reset(token)


def active_meter() -> Meter:
    meter = _ACTIVE.get()
    if meter is None:
        raise SandboxViolation("a function made inside an expression cannot be called outside of it")
    return meter
