"""The process engine as one object: configuration, database and services, wired once.

Every public method is one transaction. The HTTP API and the CLI call these methods and
nothing below them, so both get the same rules, the same errors and the same audit
events. A refusal that must be audited (separation of duties) is recorded in its own
transaction, because the refused operation itself changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from . import views
from .audit import AuditLog, EventRecord
from .clock import Clock, SystemClock
from .config import Settings
from .definitions.sources import SourceFile, read_paths
from .errors import ConcurrentModification, Forbidden, NotFound
from .identity import SYSTEM, Actor, IdentityService
from .instances import InstanceService
from .persistence import Database, upgrade
from .repository import DeploymentResult, RepositoryService
from .steps import StepWriter
from .tasks import InboxQuery, TaskService


class ProcessEngine:
    def __init__(self, settings: Settings, clock: Clock | None = None, migrate: bool = True) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = Database(settings.database_url, echo=settings.log_sql)
        if migrate:
            upgrade(self.db)
        self.audit = AuditLog(self.clock)
        self.identity = IdentityService(self.clock)
        self.repository = RepositoryService(self.clock, self.audit)
        writer = StepWriter(self.clock, self.audit)
        self.instances = InstanceService(self.clock, self.repository, writer)
        self.tasks = TaskService(self.clock, self.repository, writer)

    def close(self) -> None:
        self.db.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        try:
            with self.db.transaction() as session:
                yield session
        except StaleDataError:
            raise ConcurrentModification("the instance was changed by someone else at the same time; "
                                         "nothing was saved") from None

    def health(self) -> dict[str, str]:
        try:
            with self.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return {"status": "ok", "database": "ok"}
        except OperationalError as err:
            return {"status": "degraded", "database": f"unavailable: {err.orig}"}

    # -- identity --------------------------------------------------------------------------
    def actor(self, username: str) -> Actor:
        if username == SYSTEM.username:
            return SYSTEM
        with self.transaction() as s:
            return self.identity.actor(s, username)

    def create_user(self, username: str, password: str, groups: Sequence[str], by: Actor = SYSTEM) -> dict:
        with self.transaction() as s:
            self.identity.create_user(s, username, password, list(groups))
            self.audit.append(s, [EventRecord("user.created", by.username,
                                              payload={"username": username, "groups": sorted(groups)})])
        return {"username": username, "groups": sorted(set(groups))}

    # -- definitions -----------------------------------------------------------------------
    def validate_paths(self, paths: Sequence[Path | str]) -> list:
        files = read_paths(paths)
        with self.transaction() as s:
            return self.repository.validate(s, files)

    def deploy_paths(self, paths: Sequence[Path | str], by: Actor = SYSTEM) -> DeploymentResult:
        return self.deploy(read_paths(paths), by)

    def deploy(self, files: Sequence[SourceFile], by: Actor = SYSTEM) -> DeploymentResult:
        with self.transaction() as s:
            return self.repository.deploy(s, files, by.username)

    # -- instances -------------------------------------------------------------------------
    def start_instance(self, key: str, data: Mapping[str, Any], by: Actor, business_key: str | None = None,
                       version: int | None = None) -> dict:
        with self.transaction() as s:
            instance = self.instances.start(s, key, data, by, business_key, version)
            return views.instance_view(instance, self.instances.open_tasks(s, instance.id))

    def get_instance(self, instance_id: str) -> dict:
        with self.transaction() as s:
            instance = self.instances.get(s, instance_id)
            return views.instance_view(instance, self.instances.open_tasks(s, instance.id))

    def cancel_instance(self, instance_id: str, by: Actor, reason: str) -> dict:
        with self.transaction() as s:
            instance = self.instances.cancel(s, instance_id, by, reason)
            return views.instance_view(instance, [])

    def history(self, instance_id: str, after_seq: int = 0, limit: int = 500) -> list[dict]:
        with self.transaction() as s:
            self.instances.get(s, instance_id)
            return [views.event_view(e) for e in self.audit.history(s, instance_id, after_seq, limit)]

    # -- tasks -----------------------------------------------------------------------------
    def inbox(self, by: Actor, query: InboxQuery = InboxQuery()) -> list[dict]:
        with self.transaction() as s:
            return [views.task_summary(t) for t in self.tasks.inbox(s, by, query)]

    def get_task(self, task_id: str) -> dict:
        with self.transaction() as s:
            return views.task_summary(self.tasks.get(s, task_id))

    def claim_task(self, task_id: str, by: Actor) -> dict:
        return self._task_action(lambda s: self.tasks.claim(s, task_id, by), task_id, by)

    def unclaim_task(self, task_id: str, by: Actor) -> dict:
        return self._task_action(lambda s: self.tasks.unclaim(s, task_id, by), task_id, by)

    def assign_task(self, task_id: str, by: Actor, username: str) -> dict:
        def act(s: Session):
            if username != SYSTEM.username:
                self.identity.actor(s, username)
            return self.tasks.assign(s, task_id, by, username)

        return self._task_action(act, task_id, by)

    def complete_task(self, task_id: str, by: Actor, data: Mapping[str, Any]) -> dict:
        def act(s: Session):
            task, instance = self.tasks.complete(s, task_id, by, data)
            return {"task": views.task_summary(task),
                    "instance": views.instance_view(instance, self.instances.open_tasks(s, instance.id))}

        return self._task_action(act, task_id, by, view=False)

    def _task_action(self, act, task_id: str, by: Actor, view: bool = True):
        try:
            with self.transaction() as s:
                result = act(s)
                return views.task_summary(result) if view else result
        except Forbidden as refusal:
            self._record_refusal(task_id, by, refusal)
            raise

    def _record_refusal(self, task_id: str, by: Actor, refusal: Forbidden) -> None:
        with self.transaction() as s:
            try:
                task = self.tasks.get(s, task_id)
            except NotFound:
                return
            self.audit.append(s, [EventRecord(
                "access.denied", by.username, task.instance_id, task.definition_key, task.definition_version,
                task.element_id, task.id, {"reason": refusal.slug, "detail": refusal.detail},
            )])
