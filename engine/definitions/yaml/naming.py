"""Names people read and ids XML needs.

A step needs only an id; its display name comes from the id ("manager_approval" reads
"Manager approval"). Elements the designer never names (sequence flows, boundary events,
diagram shapes) get ids derived from what they connect, made unique against every id
already in use, so that the same YAML always compiles to the same BPMN, byte for byte,
and a new version is only created when the content really changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[_\-.]+")


def humanize(identifier: str) -> str:
    """``manager_approval`` -> ``Manager approval``."""
    words = _SEPARATORS.sub(" ", identifier).strip()
    return words[:1].upper() + words[1:] if words else identifier


class IdAllocator:
    """Hands out ids that are unique within one document, deterministically."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._taken = set(taken)

    def allocate(self, base: str) -> str:
        """`base` itself when free, else ``base_2``, ``base_3``, ..."""
        candidate, counter = base, 1
        while candidate in self._taken:
            counter += 1
            candidate = f"{base}_{counter}"
        self._taken.add(candidate)
        return candidate
