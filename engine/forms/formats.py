"""The `format` values forms may use, and the checks that enforce them.

JSON Schema treats `format` as an annotation unless a validator opts in; Flowdesk opts in,
because a "date" that is not a date must be rejected at the door, not discovered by a
script three steps later. The checks are jsonschema's draft 2020-12 ones (the
``format-nongpl`` extra supplies date-time, time and uri) with three changes:

* ``email`` is stricter than jsonschema's "contains an @": one @, no spaces, and a
  dotted domain, which is what a business form means by an email address;
* ``decimal`` is Flowdesk's own: a JSON number, or text that is a plain decimal numeral
  (``"1234.50"``, ``"-0.5"``; no exponent, no spaces, no NaN). Amounts travel as text when
  exactness matters; the engine compares them as `decimal.Decimal`, never as floats.
  Note that `minimum`/`maximum` only apply to JSON numbers, not to such text;
* date-time, time and uri fall back to built-in checks should the extra's libraries be
  missing, so a deployment never silently stops enforcing them.

Like every format, a check only looks at values of the types it is about (text, and
numbers for ``decimal``); ``type`` is what rejects a value of the wrong type.
A form using a format that is not listed here is a definition problem: an unchecked
format would look like a rule while enforcing nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_EMAIL = re.compile(
    r"[^@\s\"(),:;<>\[\]\\]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
_OFFSET = r"(?:[Zz]|[+-](?P<oh>[0-9]{2}):(?P<om>[0-9]{2}))"
_TIME = r"(?P<h>[0-9]{2}):(?P<m>[0-9]{2}):(?P<s>[0-9]{2})(?:\.[0-9]+)?" + _OFFSET
_DATE_TIME = re.compile(r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})[Tt]" + _TIME)
_FULL_TIME = re.compile(_TIME)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\"<>\\^`{|}]*")


def is_decimal(instance: Any) -> bool:
    """A JSON number, or text that is a plain decimal numeral (see module doc)."""
    if isinstance(instance, bool):
        return True  # not a number at all: `type` decides
    if isinstance(instance, Decimal):
        return instance.is_finite()
    if isinstance(instance, int | float):
        return math.isfinite(instance)
    if isinstance(instance, str):
        return _DECIMAL.fullmatch(instance) is not None
    return True


def is_email(instance: Any) -> bool:
    """local-part@dotted.domain, at most 254 characters."""
    if not isinstance(instance, str):
        return True
    return len(instance) <= 254 and _EMAIL.fullmatch(instance) is not None


def is_date_time(instance: Any) -> bool:
    """RFC 3339 date-time (fallback for when rfc3339-validator is missing)."""
    if not isinstance(instance, str):
        return True
    match = _DATE_TIME.fullmatch(instance)
    if match is None:
        return False
    try:
        dt.date(int(match["y"]), int(match["mo"]), int(match["d"]))
    except ValueError:
        return False
    return _time_fields_valid(match)


def is_time(instance: Any) -> bool:
    """RFC 3339 full-time, offset required (fallback for when rfc3339-validator is missing)."""
    if not isinstance(instance, str):
        return True
    match = _FULL_TIME.fullmatch(instance)
    return match is not None and _time_fields_valid(match)


def is_uri(instance: Any) -> bool:
    """An absolute URI: scheme, colon, no spaces (fallback for when rfc3986-validator is
    missing; coarser than RFC 3986 but never accepts relative references or prose)."""
    if not isinstance(instance, str):
        return True
    return _URI.fullmatch(instance) is not None


def _time_fields_valid(match: re.Match[str]) -> bool:
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"])
    if hour > 23 or minute > 59 or second > 60:  # 60: RFC 3339 allows a leap second
        return False
    return match["oh"] is None or (int(match["oh"]) <= 23 and int(match["om"]) <= 59)


def _build_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
    for name, check in (("date-time", is_date_time), ("time", is_time), ("uri", is_uri)):
        if name not in checker.checkers:
            checker.checks(name)(check)
    checker.checks("email")(is_email)
    checker.checks("decimal")(is_decimal)
    return checker


#: The checker every form validator uses; its keys are the formats a form may name.
FORMAT_CHECKER: FormatChecker = _build_checker()


def known_formats() -> list[str]:
    """The format names a form may use, sorted (for messages and documentation)."""
    return sorted(FORMAT_CHECKER.checkers)
