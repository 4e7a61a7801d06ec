"""The published JSON Schema of the YAML format, and checking files against it.

``process.schema.json`` (beside this module, shipped in the wheel) is the one description
of the format: editors can use it for completion, and the validator uses it for every
"wrong type", "unknown key" and "missing key" problem, so the documentation and the
checks cannot drift apart. Checks the schema cannot express (references between steps,
reachability, expressions) live in `validate`.

jsonschema reports JSON paths and developer wording; each finding becomes a located
`Problem` in plain language ("step 'approve': `priority` must be at most 100") on the line
of the offending key. Two schema habits get their own wording: a ``oneOf`` of single
``required`` keys (the kind of a step or of a boundary event) and an ``x-message`` that
replaces the generic text of a pattern or type error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jsonschema import ValidationError

from ...errors import Problem
from ...forms.messages import Finding, deduplicate, explain
from ...forms.validation import compile_validator
from .lines import PathPart, YamlSource

SCHEMA_FILE = Path(__file__).with_name("process.schema.json")
DocumentKind = Literal["process", "decision"]
_ROOTS = {"process": "processFile", "decision": "decisionFile"}
_UNEVALUATED = {"unevaluatedProperties", "unevaluatedItems"}


@cache
def definition_schema() -> dict[str, Any]:
    """The JSON Schema of YAML definitions (processes and decision tables)."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@cache
def _validator(kind: DocumentKind) -> Any:
    return compile_validator({"$ref": f"#/$defs/{_ROOTS[kind]}", "$defs": definition_schema()["$defs"]})


def schema_problems(source: YamlSource, kind: DocumentKind) -> list[Problem]:
    """Every place where `source` does not fit the schema, located and in plain words."""
    primary: list[Finding] = []
    unevaluated: list[Finding] = []
    for error in _validator(kind).iter_errors(source.data):
        target = unevaluated if _UNEVALUATED & set(error.absolute_schema_path) else primary
        target.extend(_explain(error))
    # When a step's kind-specific part fails (say `priority: 150`), jsonschema counts all
    # of the step's keys as unevaluated; only keys the entry cannot have are reported.
    kept = [_suggest(kind, source.data, f) for f in unevaluated if not _declared_key(kind, source.data, f.path)]
    return [
        Problem(source.file, source.line(finding.path), _sentence(source.data, finding))
        for finding in deduplicate([*primary, *kept])
    ]


def _owner_keys(kind: DocumentKind, data: Any, path: Sequence[PathPart]) -> set[str] | None:
    """The keys the entry holding the key at `path` may have, where the format closes it
    with ``unevaluatedProperties`` (steps, decision tables); None elsewhere."""
    owner_path = path[:-1]
    if kind == "decision" and not owner_path:
        schema_name = "decisionFile"
    elif len(owner_path) == 2 and owner_path[0] == "steps":
        schema_name = "step"
    elif len(owner_path) == 2 and owner_path[0] == "decisions":
        schema_name = "decisionTable"
    else:
        return None
    owner = _get(data, owner_path)
    return _declared(definition_schema()["$defs"][schema_name], owner) if isinstance(owner, dict) else None


def _declared_key(kind: DocumentKind, data: Any, path: Sequence[PathPart]) -> bool:
    keys = _owner_keys(kind, data, path) if path else None
    return keys is not None and path[-1] in keys


def _suggest(kind: DocumentKind, data: Any, finding: Finding) -> Finding:
    keys = _owner_keys(kind, data, finding.path) or set()
    close = get_close_matches(str(finding.path[-1]), sorted(keys), n=1) if finding.path else []
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    return Finding(finding.path, f"is an unknown key here{hint}")


def _declared(schema: Any, instance: dict) -> set[str]:
    """Property names `schema` declares for `instance`, following $ref, allOf and the
    if/then/else branch that applies."""
    if not isinstance(schema, dict):
        return set()
    names = set(schema.get("properties", {}))
    if "$ref" in schema:
        names |= _declared(definition_schema()["$defs"][schema["$ref"].rsplit("/", 1)[-1]], instance)
    for part in schema.get("allOf", []):
        names |= _declared(part, instance)
    if "if" in schema:
        branch = "then" if _plain_validator().evolve(schema=schema["if"]).is_valid(instance) else "else"
        names |= _declared(schema.get(branch), instance)
    return names


@cache
def _plain_validator() -> Any:
    return compile_validator({"$defs": definition_schema()["$defs"]})


def _explain(error: ValidationError) -> list[Finding]:
    path: tuple[PathPart, ...] = tuple(error.absolute_path)
    kinds = _kind_keys(error)
    if kinds is not None:
        present = [k for k in kinds if isinstance(error.instance, dict) and k in error.instance]
        if not present:
            return [Finding(path, f"needs one of the keys {_or(kinds)} (which says what it is)")]
        return [Finding(path, f"has more than one kind: {' and '.join(present)}; give each its own entry")]
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if custom and error.validator in ("pattern", "type", "minimum", "maximum"):
        return [Finding(path, custom)]
    return [_reword(f) for f in explain(error)]


def _kind_keys(error: ValidationError) -> list[str] | None:
    """The alternatives of a "one of these keys" rule, or None for any other error."""
    if error.validator != "oneOf" or not isinstance(error.validator_value, list):
        return None
    keys = []
    for branch in error.validator_value:
        if not (isinstance(branch, dict) and set(branch) == {"required"} and len(branch["required"]) == 1):
            return None
        keys.append(branch["required"][0])
    return keys


def _reword(finding: Finding) -> Finding:
    if finding.message == "is not allowed here":
        return Finding(finding.path, "is an unknown key here")
    return finding


def _sentence(data: Any, finding: Finding) -> str:
    """"step 'approve': `priority` must be ..." from a path and a message."""
    where, rest = _context(data, finding.path)
    subject = f"`{_dotted(rest)}` " if rest else ""
    return f"{where}: {subject}{finding.message}" if where else f"{subject}{finding.message}".strip()


def _context(data: Any, path: Sequence[PathPart]) -> tuple[str, Sequence[PathPart]]:
    """A reader's name for where `path` points, and the part of the path below it."""
    if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int):
        step = _get(data, path[:2])
        label = f"step {path[1] + 1}"
        if isinstance(step, dict):
            named = next((v for k, v in step.items() if k in step_kinds() and isinstance(v, str)), None)
            if named:
                label = f"step '{named}'"
        rest = path[2:]
        if len(rest) >= 2 and rest[0] in ("boundary", "branches") and isinstance(rest[1], int):
            noun = "boundary event" if rest[0] == "boundary" else "branch"
            return f"{label}, {noun} {rest[1] + 1}", rest[2:]
        return label, rest
    if len(path) >= 2 and path[0] == "decisions":
        label = f"decision '{path[1]}'"
        rest = path[2:]
        if len(rest) >= 2 and rest[0] == "rules" and isinstance(rest[1], int):
            return f"{label}, rule {rest[1] + 1}", rest[2:]
        return label, rest
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        return f"rule {path[1] + 1}", path[2:]
    return "", path


def _get(data: Any, path: Sequence[PathPart]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _dotted(path: Sequence[PathPart]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _or(words: Sequence[str]) -> str:
    return ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]


@cache
def step_kinds() -> tuple[str, ...]:
    """The step kinds (``user``, ``script``, ...), in the order the schema lists them."""
    return tuple(branch["required"][0] for branch in definition_schema()["$defs"]["step"]["oneOf"])
