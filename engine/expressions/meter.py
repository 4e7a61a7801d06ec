"""The meter that enforces a run's `Limits`: steps, time, memory, sizes and the hash
counter, and the meter of the run in progress (`active_meter`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from contextvars import ContextVar, Token
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, getcontext
from itertools import islice
from typing import Any, NoReturn

from .errors import ResourceLimitExceeded, SandboxViolation
from .limits import (
    BIT_PRODUCTS_PER_STEP,
    BITS_PER_STEP,
    CHARS_PER_STEP,
    CLOCK_EVERY,
    COMPARES_PER_STEP,
    DECIMAL_HASH_COST,
    DIGITS_PER_STEP,
    ITEMS_PER_STEP,
    MAX_DATA_NESTING,
    MOVES_PER_STEP,
    NODES_PER_STEP,
    SCAN_CHARS_PER_STEP,
    Limits,
)
from .sizes import (
    COLLECTIONS,
    DEEP,
    canonical,
    decimal_digits,
    flat_chars,
    int_digits,
    int_text_steps,
    leaves,
    scalar_scan,
    short,
    small_number,
    text_size,
    too_deep,
    too_large,
)

_MB = 1024 * 1024

_HASH_MODULUS = sys.hash_info.modulus  # ints below it in size hash to themselves


# Types whose hash a script can steer (not randomised per process, unlike text and dates).
_STEERABLE_HASH = frozenset({int, float, Decimal, tuple, frozenset, timedelta, timezone})


_REGISTRY_ENTRY_BYTES = 120  # what counting one distinct key costs the hash counter


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
        elif t in COLLECTIONS:
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
        if small_number(a) and small_number(b):  # the common case: nothing to charge
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
            entry = groups[h] = _Group(hash(canonical(entry)))
        form = hash(canonical(key))
        if form not in entry.seen:
            entry.seen.add(form)
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
        if t not in DEEP:
            chars = scalar_scan(value)
            if chars:
                self.charge(max(1, rounds) * chars // SCAN_CHARS_PER_STEP, _READING if rounds else _COMPARING)
            return 1, chars
        if t is tuple or t is list:
            kinds = set(map(type, value))
            if kinds.isdisjoint(DEEP):  # flat: no walk needed (most keys and rows)
                nodes = len(value) + 1
                chars = flat_chars(value, kinds)
                if nodes > 4 * self.max_items:
                    too_large("the value", 4 * self.max_items)
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
                too_deep("the value")
            below: dict[int, tuple[Any, int]] = {}
            for v, count in level.values():
                if type(v) is dict:
                    nodes += count * (2 * len(v) + 1)
                    keys, found = leaves(v)
                    values, found_values = leaves(v.values())
                    chars += count * (keys + values)
                    children = [*found, *found_values]
                else:
                    nodes += count * (len(v) + 1)
                    scanned, children = leaves(v)
                    chars += count * scanned
                if nodes > cap:
                    too_large("the value", cap)
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
        elif t in DEEP or t is Decimal:
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
        chars, nodes, conversions = text_size(value, self.max_chars, 4 * self.max_items)
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
