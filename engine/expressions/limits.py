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

from dataclasses import dataclass, fields

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
