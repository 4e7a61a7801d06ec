"""A form: a JSON Schema for submitted data, plus optional UI hints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import FieldError, InvalidData
from . import conditions
from .defaults import complete
from .messages import pointer
from .rules import Today, rule_errors
from .validation import MAX_COUNTED, MAX_ERRORS, capped_findings, compile_validator, data_problems


@dataclass(frozen=True)
class Form:
    """A loaded form. Build it with `parse_form`, which checks the schema first; a Form
    made directly from an unchecked schema may fail at validation time.

    The validator is compiled once, here, because a form is validated on every task
    completion while its schema never changes.
    """

    name: str
    file: str
    schema: dict
    ui: dict = field(default_factory=dict)
    _validator: Any = field(init=False, compare=False, repr=False)
    _plan: Any = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_validator", compile_validator(self.schema))
        object.__setattr__(self, "_plan", conditions.compile_plan(self.schema))

    def validate(self, data: Any, context: dict | None = None, today: Today = None) -> list[FieldError]:
        """Every problem with `data`, sorted by path then message; [] when it is valid.

        Paths are JSON Pointers into `data` (``/lines/1/unit_price``); a missing field is
        reported at the field (``/comment``), data that is not an object at "". The
        cross-field rules of ``x-rules`` (see `rules`) report at the field they name.
        Read-only and hidden fields (see `conditions`) are not validated; `context`, the
        process data, is what their conditions may read besides `data`. `today` is the
        acting user's local date (ISO) that rules may compare with.

        Validation is bounded (see `validation`): data too large or too deep is one
        problem at "", numbers with too many digits are problems at their place (and the
        schema is not checked then), and after `MAX_ERRORS` problems a last entry at ""
        says how many more there are.
        """
        return self._outcome(data, context, today)[0]

    def _outcome(self, data: Any, context: dict | None,
                 today: Today = None) -> tuple[list[FieldError], conditions.Outcome | None]:
        if not isinstance(data, dict) and self.schema.get("type") in ("object", ["object"]):
            return [FieldError("", "must be an object")], None
        unfit = data_problems(data)
        if unfit:
            return sorted({FieldError(pointer(f.path), f.message) for f in unfit},
                          key=lambda error: (error.path, error.message))[:MAX_ERRORS], None
        outcome = conditions.apply(self._plan, data, context) if self._plan is not None else None
        if outcome is not None:
            data = outcome.data
        found, more = capped_findings(self._validator, data)
        errors = {FieldError(pointer(f.path), f.message, dict(f.translations)) for f in found}
        errors.update(rule_errors(self.schema, data, {tuple(f.path) for f in found}, today))
        if outcome is not None:
            errors = {error for error in errors if outcome.counts(error)} | set(outcome.errors)
        ordered = sorted(errors, key=lambda error: (error.path, error.message))
        more += max(0, len(ordered) - MAX_ERRORS)
        if more:
            ordered = [*ordered[:MAX_ERRORS], FieldError("", f"and {_count(more)} more problems")]
        return ordered, outcome

    def complete(self, data: Any) -> Any:
        """A copy of valid `data` with every optional field it left out added, at its
        schema `default` or null (see `defaults`), so a process can always read it."""
        return complete(self.schema, data)

    def check(self, data: Any, context: dict | None = None, today: Today = None) -> Any:
        """Raise `InvalidData` listing every problem unless `data` is valid; otherwise
        return a copy completed with the optional fields it left out (see `complete`):
        what the process is to receive. `data` itself is not changed. Read-only fields are
        left out of it and hidden ones are null (see `conditions`)."""
        errors, outcome = self._outcome(data, context, today)
        if errors:
            raise InvalidData(errors)
        if outcome is None:
            return self.complete(data)
        return conditions.finish(outcome, self.complete(outcome.data))


def _count(more: int) -> str:
    return f"more than {MAX_COUNTED:,}" if more >= MAX_COUNTED else f"{more:,}"
