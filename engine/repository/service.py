"""The repository service: deploying definitions and reading what was deployed.

Camunda's RepositoryService in Flowdesk's terms. Every method is one transaction and
takes the acting user; reading definitions is open to every authenticated user,
deploying to designers and admins.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select

from ..context import EngineContext
from ..definitions.model import ProcessInfo, process_info
from ..definitions.sources import SourceFile, read_paths
from ..diagrams.render import render
from ..errors import Forbidden
from ..identity import authorization
from ..identity.actors import Actor
from ..identity.users import check_name
from ..jobs import start_timers
from ..pagination import Keyset, Page
from ..persistence.models import Definition
from .store import DeploymentResult
from .views import DefinitionDetail, DefinitionTexts, SourceView, definition_summary, started_by_people

Sources = Sequence[SourceFile | Path | str]
_BY_KEY = Keyset((Definition.key,), (False,), (str,))


def _files(sources: Sources) -> list[SourceFile]:
    """Uploaded files as they are, paths read from disk (folders recursively)."""
    files = [s for s in sources if isinstance(s, SourceFile)]
    paths = [s for s in sources if not isinstance(s, SourceFile)]
    return files + (read_paths(paths) if paths else [])


class RepositoryService:
    def __init__(self, context: EngineContext) -> None:
        self._ctx = context
        self._store = context.definitions

    # -- deploying ---------------------------------------------------------------------------------
    def validate(self, sources: Sources, *, by: Actor) -> list[ProcessInfo]:
        """Check files as a deployment would, storing nothing: every problem at once
        (:class:`~..errors.DefinitionInvalid`), or what each process would be."""
        files = _files(sources)
        with self._ctx.transaction() as session:
            return self._store.validate(session, files)

    def deploy(self, sources: Sources, *, by: Actor, operator: str | None = None) -> DeploymentResult:
        """Deploy files (all or nothing); a process whose content did not change keeps its
        version. Timer start events of new versions are scheduled in the same transaction.

        ``operator``: the person the engine itself deploys for (the CLI's ``--as``, an OS
        account without a Flowdesk login), recorded as the deployment's author."""
        authorization.require_deployer(by)
        if operator is not None:
            if not authorization.is_system(by):
                raise Forbidden("only the engine itself deploys on behalf of someone else")
            check_name("operator", operator)
        files = _files(sources)
        with self._ctx.transaction() as session:
            result = self._store.deploy(session, files, operator or by.username)
            for deployed in result.definitions:
                if deployed.created:
                    definition = self._store.get(session, deployed.key, deployed.version)
                    start_timers.schedule(session, definition, self._ctx.clock)
            return result

    # -- reading -----------------------------------------------------------------------------------
    def list_definitions(self, *, by: Actor, limit: int | None = None, cursor: str | None = None) -> Page:
        """The latest version of every process."""
        newest = (select(Definition.key, func.max(Definition.version).label("version"))
                  .group_by(Definition.key).subquery())
        # Only the columns a summary shows: a definition row also holds its parsed spec.
        stmt = (select(Definition.key, Definition.name, Definition.version, Definition.deployed_at, Definition.info)
                .join(newest, (Definition.key == newest.c.key) & (Definition.version == newest.c.version)))
        with self._ctx.transaction() as session:
            called = self._called_keys(session)
            return _BY_KEY.page(session, stmt, limit, cursor, lambda row: {
                **definition_summary(row), "started_by_people": started_by_people(row.info or {}, called, row.key)},
                scalars=False)

    @staticmethod
    def _called_keys(session) -> set[str]:
        """The processes the latest version of any process calls (call activities)."""
        newest = (select(Definition.key, func.max(Definition.version).label("version"))
                  .group_by(Definition.key).subquery())
        rows = session.execute(select(Definition.info).join(
            newest, (Definition.key == newest.c.key) & (Definition.version == newest.c.version)))
        return {called for (info,) in rows for called in (info or {}).get("called_keys", ())}

    def definition(self, key: str, version: int | None = None, *, by: Actor) -> DefinitionDetail:
        """A version (default the latest) with its start form, lanes and user tasks."""
        with self._ctx.transaction() as session:
            definition = self._store.get(session, key, version)
            info = process_info(definition)
            start_form = self._store.form(session, definition, info.start_form)
            return {
                **definition_summary(definition),
                "started_by_people": started_by_people(definition.info or {}, self._called_keys(session), key),
                "versions": self._store.versions(session, key),
                "deployment_id": definition.deployment_id,
                "start_form": None if start_form is None else
                {"name": start_form.name, "schema": start_form.schema, "ui": start_form.ui},
                "start_lane": info.start_lane,
                "lanes": list(info.lanes),
                "user_tasks": _user_tasks(info),
            }

    def texts(self, key: str, version: int | None = None, *, by: Actor) -> DefinitionTexts:
        """A version's name and its user tasks' names with their translations: one read of
        the version, for pages that name a process or its tasks (not :meth:`definition`,
        which also reads the start form, the versions and what every process calls)."""
        with self._ctx.transaction() as session:
            definition = self._store.get(session, key, version)
            summary = definition_summary(definition)
            return {"key": definition.key, "version": definition.version, "name": summary["name"],
                    "name_i18n": summary["name_i18n"], "user_tasks": _user_tasks(process_info(definition))}

    def definition_bpmn(self, key: str, version: int | None = None, *, by: Actor) -> tuple[str, bytes]:
        """The BPMN file a version runs (for YAML definitions, the compiled one): (name, bytes)."""
        with self._ctx.transaction() as session:
            return self._store.bpmn(session, self._store.get(session, key, version))

    def definition_diagram(self, key: str, version: int | None = None, *, by: Actor, locale: str | None = None) -> str:
        """A version's diagram as SVG (from the model's diagram interchange, or laid out),
        its names in ``locale`` where the model translates them."""
        _name, bpmn = self.definition_bpmn(key, version, by=by)
        return render(bpmn, key, locale=locale)

    def definition_sources(self, key: str, version: int | None = None, *, by: Actor) -> list[SourceView]:
        """A version's source files (YAML, BPMN, DMN, forms), as deployed."""
        with self._ctx.transaction() as session:
            return self._store.sources(session, self._store.get(session, key, version))


def _user_tasks(info) -> list[dict]:
    return [{"element_id": t.element_id, "name": t.name, "lane": t.lane,
             "candidate_groups": list(t.candidate_groups) or ([t.lane] if t.lane else []),
             "form": t.form, "documentation": t.documentation, "name_i18n": t.name_i18n,
             "documentation_i18n": t.documentation_i18n}
            for t in info.human_tasks.values()]
