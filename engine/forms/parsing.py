"""Reading a form (and its UI hints) from file contents, all problems at once.

Designers fix definitions in batches, so nothing stops at the first problem: the schema
file and the hints file are both read and checked, and every problem comes back with its
file and line. Only a file that cannot be read at all skips the checks that need its
content.

A form-js form (Camunda's ``.form`` files, or a ``.json`` file holding one: an object with
``components`` and ``type: default``) is converted on reading (see `formjs`) and gives the
same `Form` as a schema file would, its UI hints included unless a hints file is given.
"""

from __future__ import annotations

from ..errors import DefinitionInvalid, Problem
from .converted import ConversionError
from .formjs import convert_document, is_formjs_document
from .loading import Document, load_document
from .model import Form
from .naming import split_form_file
from .schema_checks import schema_problems
from .ui import ui_problems


def form_problems(
    file: str,
    content: bytes | str,
    ui_file: str | None = None,
    ui_content: bytes | str | None = None,
) -> list[Problem]:
    """Every problem with a form file and its optional hints, sorted by file and line."""
    return _read(file, content, ui_file, ui_content)[1]


def parse_form(
    file: str,
    content: bytes | str,
    ui_file: str | None = None,
    ui_content: bytes | str | None = None,
) -> Form:
    """The form in `file` (named after its file stem) with the hints in `ui_file`.

    Hints are read only when `ui_content` is given; without `ui_file` they are read as
    YAML (which also accepts JSON). Raises `DefinitionInvalid` listing every problem.
    """
    form, problems = _read(file, content, ui_file, ui_content)
    if form is None:
        raise DefinitionInvalid(problems)
    return form


def form_name(file: str) -> str:
    """``forms/purchase_request.yaml`` -> ``purchase_request``."""
    split = split_form_file(file)
    if split is not None:
        return split[0]
    base = file.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


def _read(
    file: str, content: bytes | str, ui_file: str | None, ui_content: bytes | str | None
) -> tuple[Form | None, list[Problem]]:
    name = form_name(file)
    problems: list[Problem] = []
    split = split_form_file(file)
    if split is not None and split[1]:
        problems.append(Problem(file, 1, "this is a UI hints file (*.ui.*), not a form schema"))

    document = load_document(file, content, "json" if file.endswith(".form") else None)
    problems.extend(document.problems)
    schema = document.data if document.loaded else None
    converted_ui: dict | None = None
    if document.loaded and (file.endswith(".form") or (file.endswith(".json") and is_formjs_document(schema))):
        schema, converted_ui, found = _converted(document)
        problems.extend(found)
        if schema is not None:  # a converter bug, if anything: no line to point at
            problems.extend(schema_problems(Document(file, schema, loaded=True)))
    elif document.loaded:
        problems.extend(schema_problems(document))

    ui: dict = {}
    if converted_ui is not None and ui_content is None:
        problems.extend(ui_problems(Document(file, converted_ui, loaded=True), schema))
        ui = converted_ui
    if ui_content is not None:
        hints = load_document(ui_file or f"{name}.ui", ui_content, None if ui_file else "yaml")
        problems.extend(hints.problems)
        if hints.loaded:
            problems.extend(ui_problems(hints, schema))
            ui = hints.data if isinstance(hints.data, dict) else {}

    problems = sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.message))
    if problems or not isinstance(schema, dict):
        return None, problems
    return Form(name=name, file=file, schema=schema, ui=ui), problems


def _converted(document: Document) -> tuple[dict | None, dict | None, list[Problem]]:
    """A form-js document (a ``.form`` file, or JSON that is one) as schema and hints."""
    try:
        converted = convert_document(document.data)
    except ConversionError as error:
        path = tuple(int(p) if p.isdigit() else p for p in error.path.split("/")[1:])
        return None, None, [document.problem(path, f"not a form-js form: {error.message} (at {error.path or '/'})")]
    return converted.schema, converted.ui, []
