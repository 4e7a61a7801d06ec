"""Deployments and definition versions, as rows: written once, read by every step.

A deployment validates a set of files as a whole (see :mod:`..definitions.pipeline`) and
then, per process, compares the content hash with the latest version of that key:
identical content creates no version; anything else creates version N+1, even when it
equals some older version, so "latest" is always what was deployed last. A version's
runtime (its restored spec) and its forms are built once per process and kept.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import forms as forms_module
from ..clock import Clock
from ..connectors import ConnectorRegistry
from ..connectors.checks import connector_problems
from ..definitions.bundle import DeployedProcess
from ..definitions.calls import called_definitions
from ..definitions.model import ProcessInfo
from ..definitions.pipeline import build_bundle
from ..definitions.sources import SourceFile
from ..errors import DefinitionInvalid, NotFound
from ..history.audit import AuditLog, EventRecord
from ..persistence.models import Definition, Deployment, DeploymentFile, Resource
from ..persistence.upsert import insert_ignore
from ..runtime import ProcessRuntime


@dataclass(frozen=True)
class DeployedVersion:
    key: str
    version: int
    created: bool


@dataclass(frozen=True)
class DeploymentResult:
    id: str
    deployed_at: datetime
    definitions: list[DeployedVersion]
    # Problems that do not stop the deployment (definitions.pipeline): file, line, message.
    warnings: list = field(default_factory=list)


class ValidatedProcesses(list):
    """The processes `validate` found, with the deployment's warnings."""

    warnings: list = []


class _SessionLookup:
    """Resolves references to already deployed files through the caller's session."""

    def __init__(self, repo: DefinitionStore, session: Session) -> None:
        self.repo, self.session = repo, session

    def _latest_file(self, kind: str, stem: str) -> SourceFile | None:
        row = self.session.execute(
            select(DeploymentFile.name, Resource.content)
            .join(Resource, Resource.sha256 == DeploymentFile.sha256)
            .where(DeploymentFile.kind == kind, DeploymentFile.stem == stem)
            .order_by(DeploymentFile.deployed_at.desc())
            .limit(1)
        ).first()
        return SourceFile(row.name, row.content) if row else None

    def form_files(self, name: str):
        schema = self._latest_file("form", name)
        if schema is None:
            return None
        return schema, self._latest_file("form_ui", name)

    def decision_file(self, decision_id: str) -> SourceFile | None:
        for definition in self.session.scalars(select(Definition).order_by(Definition.deployed_at.desc())):
            entry = definition.manifest.get("decisions", {}).get(decision_id)
            if entry:
                return SourceFile(entry["file"], self.repo.resource(self.session, entry["sha256"]))
        return None

    def process(self, key: str) -> DeployedProcess | None:
        definition = self.repo.latest(self.session, key, required=False)
        if definition is None:
            return None
        ((name, sha),) = definition.manifest["bpmn"].items()
        return DeployedProcess(ProcessInfo.from_dict(definition.info), definition.content_hash,
                               SourceFile(name, self.repo.resource(self.session, sha)))


