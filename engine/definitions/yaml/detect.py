"""Telling YAML process and decision files from YAML forms, by their top-level key.

Forms, processes and decision tables may all be ``.yaml`` files in one folder or upload.
A process file has a top-level ``process:`` key, a decision file a top-level ``decision:``
key (a form never has either: neither is a JSON Schema keyword). The check reads lines,
not YAML, so a file with a syntax error is still recognised and its errors are reported
in the terms of what it is meant to be. The top level is the indentation of the first
key; flow-style files (``{process: ...}``) are not recognised.
"""

from __future__ import annotations

import re

_KEY = re.compile(rb"^(?P<indent>[ ]*)(['\"]?)(?P<key>[^'\":#\s][^'\":]*)\2[ \t]*:(?:[ \t]|$)")
KINDS = {b"process": "process_yaml", b"decision": "decision_yaml"}


def yaml_kind(content: bytes) -> str | None:
    """``process_yaml``, ``decision_yaml``, or None for anything else (a form)."""
    indent: bytes | None = None
    found: set[bytes] = set()
    for line in content.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith((b"#", b"%", b"---", b"...")):
            continue
        match = _KEY.match(line.rstrip(b"\r"))
        if indent is None:
            if match is None:
                return None  # the document is not a block mapping
            indent = match.group("indent")
        if match is not None and match.group("indent") == indent:
            found.add(match.group("key"))
    for key in (b"process", b"decision"):
        if key in found:
            return KINDS[key]
    return None
