"""FEEL's built-in functions (DMN 1.5 and Camunda 8's extensions), as trusted Python, one
module per family: conversion and booleans, strings, lists, numbers, contexts, ranges,
temporal values, and Camunda 8's extras. Each registers its functions in `registry.FUNCTIONS` when imported.

Each function takes the run's `Meter` first and FEEL values after; a call with arguments
of the wrong type returns null, as FEEL specifies. Work proportional to the arguments
(joining, sorting, searching, deduplicating) is charged to the meter. `FUNCTIONS` maps
the FEEL name (``"string length"``) to a `Builtin` with its parameter names, which the
translator uses to check arity and map named arguments at deploy time.
"""

from __future__ import annotations

from . import camunda, contexts, conversion, lists, numbers, ranges, strings, temporal
from .registry import FUNCTIONS, Builtin, Null, call, integer_arg

FAMILIES = (conversion, strings, lists, numbers, contexts, ranges, temporal, camunda)

__all__ = ["FAMILIES", "FUNCTIONS", "Builtin", "Null", "call", "integer_arg"]
