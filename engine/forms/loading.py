"""Reading a definition file into plain JSON data, with positions and problems.

Forms are JSON Schemas, so whatever the syntax, the result must be JSON data: mappings
with text keys, lists, text, finite numbers, booleans and null. Plain YAML 1.1 (PyYAML's
default) silently turns ``yes``/``no``/``on``/``off`` into booleans, ``2026-01-31`` into a
date, ``012`` into 10 and ``12:30`` into 750, which would make ``enum: [yes, no]`` or
``default: 2026-01-31`` mean something the designer never wrote. YAML files are
therefore read with YAML 1.2 core-schema scalars (the JSON-compatible ones); anything
still not JSON (a non-text key, ``.nan``, an explicit ``!!timestamp``, a self-referencing
alias) is reported as a problem with its line instead of being coerced.

YAML is parsed by `flowdesk.engine.safe_yaml`, which bounds the size of the text, the
nesting and how far anchors and aliases expand the document, before anything is built
from it (a few hundred bytes of nested aliases would otherwise take minutes).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from .. import safe_yaml
from ..errors import Problem
from .keywords import Path, PathPart
from .locate import DuplicateKey, Position, json_positions, line_of, yaml_positions

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class JsonCompatibleLoader(safe_yaml.SafeLoader):  # type: ignore[misc,valid-type]
    """SafeLoader resolving plain scalars like YAML 1.2's core schema (see module doc)."""


JsonCompatibleLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in {_BOOL, _INT, _FLOAT, _TIMESTAMP}]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
JsonCompatibleLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
JsonCompatibleLoader.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
JsonCompatibleLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
# PyYAML's int constructor reads a leading 0 as octal and colons as base 60.
JsonCompatibleLoader.add_constructor(
    _INT,
    lambda loader, node: int(loader.construct_scalar(node)),  # type: ignore[arg-type]
)


@dataclass(frozen=True)
class Document:
    """One file read as JSON data; `loaded` is False when there is no usable data."""

    file: str
    data: Any = None
    positions: Position | None = None
    problems: tuple[Problem, ...] = ()
    loaded: bool = False

    def line(self, path: Path) -> int:
        """The line of the value at `path` (see `locate.line_of`)."""
        return line_of(self.positions, path)

    def problem(self, path: Path, message: str) -> Problem:
        return Problem(self.file, self.line(path), message)


def syntax_of(file: str) -> str | None:
    """The syntax a file name announces: "json", "yaml", or None for anything else."""
    if file.endswith(".json"):
        return "json"
    if file.endswith((".yaml", ".yml")):
        return "yaml"
    return None


def load_document(file: str, content: bytes | str, syntax: str | None = None) -> Document:
    """Parse `content` as JSON or YAML (from the file name unless `syntax` is given).

    Never raises for bad input: every problem comes back in `Document.problems`.
    """
    syntax = syntax or syntax_of(file)
    if syntax is None:
        return Document(file, problems=(Problem(file, 1, "unsupported file type: use .json, .yaml or .yml"),))
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = content[: error.start].count(b"\n") + 1
            return Document(file, problems=(Problem(file, line, "the file is not UTF-8 text"),))
    else:
        text = content.removeprefix("\ufeff")
    try:
        if syntax == "json":
            data, positions, duplicates, problems = _parse_json(file, text)
        else:
            data, positions, duplicates, problems = _parse_yaml(file, text)
    except RecursionError:
        return Document(file, problems=(Problem(file, 1, "the file is nested too deeply"),))
    if problems:
        return Document(file, problems=tuple(problems))
    found = [
        Problem(file, d.line, f"duplicate key `{d.key}` (also at line {d.first_line}); only the last one counts")
        for d in duplicates
    ]
    acyclic = _check_json_data(data, positions, file, found)
    return Document(file, data, positions, tuple(found), loaded=acyclic)


def _parse_json(file: str, text: str) -> tuple[Any, Position | None, list[DuplicateKey], list[Problem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        return None, None, [], [Problem(file, error.lineno, message)]
    positions, duplicates = json_positions(text)
    return data, positions, duplicates, []


def _parse_yaml(file: str, text: str) -> tuple[Any, Position | None, list[DuplicateKey], list[Problem]]:
    try:
        safe_yaml.check_text(text)
    except safe_yaml.YamlLimitError as error:
        return None, None, [], [Problem(file, 1, f"the YAML file is too large: {error.problem}")]
    loader = JsonCompatibleLoader(text)
    try:
        node = safe_yaml.compose(loader)
        if node is None:
            return None, None, [], [Problem(file, 1, "the file is empty")]
        positions, duplicates = yaml_positions(node)
        data = loader.construct_document(node)
    except safe_yaml.YamlLimitError as error:
        return None, None, [], [Problem(file, error.line, f"the YAML cannot be loaded: {error.problem}")]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        what = ": ".join(part for part in (error.context, error.problem) if part) or "syntax error"
        return None, None, [], [Problem(file, mark.line + 1 if mark else 1, f"invalid YAML: {what}{where}")]
    except yaml.YAMLError as error:
        return None, None, [], [Problem(file, 1, f"invalid YAML: {error}")]
    finally:
        loader.dispose()
    return data, positions, duplicates, []


def _check_json_data(data: Any, positions: Position | None, file: str, problems: list[Problem]) -> bool:
    """Append a problem for every value that is not JSON; False if the data has a cycle
    (which would send any validator into endless recursion)."""
    active: set[int] = set()
    acyclic = True

    def report(path: tuple[PathPart, ...], message: str) -> None:
        problems.append(Problem(file, line_of(positions, path), message))

    def walk(value: Any, path: tuple[PathPart, ...]) -> None:
        nonlocal acyclic
        if isinstance(value, dict | list):
            if id(value) in active:
                acyclic = False
                report(path, "an alias refers to the mapping or list that contains it")
                return
            active.add(id(value))
            if isinstance(value, dict):
                for key, item in value.items():
                    if not isinstance(key, str):
                        report((*path, str(key)), f"the key {key!r} is not text; quote it")
                    walk(item, (*path, key))
            else:
                for index, item in enumerate(value):
                    walk(item, (*path, index))
            active.discard(id(value))
        elif isinstance(value, float) and not math.isfinite(value):
            report(path, f"{value} is not a JSON number")
        elif not (value is None or isinstance(value, str | bool | int | float)):
            report(path, f"a value of type {type(value).__name__} is not JSON; quote it if it is text")

    walk(data, ())
    return acyclic
