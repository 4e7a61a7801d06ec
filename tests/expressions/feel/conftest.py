"""Helpers for the FEEL tests: translate once, evaluate in the sandbox with nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from flowdesk.engine import expressions
from flowdesk.engine.expressions.feel import translate_feel, translate_unary_tests


def feel(text: str, **names: Any) -> Any:
    """The FEEL value of `text` (durations, times and ranges kept as FEEL values)."""
    return expressions.evaluate(translate_feel(text, as_data=False), names)


def feel_data(text: str, **names: Any) -> Any:
    """The value as instance data, as a Camunda 8 expression's result is stored."""
    return expressions.evaluate(translate_feel(text), names)


def test(cells: str, value: Any, **names: Any) -> Any:
    """The result of unary tests `cells` on `value`."""
    return expressions.evaluate(translate_unary_tests(cells, "cell_input"), {**names, "cell_input": value})


@pytest.fixture
def f():
    return feel