class DefinitionStore:
    def __init__(self, clock: Clock, audit: AuditLog, script_engine=None,
                 connectors: ConnectorRegistry | None = None) -> None:
        self.clock = clock
        self.audit = audit
        # Service tasks are checked against these at deploy time (None: not checked).
        self.connectors = connectors
        # Shared by every version's runtime: the sandbox plus Flowdesk's model functions.
        self.script_engine = script_engine
        self._runtimes: dict[str, ProcessRuntime] = {}
        self._forms: dict[tuple[str, str | None], forms_module.Form] = {}
        self._lock = threading.Lock()

    # -- deploying -------------------------------------------------------------------------
    def validate(self, session: Session, files: Sequence[SourceFile]) -> list[ProcessInfo]:
        """Check files as a deployment would, without storing anything."""
        bundle = self._bundle(session, files)
        found = ValidatedProcesses(p.info for p in bundle.processes)
        found.warnings = list(bundle.warnings)
        return found

    def _bundle(self, session: Session, files: Sequence[SourceFile]):
        bundle = build_bundle(files, _SessionLookup(self, session))
        if self.connectors is not None:
            problems = connector_problems((p.info for p in bundle.processes), self.connectors)
            if problems:
                raise DefinitionInvalid(problems)
        return bundle

    def deploy(self, session: Session, files: Sequence[SourceFile], actor: str) -> DeploymentResult:
        bundle = self._bundle(session, files)
        now = self.clock.now()
        deployment = Deployment(id=str(uuid.uuid4()), deployed_at=now, deployed_by=actor)
        session.add(deployment)
        for file in bundle.files:
            self._store_resource(session, file)
        session.flush()
        session.add_all(
            DeploymentFile(deployment_id=deployment.id, name=f.name, kind=f.kind, stem=f.stem,
                           sha256=f.sha256, deployed_at=now)
            for f in bundle.files
        )
        results = []
        for process in bundle.processes:
            latest = self.latest(session, process.info.key, required=False)
            if latest is not None and latest.content_hash == process.content_hash:
                results.append(DeployedVersion(latest.key, latest.version, created=False))
                continue
            version = (latest.version if latest else 0) + 1
            manifest = {**process.manifest, "decisions": process.decisions}
            session.add(
                Definition(
                    id=str(uuid.uuid4()), key=process.info.key, version=version, name=process.info.name,
                    deployment_id=deployment.id, deployed_at=now, content_hash=process.content_hash,
                    manifest=manifest, info=process.info.to_dict(),
                    spec={"spec": process.spec, "subprocess_specs": process.subprocess_specs},
                )
            )
            results.append(DeployedVersion(process.info.key, version, created=True))
            self.audit.append(session, [EventRecord(
                "definition.deployed", actor, definition_key=process.info.key, definition_version=version,
                payload={"deployment_id": deployment.id, "content_hash": process.content_hash,
                         "files": manifest},
            )])
        session.flush()
        return DeploymentResult(deployment.id, now, results, list(bundle.warnings))

    @staticmethod
    def _store_resource(session: Session, file: SourceFile) -> None:
        insert_ignore(session, Resource, {"sha256": file.sha256, "content": file.content, "size": len(file.content)})

    # -- reading ---------------------------------------------------------------------------
    def latest(self, session: Session, key: str, required: bool = True) -> Definition | None:
        row = session.scalars(
            select(Definition).where(Definition.key == key).order_by(Definition.version.desc()).limit(1)
        ).first()
        if row is None and required:
            raise NotFound(f"no process definition with key '{key}'")
        return row

    def get(self, session: Session, key: str, version: int | None = None) -> Definition:
        if version is None:
            return self.latest(session, key)
        row = session.scalars(
            select(Definition).where(Definition.key == key, Definition.version == version)
        ).first()
        if row is None:
            raise NotFound(f"process '{key}' has no version {version}")
        return row

    def by_id(self, session: Session, definition_id: str) -> Definition:
        row = session.get(Definition, definition_id)
        if row is None:
            raise NotFound(f"no definition with id '{definition_id}'")
        return row

    def versions(self, session: Session, key: str) -> list[int]:
        return list(session.scalars(
            select(Definition.version).where(Definition.key == key).order_by(Definition.version)
        ))

    def list_latest(self, session: Session) -> list[Definition]:
        newest = (
            select(Definition.key, func.max(Definition.version).label("version"))
            .group_by(Definition.key)
            .subquery()
        )
        stmt = (
            select(Definition)
            .join(newest, (Definition.key == newest.c.key) & (Definition.version == newest.c.version))
            .order_by(Definition.key)
        )
        return list(session.scalars(stmt))

    def resource(self, session: Session, sha256: str) -> bytes:
        row = session.get(Resource, sha256)
        if row is None:
            raise NotFound(f"no stored file with hash {sha256}")
        return row.content

    def runtime(self, definition: Definition) -> ProcessRuntime:
        """The restored spec of a version, built once per process and kept."""
        runtime = self._runtimes.get(definition.id)
        if runtime is None:
            with self._lock:
                runtime = self._runtimes.get(definition.id)
                if runtime is None:
                    runtime = ProcessRuntime(definition.spec["spec"], definition.spec["subprocess_specs"],
                                             self.script_engine)
                    self._runtimes[definition.id] = runtime
        return runtime

    def form(self, session: Session, definition: Definition, name: str | None) -> forms_module.Form | None:
        """A form exactly as the version pinned it."""
        if not name:
            return None
        entry = definition.manifest["forms"].get(name)
        if entry is None:
            # a form of a user task in a called process is pinned by the called version
            entry = next((d.manifest["forms"][name] for d in called_definitions(session, definition)
                          if name in d.manifest.get("forms", {})), None)
        if entry is None:
            return None
        schema_sha, ui_sha = entry
        cached = self._forms.get((schema_sha, ui_sha))
        if cached is None:
            names = self._file_names(session, schema_sha, ui_sha)
            cached = forms_module.parse_form(
                names.get(schema_sha, f"{name}.json"), self.resource(session, schema_sha),
                names.get(ui_sha) if ui_sha else None, self.resource(session, ui_sha) if ui_sha else None,
            )
            self._forms[(schema_sha, ui_sha)] = cached
        return cached

    def sources(self, session: Session, definition: Definition) -> list[dict[str, str]]:
        """A version's source files as deployed (YAML, BPMN, DMN, forms and their UI hints)."""
        manifest = definition.manifest
        files: list[tuple[str, str, str]] = []
        for kind in ("yaml", "bpmn", "dmn", "decision_yaml"):
            files.extend((kind, name, sha) for name, sha in sorted(manifest.get(kind, {}).items()))
        for name, (schema_sha, ui_sha) in sorted(manifest.get("forms", {}).items()):
            files.append(("form", name, schema_sha))
            if ui_sha:
                files.append(("form_ui", name, ui_sha))
        return [{"kind": kind, "name": name, "sha256": sha,
                 "content": self.resource(session, sha).decode("utf-8", errors="replace")}
                for kind, name, sha in files]

    def bpmn(self, session: Session, definition: Definition) -> tuple[str, bytes]:
        """The BPMN file a version runs: (file name, bytes)."""
        ((name, sha),) = definition.manifest["bpmn"].items()
        return name, self.resource(session, sha)

    def _file_names(self, session: Session, *shas: str | None) -> dict[str, str]:
        rows = session.execute(
            select(DeploymentFile.sha256, DeploymentFile.name).where(DeploymentFile.sha256.in_([s for s in shas if s]))
        )
        return {sha: name for sha, name in rows}
