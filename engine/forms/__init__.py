"""Forms: what human tasks and start events ask people to fill in.

A form is a JSON Schema (draft 2020-12) in the ``forms/`` folder:

* ``forms/<name>.json``, ``.yaml`` or ``.yml`` is the schema of form ``<name>`` (the name
  tasks and start events reference);
* ``forms/<name>.ui.json``, ``.ui.yaml`` or ``.ui.yml`` beside it, optional, holds its UI
  hints (field order, widgets, help texts, translated titles; see `UI_HINTS_SCHEMA`).

`pair_form_files` pairs the files of a folder; `pairing_problems` (or just
`orphan_ui_problems`) reports hints without a schema and forms defined twice.

`parse_form` reads a form and rejects it with every problem located by file and line:
unparsable files, schemas that are not valid 2020-12, a top level that is not ``type:
object``, unknown keywords (extensions must start with ``x-``, e.g. ``x-title-i18n:
{en: ..., zh-CN: ...}`` beside `title`, ``x-description-i18n`` beside `description`),
unknown formats, dangling `$ref`s, and hints that do not fit or name fields the form
does not have.

`Form.validate` checks submitted data server-side, formats included (date, date-time,
time, email, uri, uuid, ipv4, ... and Flowdesk's ``decimal``), and returns every problem
as a `FieldError` whose path is a JSON Pointer into the data (``/lines/1/unit_price``;
a missing field at the field itself, ``/comment``) and whose message is plain language
("is required", "must be a valid date (YYYY-MM-DD)"). This package only validates and
reports: rejecting the submission, so that invalid data changes nothing, is the caller's
part (`Form.check` raises `InvalidData` for that).

Forms made in Camunda tools are converted: form-js documents (``.form`` files, see
`formjs_to_form`; `parse_form` reads them directly) and Camunda 7 generated forms
(``camunda:formField``, see `form_fields_from_xml` and `form_fields_to_form`). Read-only
and conditionally hidden fields (``readOnly``, ``x-readonly-if``, ``x-hide-if``) are not
taken from the submitter and not validated (see `conditions`).

Amounts: give them as JSON numbers (then `minimum`/`maximum` apply) or as text with
``format: decimal`` when exactness matters; either way the engine compares amounts as
`decimal.Decimal`, never as floats.
"""

from .camunda_fields import FormField, form_fields_from_xml, form_fields_to_form
from .converted import ConversionError, ConversionWarning, ConvertedForm
from .formats import FORMAT_CHECKER, known_formats
from .formjs import formjs_to_form, is_formjs_document
from .model import Form
from .naming import is_form_file, orphan_ui_problems, pair_form_files, pairing_problems
from .parsing import form_problems, parse_form
from .ui import UI_HINTS_SCHEMA, WIDGETS

__all__ = [
    "FORMAT_CHECKER",
    "UI_HINTS_SCHEMA",
    "WIDGETS",
    "ConversionError",
    "ConversionWarning",
    "ConvertedForm",
    "Form",
    "FormField",
    "form_fields_from_xml",
    "form_fields_to_form",
    "form_problems",
    "formjs_to_form",
    "is_form_file",
    "is_formjs_document",
    "known_formats",
    "orphan_ui_problems",
    "pair_form_files",
    "pairing_problems",
    "parse_form",
]
