"""A YAML definition file as JSON data plus a line for every place in it.

Designers get "expense_claim.yaml:14: ...", never a JSON path. The file is read the way
forms are (`flowdesk.engine.forms.loading`): YAML 1.2 core-schema scalars, so ``on``,
``no`` and ``2026-12-01`` stay text, duplicate keys and non-JSON values are problems with
their line, and a position tree is built from the composed node graph before
construction. This module adds what a process file needs on top of that: the line a
script's code starts on, so that an error on line 3 of a script points at the right line
of the YAML file whether the code is written inline or as a ``|`` block.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import Problem
from ...forms.loading import Document, load_document

PathPart = str | int
_BLOCK_SCALAR = re.compile(r"(^|[:\-])\s*[|>][-+0-9]*\s*(#.*)?$")


@dataclass(frozen=True)
class YamlSource:
    """One YAML file: its data, its problems as a file, and where things are in it."""

    file: str
    text: str
    document: Document

    @property
    def data(self) -> Any:
        return self.document.data

    @property
    def loaded(self) -> bool:
        return self.document.loaded

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.document.problems

    def line(self, path: Sequence[PathPart]) -> int:
        """The line of the key (or list item) at `path`, or of its nearest ancestor."""
        return self.document.line(tuple(path))

    def value_line(self, path: Sequence[PathPart]) -> int:
        """The line a scalar value's text starts on: the line after ``key: |`` for block
        scalars, the key's own line otherwise."""
        node = self.document.positions
        for part in path:
            if node is None:
                return self.line(path)
            if isinstance(part, int) and 0 <= part < len(node.items):
                node = node.items[part]
            elif str(part) in node.keys:
                node = node.keys[str(part)][1]
            else:
                return self.line(path)
        if node is None:
            return self.line(path)
        lines = self.text.splitlines()
        if 0 < node.line <= len(lines) and _BLOCK_SCALAR.search(lines[node.line - 1]):
            return node.line + 1
        return node.line

    def problem(self, path: Sequence[PathPart], message: str) -> Problem:
        return Problem(self.file, self.line(path), message)


def load_yaml(file: str, content: bytes | str) -> YamlSource:
    """Read a YAML definition file; never raises for bad input (see `YamlSource.problems`)."""
    text = content.decode("utf-8-sig", errors="replace") if isinstance(content, bytes) else content
    return YamlSource(file, text, load_document(file, content, "yaml"))
