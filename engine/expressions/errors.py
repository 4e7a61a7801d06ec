"""Errors of the expression sandbox.

They form one family under `ExpressionError` so the runtime can turn any of them into an
incident with one ``except``, while the class still tells *why* the code was stopped: it
does not parse, it tried something the sandbox forbids, it ran out of budget, or it failed
the ordinary way (a missing variable, a division by zero). Messages are written for the
process designer who wrote the condition or script, not for the engine's developers.
"""

from __future__ import annotations

from ..errors import FlowdeskError


class ExpressionError(FlowdeskError):
    """Base of every error raised while checking or running designer code.

    `source` is the code that failed, `line` the 1-based line in it (None when unknown)
    and `detail` the plain-language message. The runtime fills `source` in when the error
    leaves the sandbox, so inner code can raise without knowing it.
    """

    status, slug, title = 422, "expression-error", "Expression error"

    def __init__(self, detail: str, *, source: str | None = None, line: int | None = None) -> None:
        super().__init__(detail)
        self.source = source
        self.line = line

    def __str__(self) -> str:
        if self.line is not None and self.source is not None and "\n" in self.source.strip():
            return f"line {self.line}: {self.detail}"
        return self.detail


class ExpressionSyntaxError(ExpressionError):
    """The code does not parse (or an EL expression uses a construct with no translation)."""

    title = "Expression syntax error"


class SandboxViolation(ExpressionError):
    """The code uses a construct, name or attribute that the sandbox does not allow."""

    title = "Forbidden in expressions"


class ResourceLimitExceeded(ExpressionError):
    """The code needed more steps, time, memory, a longer value, a bigger number or deeper
    nesting than the limits allow. Time is bounded by counting steps (bulk work charged by
    its size), with a wall-clock deadline behind them (see `limits`)."""

    title = "Expression resource limit exceeded"


class EvaluationError(ExpressionError):
    """The code failed at run time the ordinary way; the original exception is the
    ``__cause__``."""

    title = "Expression evaluation error"
