"""Decision-table cells: YAML values in, the Python text SpiffWorkflow's DMN engine reads out.

Designers write what they mean and YAML keeps the types, so quoting is rarely needed:

=====================  ======================================  =========================
written                means                                   DMN cell
=====================  ======================================  =========================
(absent), ``null``,    any value                               (empty)
``"-"``
``sick``               equals the text "sick"                  ``"sick"``
``5``, ``true``        equals the number / boolean             ``5``, ``True``
``[a, b]``             is one of                               ``? in ["a", "b"]``
``"<= 2"``, ``"> 10"``  compares (``<``, ``<=``, ``>``, ``>=``,  ``<= 2``
                       ``==``, ``!=``, ``in``, ``not in``)
``"= ? % 2 == 0"``     a raw expression; ``?`` is the input     ``? % 2 == 0``
=====================  ======================================  =========================

Outputs are literal values (text, numbers, booleans, lists, mappings, null) unless they
start with ``=``, which makes the rest a Python expression (``"= amount * 0.1"``).

SpiffWorkflow evaluates a cell either as ``(input) == (cell)`` or, when the cell does not
parse on its own, as ``input + cell`` (so ``<= 2`` becomes ``days <= 2``); ``?`` stands for
the input. `check_input_entry` applies exactly that rule with the Flowdesk sandbox, so a
cell that deploys is one that runs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ... import expressions

_OPERATOR = re.compile(r"^\s*(<=|>=|==|!=|<|>|not\s+in\b|in\b)")


def python_literal(value: Any) -> str:
    """`value` as Python source: text quoted, ``true`` as ``True``, ``null`` as ``None``."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(str(k))}: {python_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def input_entry(value: Any) -> str:
    """The DMN text of an input cell (see module doc); empty means "any"."""
    if value is None or value == "-" or value == "":
        return ""
    if isinstance(value, str):
        if value.startswith("="):
            return value[1:].strip()
        if _OPERATOR.match(value):
            return value.strip()
        return python_literal(value)
    if isinstance(value, list):
        return f"? in {python_literal(value)}"
    return python_literal(value)


def output_entry(value: Any) -> str:
    """The DMN text of an output cell: a literal, or the expression after ``=``."""
    if isinstance(value, str) and value.startswith("="):
        return value[1:].strip()
    return python_literal(value)


def check_input_entry(text: str) -> str | None:
    """Why SpiffWorkflow could not evaluate this input cell, or None when it can."""
    if not text:
        return None
    if "?" in text:
        return _why(text.replace("?", "dmninputexpr"))
    if _why(text) is None:
        return None
    return _why(f"v {text}")


def check_expression(text: str, mode: str = "eval") -> str | None:
    """Why `text` is not a valid sandbox expression (or script), or None."""
    return _why(text, mode)


def _why(text: str, mode: str = "eval") -> str | None:
    try:
        expressions.check(text, mode)
    except expressions.ExpressionError as err:
        return err.detail
    return None
