"""Resource limits of the sandbox and the meter that enforces them during one run.

Threads cannot be killed, so a run is bounded by counting, never by a timer: every AST
node the interpreter evaluates costs one step, and so does every loop iteration and
comprehension item. A single step must therefore never hide an unbounded amount of work
in C code, which is why the meter also

* charges work done in bulk by builtins and operators in proportion to its size (a text
  of 1,000,000 characters costs 10,000 steps to build, sorting 10,000 items costs more
  than sorting 10), so that "steps" stay a fair measure of time and memory;
* refuses sizes before they are computed where an operand alone decides the size of the
  result (``'a' * 10**9``, ``10 ** 10**10``, ``range(10**9)``), and checks every value
  produced against the length limits otherwise;
* walks nested containers before Python compares, hashes or prints them, because those
  operations recurse in C: ``t = (t, t)`` doubled forty times is tiny in memory but would
  take hours to hash or print.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass, fields
from decimal import Decimal
from itertools import islice
from typing import Any, NoReturn

from .errors import ResourceLimitExceeded, SandboxViolation

# How much work one step stands for when work is done in bulk. The figures keep a
# step within the same order of time as interpreting one node (about a microsecond).
CHARS_PER_STEP = 100  # building text
SCAN_CHARS_PER_STEP = 1000  # comparing or searching text that already exists
ITEMS_PER_STEP = 10  # building or consuming a collection
MOVES_PER_STEP = 1000  # shifting existing items (list.insert(0, x), del l[0])
BITS_PER_STEP = 800  # building a big integer
NODES_PER_STEP = 16  # walking nested containers (compare, hash, print)

# Deepest nesting of containers that the sandbox compares, hashes, prints or lets out.
MAX_DATA_NESTING = 100


@dataclass(frozen=True)
class Limits:
    """What one evaluation or script run may use. The defaults suit gateway conditions and
    ordinary script tasks; a deployment can pass tighter or looser limits per call."""

    max_operations: int = 200_000
    max_string_length: int = 1_000_000
    max_collection_length: int = 100_000
    max_int_bits: int = 8192
    max_depth: int = 50  # nesting of lambda calls / recursion in the interpreter

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{field.name} must be a positive integer, not {value!r}")


DEFAULT_LIMITS = Limits()

_DICT_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))
# Containers whose comparison, hashing or printing recurses into their items.
_DEEP = frozenset({list, tuple, dict, set, frozenset, *_DICT_VIEWS})
_COLLECTIONS = frozenset({list, tuple, dict, set, frozenset})


def short(value: Any, width: int = 40) -> str:
    """A bounded rendering of a value for an error message (never converts a huge int)."""
    if type(value) is int and value.bit_length() > 64:
        return f"<a number of {value.bit_length()} bits>"
    if isinstance(value, str):
        text = repr(value[: width + 1])
    elif isinstance(value, int | float | Decimal | bool) or value is None:
        text = repr(value)
    else:
        return f"<{type(value).__name__}>"
    return text if len(text) <= width else text[: width - 3] + "..."


class Meter:
    """Counts the steps of one run and checks sizes against its `Limits`.

    One meter belongs to one call of `evaluate` or `execute`; it is not shared between
    threads. The step counter counts *down* so the hot path is one subtraction and one
    comparison.
    """

    __slots__ = ("depth", "limits", "max_bits", "max_chars", "max_depth", "max_items", "ops")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.ops = limits.max_operations
        self.depth = 0
        self.max_chars = limits.max_string_length
        self.max_items = limits.max_collection_length
        self.max_bits = limits.max_int_bits
        self.max_depth = limits.max_depth

    # -- steps -------------------------------------------------------------------------

    def exhausted(self) -> NoReturn:
        raise ResourceLimitExceeded(
            f"the operation budget of {self.limits.max_operations} steps was exhausted (an endless loop?)"
        )

    def tick(self) -> None:
        self.ops -= 1
        if self.ops < 0:
            self.exhausted()

    def moved(self, container: Any) -> None:
        """Before an operation that shifts the items of a list in memory."""
        if type(container) is list and len(container) >= MOVES_PER_STEP:
            self.charge(len(container) // MOVES_PER_STEP)

    def charge(self, steps: int) -> None:
        if steps > 0:
            self.ops -= steps
            if self.ops < 0:
                self.exhausted()

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
        """Checks a freshly built value against the limits, charges for building it, and
        returns it. Used on results of operators, builtins, displays and slices; not on
        values merely read out of existing data."""
        t = type(value)
        if t is str:
            n = len(value)
            if n > self.max_chars:
                self.need_chars(n)
            if n >= CHARS_PER_STEP:
                self.charge(n // CHARS_PER_STEP)
        elif t is int:
            bits = value.bit_length()
            if bits > self.max_bits:
                self.need_bits(bits)
            if bits >= BITS_PER_STEP:
                self.charge(bits // BITS_PER_STEP)
        elif t in _COLLECTIONS:
            n = len(value)
            if n > self.max_items:
                self.need_items(n)
            if n >= ITEMS_PER_STEP:
                self.charge(n // ITEMS_PER_STEP)
        return value

    def int_of_decimal(self, value: Decimal) -> None:
        """Before a Decimal becomes an int: ``Decimal('1e999999999')`` is a short value whose
        integer has a billion digits, and converting it would run for minutes in C."""
        if value.is_finite() and value.adjusted() >= 0:
            # decimal digits -> bits: 10 ** d needs d * log2(10) ~ d * 3.32 bits
            self.need_bits((value.adjusted() + 1) * 332 // 100, f"int({short(value)})")

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
        if n > self.max_items:
            self.need_items(n, "the input")
        if n >= ITEMS_PER_STEP:
            self.charge(n // ITEMS_PER_STEP)
        return seq

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

    def weigh(self, value: Any) -> int:
        """Counts the items Python would visit comparing or hashing `value` (shared
        sub-containers counted each time they are reached, as Python does), charges for
        them and refuses more than four times `max_collection_length`, or nesting deeper
        than `MAX_DATA_NESTING`. Scalars cost nothing. Each level is kept as distinct
        containers with the number of times they are reached, so the walk itself costs
        what the value occupies in memory, not what it would expand to."""
        if type(value) not in _DEEP:
            return 1
        cap = 4 * self.max_items
        deep = _DEEP
        nodes = 0
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
                    children = [k for k in v if type(k) in deep] if not deep.isdisjoint(map(type, v)) else []
                    values = v.values()
                    if not deep.isdisjoint(map(type, values)):
                        children.extend([x for x in values if type(x) in deep])
                else:
                    nodes += count * (len(v) + 1)
                    children = [x for x in v if type(x) in deep] if not deep.isdisjoint(map(type, v)) else []
                if nodes > cap:
                    self._too_large("the value", cap)
                for child in children:
                    seen = below.get(id(child))
                    below[id(child)] = (child, count if seen is None else seen[1] + count)
            level = below
        self.charge(nodes // NODES_PER_STEP)
        return nodes

    def weigh_all(self, values: Iterable[Any]) -> None:
        """`weigh` for each of several values (arguments of one call)."""
        for value in values:
            if type(value) in _DEEP:
                self.weigh(value)

    def hashable(self, key: Any) -> None:
        """Before a value is hashed (dict key, set member): only tuples and frozensets
        hash recursively; strings cache their hash and numbers are cheap."""
        t = type(key)
        if t is tuple or t is frozenset:
            self.weigh(key)

    def scan(self, value: Any) -> None:
        """Before a comparison or membership test reads `value` in C."""
        t = type(value)
        if t is str:
            n = len(value)
            if n >= SCAN_CHARS_PER_STEP:
                self.charge(n // SCAN_CHARS_PER_STEP)
        elif t in _DEEP:
            self.weigh(value)

    def text_size(self, value: Any) -> int:
        """Estimates how many characters ``str()``/``repr()`` of `value` would produce,
        walking nested containers like `weigh`, and refuses (before Python builds it) a
        text over `max_string_length`. Charged and bounded like `weigh`."""
        cap_chars = self.max_chars
        cap_nodes = 4 * self.max_items
        deep = _DEEP
        chars = 0
        nodes = 0
        depth = 0
        level: dict[int, tuple[Any, int]] = {id(value): (value, 1)}
        while level:
            depth += 1
            if depth > MAX_DATA_NESTING:
                self._too_deep("the value to convert to text")
            below: dict[int, tuple[Any, int]] = {}
            for v, count in level.values():
                if type(v) not in deep:
                    chars += count * _leaf_chars(v)
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
                    for item in items:
                        if type(item) in deep:
                            seen = below.get(id(item))
                            below[id(item)] = (item, count if seen is None else seen[1] + count)
                        else:
                            chars += count * _leaf_chars(item)
                if chars > cap_chars:
                    raise ResourceLimitExceeded(
                        f"converting the value to text would produce more than {cap_chars:,} characters"
                    )
            level = below
        self.charge(nodes // NODES_PER_STEP)
        return chars


def _leaf_chars(value: Any) -> int:
    """Upper estimate of the length of the text of one non-container value (its repr may
    escape characters and be longer; the produced text is checked again afterwards)."""
    t = type(value)
    if t is str:
        return len(value) + 2
    if t is int:
        return value.bit_length() * 3 // 10 + 2
    if t is Decimal:
        return len(value.as_tuple().digits) + 24
    return 48


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
