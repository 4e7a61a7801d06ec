"""What the form converters (form-js, Camunda 7 form fields) produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .model import Form

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


class ConversionWarning(NamedTuple):
    """Something the source form says that Flowdesk accepts but does not enforce (or
    enforces differently); `path` locates it in the source (a JSON Pointer for form-js)."""

    path: str
    message: str


class ConversionError(ValueError):
    """The source is not a form the converter can read; `path` locates the problem."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '/'}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class ConvertedForm:
    """A Flowdesk form made from another tool's form.

    `schema` is a JSON Schema 2020-12 object schema, `ui` Flowdesk UI hints (see `ui`),
    `form_id` the id the source tool links forms by (form-js's ``id``, which Camunda's
    ``zeebe:formDefinition formId`` and ``camunda:formRef`` name; the element id for
    Camunda 7 form fields), `warnings` what is accepted but not enforced.
    """

    schema: dict
    ui: dict
    form_id: str | None
    warnings: list[ConversionWarning] = field(default_factory=list)

    def to_form(self, name: str, file: str | None = None) -> Form:
        """The converted form as a `Form` named `name` (its schema is not re-checked:
        `parse_form` does that for files)."""
        return Form(name=name, file=file or name, schema=self.schema, ui=self.ui)
