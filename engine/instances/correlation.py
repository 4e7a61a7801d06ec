"""Which waiting instance a message belongs to.

Correlation values are compared as flat ``property -> value`` maps: SpiffWorkflow keeps
them per correlation key (``{key: {property: value}}``), the HTTP API accepts them flat
(``{"order_id": "SO-7"}``). A subscription that expects correlation values matches only
a message that carries them with equal values; one that expects none takes any message
of its name. A message without correlation values never matches a subscription that
expects some (spiff-arena once delivered such blank messages to the wrong receiver).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def flatten(correlation: Mapping[str, Any] | None) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in (correlation or {}).items():
        if isinstance(value, Mapping):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def matches(expected: Mapping[str, Any] | None, offered: Mapping[str, Any] | None) -> bool:
    want, have = flatten(expected), flatten(offered)
    if not want:
        return True
    shared = set(want) & set(have)
    return bool(shared) and all(want[k] == have[k] for k in shared)


def shaped_like(expected: Mapping[str, Any] | None, offered: Mapping[str, Any] | None) -> dict[str, Any]:
    """``offered`` in the receiver's ``{key: {property: value}}`` shape (SpiffWorkflow
    compares correlations per key), keeping keys the receiver does not know as they are."""
    offered = dict(offered or {})
    if not expected or any(isinstance(v, Mapping) for v in offered.values()):
        return offered
    flat = flatten(offered)
    shaped: dict[str, Any] = {}
    for key, props in expected.items():
        if isinstance(props, Mapping):
            values = {prop: flat[prop] for prop in props if prop in flat}
            if values:
                shaped[key] = values
    return shaped or offered
