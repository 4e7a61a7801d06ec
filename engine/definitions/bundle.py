"""What a deployment's files become: a bundle of compiled processes (see :mod:`.pipeline`).

Each process carries a content hash over everything it uses (its BPMN file, its YAML
source, its forms, the decision tables and, recursively, the called processes as resolved
now); the repository compares it with the latest version to decide whether a new version
is due. What is already deployed is seen through :class:`DeployedLookup`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Protocol

from .. import forms as forms_module
from ..errors import Problem
from .model import ProcessInfo
from .sources import SourceFile


@dataclass(frozen=True)
class DeployedProcess:
    info: ProcessInfo
    content_hash: str
    bpmn: SourceFile


class DeployedLookup(Protocol):
    """What is already deployed, for references an upload does not carry itself."""

    def form_files(self, name: str) -> tuple[SourceFile, SourceFile | None] | None: ...

    def decision_file(self, decision_id: str) -> SourceFile | None: ...

    def process(self, key: str) -> DeployedProcess | None: ...


class NothingDeployed:
    def form_files(self, name: str) -> None:
        return None

    def decision_file(self, decision_id: str) -> None:
        return None

    def process(self, key: str) -> None:
        return None


@dataclass
class CompiledProcess:
    info: ProcessInfo
    spec: dict
    subprocess_specs: dict
    # role -> name -> sha256 of every file this version uses, plus called processes'
    # content hashes; the content hash is taken over this.
    manifest: dict
    content_hash: str
    decisions: dict[str, dict] = field(default_factory=dict)


@dataclass
class Bundle:
    # The uploaded files, then the BPMN/DMN files compiled from YAML ones.
    files: list[SourceFile]
    processes: list[CompiledProcess]
    forms: dict[str, forms_module.Form]
    # What is accepted but inert or approximated (a form named but not supplied, a task
    # without implementation, a process that is not executable...), with file and line.
    warnings: list[Problem] = field(default_factory=list)


def canonical_hash(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
