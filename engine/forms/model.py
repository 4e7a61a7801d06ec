"""A form: a JSON Schema for submitted data, plus optional UI hints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import FieldError, InvalidData
from .defaults import complete
from .messages import pointer
from .rules import rule_errors
from .validation import compile_validator, findings


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "_validator", compile_validator(self.schema))

    def validate(self, data: Any) -> list[FieldError]:
        """Every problem with `data`, sorted by path then message; [] when it is valid.

        Paths are JSON Pointers into `data` (``/lines/1/unit_price``); a missing field is
        reported at the field (``/comment``), data that is not an object at "". The
        cross-field rules of ``x-rules`` (see `rules`) report at the field they name.
        """
        if not isinstance(data, dict) and self.schema.get("type") in ("object", ["object"]):
            return [FieldError("", "must be an object")]
        found = findings(self._validator, data)
        errors = {FieldError(pointer(f.path), f.message) for f in found}
        errors.update(rule_errors(self.schema, data, {tuple(f.path) for f in found}))
        return sorted(errors, key=lambda error: (error.path, error.message))

    def complete(self, data: Any) -> Any:
        """A copy of valid `data` with every optional field it left out added, at its
        schema `default` or null (see `defaults`), so a process can always read it."""
        return complete(self.schema, data)

    def check(self, data: Any) -> Any:
        """Raise `InvalidData` listing every problem unless `data` is valid; otherwise
        return a copy completed with the optional fields it left out (see `complete`):
        what the process is to receive. `data` itself is not changed."""
        errors = self.validate(data)
        if errors:
            raise InvalidData(errors)
        return self.complete(data)
