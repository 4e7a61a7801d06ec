"""What instance data may hold: checked after every script, before anything saves it.

Instance data is stored as JSON (`flowdesk.engine.values` tags exact decimals and dates so
they come back as they were), written to SQLite's JSON text or PostgreSQL's JSONB, diffed
into the audit trail and sent to clients. A script can leave anything in its variables -
a dict view, a set, a function, a timezone - and the failure then came much later, as a
500 from the serializer, with no word of which script or variable was at fault. So when
a script ends, every variable must be *data*:

* ``None``, ``True``/``False``, an ``int``, a finite ``float``;
* a finite ``Decimal`` (saved exactly);
* a ``date`` or ``datetime`` (saved in ISO 8601; a datetime's timezone as its offset);
* text (``str``) without NUL characters or unpaired surrogates, which PostgreSQL's
  JSONB and UTF-8 cannot hold;
* a ``list`` or ``tuple`` of data (a tuple is saved, and comes back, as a list);
* a ``dict`` whose keys are text or ints and whose values are data. JSON object keys are
  text, so an int key is saved as its digits and read back as text (``by_line[3]`` is
  ``by_line["3"]`` in the next step), as it always was; any other key (a tuple, a date,
  None, a bool, a float) would come back as Python's text for it and is refused.

Anything else - sets (unordered: there is no faithful JSON form), dict views, ranges,
functions, timedeltas, timezones, NaN and infinities - is refused with an
`EvaluationError` naming the variable, the place inside it and the type, and saying what
to store instead. The engine turns the error into an incident on the instance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from .errors import EvaluationError
from .limits import MAX_DATA_NESTING
from .sizes import short

_SCALARS = frozenset({str, int, bool, type(None), float, Decimal, date, datetime})
_SURROGATE = re.compile("[\ud800-\udfff]")

_HINTS: dict[type, str] = {
    set: "store sorted(...) or list(...) of it instead",
    frozenset: "store sorted(...) or list(...) of it instead",
    type({}.keys()): "store list(...) of it instead",
    type({}.values()): "store list(...) of it instead",
    type({}.items()): "store list(...) of it instead",
    range: "store list(range(...)) instead",
    timedelta: "store a number, e.g. its total_seconds() or days",
    timezone: "store its offset or name as text",
    time: "store its isoformat() text",
}


def _where(name: str, path: list[Any]) -> str:
    return name + "".join(f"[{short(part)}]" for part in path)


def _kind(value: Any) -> str:
    if callable(value) and not isinstance(value, type):
        return "a function"
    name = type(value).__name__
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


def _refuse(name: str, path: list[Any], message: str) -> EvaluationError:
    place = f"the variable '{name}'" if not path else f"{_where(name, path)} (in the variable '{name}')"
    return EvaluationError(f"{place} {message}")


def _scalar_problem(value: Any) -> str | None:
    """Why a non-container value cannot be stored, or None when it can."""
    t = type(value)
    if t is str:
        if "\x00" in value:
            return "is text with a NUL character (\\x00), which instance data cannot hold"
        if not value.isascii() and _SURROGATE.search(value):
            return "is text with an unpaired surrogate character, which instance data cannot hold"
        return None
    if t is float:
        return None if math.isfinite(value) else f"is the float {value}, which has no JSON form"
    if t is Decimal:
        return None if value.is_finite() else f"is Decimal('{value}'), which has no JSON form"
    if t in _SCALARS:
        return None
    hint = _HINTS.get(t)
    if hint is None and callable(value):
        hint = "functions cannot be stored; store what calling it returns"
    what = _kind(value)
    if what == "a function":
        what = f"a function ({t.__name__})"
    return f"is {what}, which instance data cannot hold" + (f": {hint}" if hint else "")


def _key_problem(key: Any) -> str:
    kind = type(key).__name__
    if type(key) in _SCALARS:
        return f"has the key {short(key)} of type {kind}; keys of instance data must be text or ints: use str(key)"
    return f"has a key of type {kind}; keys of instance data must be text or ints"


def check_value(name: str, value: Any) -> None:
    """Refuses `value` (the variable `name`) unless it is data (see the module doc).

    Before refusing, every value that is not data found *inside* a list or dict is
    replaced there by None (a tuple holding one is replaced as a whole, an entry with a
    key that is not text removed): a script may have put it into data that was there
    before it ran, and that data must still be saved, with the incident."""
    t = type(value)
    if t in _SCALARS:
        problem = _scalar_problem(value) if t is str or t is float or t is Decimal else None
        if problem:
            raise _refuse(name, [], problem)
        return
    if t is not dict and t is not list and t is not tuple:
        raise _refuse(name, [], _scalar_problem(value) or "cannot be stored")
    # Containers: depth-first with an explicit path; a container checked once is fine
    # wherever else it is referenced, one on the current path contains itself.
    checked: set[int] = set()
    active: set[int] = set()
    path: list[Any] = []
    first: list[EvaluationError] = []

    def found(message: str, key: Any = _NO_KEY) -> None:
        if not first:
            first.append(_refuse(name, path if key is _NO_KEY else [*path, key], message))

    def walk(container: Any, depth: int) -> bool:
        """Checks and repairs `container`; True when it must be replaced as a whole."""
        if depth > MAX_DATA_NESTING:
            found(f"is nested more than {MAX_DATA_NESTING} levels deep")
            return True
        active.add(id(container))
        is_dict = type(container) is dict
        entries: Any = list(container.items()) if is_dict else enumerate(container)
        replace: list[Any] = []
        for key, item in entries:
            if is_dict and type(key) is not str and type(key) is not int:
                found(_key_problem(key))
                replace.append((key, _DROP))
                continue
            t = type(item)
            if t is dict or t is list or t is tuple:
                if id(item) in active:
                    found("contains itself and cannot be saved", key)
                    replace.append((key, None))
                elif id(item) not in checked:
                    path.append(key)
                    broken = walk(item, depth + 1)
                    path.pop()
                    if broken:
                        replace.append((key, None))
            elif t is str or t is float or t is Decimal or t not in _SCALARS:
                problem = _scalar_problem(item)
                if problem:
                    found(problem, key)
                    replace.append((key, None))
        active.discard(id(container))
        checked.add(id(container))
        if replace and type(container) is tuple:
            return True
        for key, stand_in in replace:
            if stand_in is _DROP:
                del container[key]
            else:
                container[key] = stand_in
        return False

    walk(value, 1)
    if first:
        raise first[0]


_NO_KEY: Any = object()
_DROP: Any = object()


def check_data(variables: Mapping[str, Any], source: str | None = None) -> None:
    """Refuses the first variable that is not data (see the module doc) with an
    `EvaluationError` that names it; `source` is the script, for the incident."""
    try:
        for name, value in variables.items():
            check_value(str(name), value)
    except EvaluationError as exc:
        exc.source = source
        raise
