"""The published JSON Schema of the YAML format, and checking files against it.

``process.schema.json`` (beside this module, shipped in the wheel) is the one description
of the format: editors can use it for completion, and the validator uses it for every
"wrong type", "unknown key" and "missing key" problem, so the documentation and the
checks cannot drift apart. Checks the schema cannot express (references between steps,
reachability, expressions) live in `validate`.

jsonschema reports JSON paths and developer wording; each finding becomes a located
`Problem` in plain language ("step 'approve': `priority` must be at most 100") on the line
of the offending key. Three schema habits get their own wording: a ``oneOf`` of single
``required`` keys (the kind of a step or of a boundary event), an ``x-message`` that
replaces the generic text of a pattern or type error, and unknown keys, reported one by
one with the closest known key. Each step kind's schema lists every key that kind may
have (``additionalProperties: false``) instead of combining shared parts under
``unevaluatedProperties``, which costs jsonschema a re-validation per step.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator, ValidationError

from ...errors import Problem
from ...forms.messages import Finding, deduplicate, explain
from .lines import PathPart, YamlSource

SCHEMA_FILE = Path(__file__).with_name("process.schema.json")
DocumentKind = Literal["process", "decision"]
_ROOTS = {"process": "processFile", "decision": "decisionFile"}


@cache
def definition_schema() -> dict[str, Any]:
    """The JSON Schema of YAML definitions (processes and decision tables)."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@cache
def _validator(kind: DocumentKind) -> Any:
    return Draft202012Validator({"$ref": f"#/$defs/{_ROOTS[kind]}", "$defs": definition_schema()["$defs"]})


def schema_problems(source: YamlSource, kind: DocumentKind) -> list[Problem]:
    """Every place where `source` does not fit the schema, located and in plain words."""
    findings: list[Finding] = []
    mixed: set[tuple[PathPart, ...]] = set()  # steps with two kinds: that is the problem to fix
    for error in _validator(kind).iter_errors(source.data):
        explained = _explain(error)
        if _kind_keys(error) is not None and "more than one kind" in explained[0].message:
            mixed.add(tuple(error.absolute_path))
        findings.extend(explained)
    kept = [f for f in findings if not any(f.path[: len(m)] == m and len(f.path) > len(m) for m in mixed)]
    return [
        Problem(source.file, source.line(finding.path), _sentence(source.data, finding))
        for finding in deduplicate(kept)
    ]


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
    if error.validator == "additionalProperties" and error.validator_value is False \
            and isinstance(error.instance, dict) and isinstance(error.schema, dict):
        known = sorted(error.schema.get("properties", {}))
        return [Finding((*path, key), f"is an unknown key here{_did_you_mean(str(key), known)}")
                for key in error.instance if key not in known]
    return explain(error)


def _did_you_mean(key: str, known: Sequence[str]) -> str:
    close = get_close_matches(key, known, n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


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
