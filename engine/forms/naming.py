"""Which files in a ``forms/`` folder are forms, and which hints belong to which form.

``<name>.json|.yaml|.yml`` is the schema of form ``<name>``; ``<name>.ui.json|.ui.yaml|
.ui.yml`` beside it holds its UI hints. ``<name>.form`` is a form-js form (Camunda), converted
when it is read (see `formjs`); it is never a hints file. The name is what tasks and start events
reference, so it is the file name without extension, whatever the syntax. Extensions
are matched in lower case only, so the same folder reads the same on every file system.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import Problem

EXTENSIONS = (".json", ".yaml", ".yml", ".form")
UI_SUFFIX = ".ui"


def split_form_file(filename: str) -> tuple[str, bool] | None:
    """(form name, is a UI hints file) for a form file name (a path is fine), else None.

    ``purchase_request.yaml`` -> ("purchase_request", False);
    ``forms/purchase_request.ui.yml`` -> ("purchase_request", True);
    ``notes.txt``, ``.yaml``, ``.hidden.json`` -> None.
    """
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    for extension in EXTENSIONS:
        if base.endswith(extension):
            stem = base[: -len(extension)]
            break
    else:
        return None
    is_ui = extension != ".form" and stem.endswith(UI_SUFFIX)
    if is_ui:
        stem = stem[: -len(UI_SUFFIX)]
    if not stem or stem.startswith("."):
        return None
    return stem, is_ui


def is_form_file(filename: str) -> bool:
    """True for a form schema file or a UI hints file (see module doc)."""
    return split_form_file(filename) is not None


def pair_form_files(names: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """Map each form name to (schema file, UI hints file or None).

    Other files are ignored; hints without a schema are left out (see
    `orphan_ui_problems`). When a name has two schema (or two hints) files, the first in
    sorted order is used and `pairing_problems` reports the clash.
    """
    schemas: dict[str, str] = {}
    hints: dict[str, str] = {}
    for name in sorted(names):
        split = split_form_file(name)
        if split is not None:
            (hints if split[1] else schemas).setdefault(split[0], name)
    return {form: (schema, hints.get(form)) for form, schema in sorted(schemas.items())}


def orphan_ui_problems(names: Iterable[str]) -> list[Problem]:
    """A problem for every UI hints file whose form has no schema file: its hints would
    silently apply to nothing (typically the schema was renamed)."""
    names = list(names)
    with_schema = {split[0] for split in map(split_form_file, names) if split and not split[1]}
    problems = []
    for name in sorted(names):
        split = split_form_file(name)
        if split and split[1] and split[0] not in with_schema:
            problems.append(
                Problem(name, 1, f"UI hints for form `{split[0]}`, but there is no {split[0]}.json, .yaml or .yml")
            )
    return problems


def pairing_problems(names: Iterable[str]) -> list[Problem]:
    """Everything wrong with a folder's file names: orphan hints (`orphan_ui_problems`)
    and forms defined twice (``a.json`` and ``a.yaml``), which would make the form a
    reference resolves to depend on file order."""
    names = sorted(names)
    problems = orphan_ui_problems(names)
    seen: dict[tuple[str, bool], str] = {}
    for name in names:
        split = split_form_file(name)
        if split is None:
            continue
        if split in seen:
            kind = "UI hints" if split[1] else "form"
            problems.append(Problem(name, 1, f"{kind} `{split[0]}` is already defined by {seen[split]}"))
        else:
            seen[split] = name
    return problems
