"""Built-in functions Camunda 8's FEEL has beyond the DMN standard library, found missing
when models nobody here had written were run; registered into the same table
(`registry.FUNCTIONS`) through `registry.builtin`.

* ``random number()``: a number from 0 (included) to 1 (excluded).
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from ...meter import Meter
from ..values import NUMBERS
from .registry import builtin

_RANDOM_DIGITS = 10**15


@builtin("random number", ())
def _random_number(meter: Meter) -> Decimal:
    return NUMBERS.divide(Decimal(secrets.randbelow(_RANDOM_DIGITS)), Decimal(_RANDOM_DIGITS))
