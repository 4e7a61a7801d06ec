"""Definitions as the API shows them."""

from __future__ import annotations

from typing import Any, TypedDict

from ..timeutil import iso


class DefinitionSummary(TypedDict):
    key: str
    name: str | None
    version: int
    deployed_at: str | None
    name_i18n: dict[str, str]
    documentation: str | None
    documentation_i18n: dict[str, str]
    # Whether people start it by hand (see ``started_by_people``); absent on a bare row.
    started_by_people: bool


class DefinitionTexts(TypedDict):
    """What pages need to name a process and its tasks in the reader's language."""

    key: str
    version: int
    name: str | None
    name_i18n: dict[str, str]
    user_tasks: list[dict[str, Any]]


class DefinitionDetail(DefinitionSummary):
    versions: list[int]
    deployment_id: str
    start_form: dict[str, Any] | None
    start_lane: str | None
    lanes: list[str]
    user_tasks: list[dict[str, Any]]


def started_by_people(info: dict[str, Any], called: set[str], key: str) -> bool:
    """Whether a process is one people start: executable, with a start event without a
    trigger, and not a helper only other processes call (a called process without a start
    form, which started by hand would wait for a message meant for its caller's instance)."""
    if not info.get("executable", True) or not info.get("plain_start", True):
        return False
    return bool(info.get("start_form")) or key not in called


class SourceView(TypedDict):
    kind: str
    name: str
    sha256: str
    content: str


def definition_summary(definition: Any) -> DefinitionSummary:
    """A definition row (or a row of its summary columns) as the API lists it."""
    info = definition.info or {}
    return {"key": definition.key, "name": definition.name, "version": definition.version,
            "deployed_at": iso(definition.deployed_at), "name_i18n": info.get("name_i18n", {}),
            "documentation": info.get("documentation"), "documentation_i18n": info.get("documentation_i18n", {})}
