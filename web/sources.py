"""The source files of a definition version (YAML, BPMN, DMN, forms) for the designer's page.

The engine offers a version's sources only per instance (``instance_definition``); a
designer looks at a version before anything ran on it. Definitions are readable by every
authenticated user (``ProcessEngine.list_definitions``, ``definition``), so this reads the
version's manifest through the engine's own repository service, in one engine
transaction, without any query of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowdesk.engine.process_engine import ProcessEngine

KINDS = ("yaml", "bpmn", "dmn", "decision_yaml")


@dataclass(frozen=True)
class SourceFile:
    kind: str  # yaml, bpmn, dmn, decision_yaml, form, form_ui
    name: str
    content: str


def definition_sources(engine: ProcessEngine, key: str, version: int | None) -> list[SourceFile]:
    with engine.transaction() as session:
        definition = engine.repository.get(session, key, version)
        manifest = definition.manifest
        listed: list[tuple[str, str, str]] = []
        for kind in KINDS:
            listed.extend((kind, name, sha) for name, sha in sorted((manifest.get(kind) or {}).items()))
        for name, (schema_sha, ui_sha) in sorted((manifest.get("forms") or {}).items()):
            listed.append(("form", name, schema_sha))
            if ui_sha:
                listed.append(("form_ui", name, ui_sha))
        return [SourceFile(kind, name, engine.repository.resource(session, sha).decode("utf-8", errors="replace"))
                for kind, name, sha in listed]
