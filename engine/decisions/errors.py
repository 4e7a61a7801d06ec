"""The error a decision raises: below the model and the evaluator, which both raise it."""

from __future__ import annotations

from ..expressions.errors import EvaluationError


class DecisionError(EvaluationError):
    """A decision could not be made: a hit-policy violation, an unknown decision, or an
    expression that failed (then the original error is the ``__cause__``)."""

    title = "Decision error"
