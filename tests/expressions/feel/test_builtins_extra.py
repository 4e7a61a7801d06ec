"""Camunda 8's FEEL built-ins beyond the DMN standard library."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flowdesk.engine.expressions import ExpressionError

from tests.expressions.feel.conftest import feel


def test_random_number_is_a_number_from_zero_to_one():
    values = {feel("random number()") for _ in range(20)}
    assert all(isinstance(v, Decimal) and 0 <= v < 1 for v in values)
    assert len(values) > 1
    assert feel("random number() >= 0 and random number() < 1") is True


def test_random_number_with_arguments_is_refused_when_translated():
    with pytest.raises(ExpressionError, match="random number\\(\\) does not take 1 argument"):
        feel("random number(5)")
