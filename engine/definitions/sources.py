"""Definition files as they arrive: a name, bytes, a kind and a content hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import DefinitionInvalid, Problem

UI_SUFFIXES = (".ui.json", ".ui.yaml", ".ui.yml")
KINDS = {".bpmn": "bpmn", ".bpmn20.xml": "bpmn", ".dmn": "dmn", ".json": "form", ".yaml": "form", ".yml": "form",
         ".form": "form"}


@dataclass(frozen=True)
class SourceFile:
    name: str
    content: bytes

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @cached_property
    def kind(self) -> str | None:
        """bpmn, dmn, form, form_ui, or, for a YAML file with a top-level ``process:`` or
        ``decision:`` key, process_yaml or decision_yaml (see `yaml.detect`)."""
        lower = self.name.lower()
        if lower.endswith(UI_SUFFIXES):
            return "form_ui"
        for suffix, kind in KINDS.items():
            if lower.endswith(suffix):
                if lower.endswith((".yaml", ".yml")):
                    from .yaml.detect import yaml_kind  # here: the yaml package imports this module

                    return yaml_kind(self.content) or kind
                return kind
        return None

    @property
    def stem(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        for suffix in (*UI_SUFFIXES, *sorted(KINDS, key=len, reverse=True)):
            if base.lower().endswith(suffix):
                return base[: -len(suffix)]
        return base


def read_paths(paths: Iterable[Path | str]) -> list[SourceFile]:
    """Read definition files from files and folders (folders recursively, sorted).

    Names are kept short (the file name) because that is what models reference; two files
    with the same name in different folders are a problem, not a silent overwrite.
    """
    files: dict[str, SourceFile] = {}
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        elif path.is_file():
            candidates = [path]
        else:
            problems.append(Problem(str(path), None, "no such file or folder"))
            continue
        for file in candidates:
            source = SourceFile(file.name, file.read_bytes())
            if source.kind is None:
                if path.is_file():
                    problems.append(Problem(str(file), None, "not a definition file (.bpmn, .dmn, .json, .form, "
                                                             ".yaml)"))
                continue
            if source.name in files and files[source.name].content != source.content:
                problems.append(Problem(str(file), None, f"another file is also named '{source.name}'"))
                continue
            files[source.name] = source
    if problems:
        raise DefinitionInvalid(problems)
    return list(files.values())
