"""The process engine, built once: configuration, database and the services it hands out.

Like Camunda's ProcessEngine, it is made once per process from the settings and hands
out services, each owning its area's queries: ``repository`` (deployments and
definitions), ``instances`` (starting, reading, cancelling; messages and signals),
``tasks`` (the inbox and acting on tasks), ``history`` (instance history, the audit log,
reports, retention), ``identity`` (logging in, tokens, users and groups), ``management``
(jobs, incidents, metrics, health), ``records`` (business records and files),
``external_tasks`` and ``idempotency``. The HTTP API, the web app and the CLI call these
services and nothing below them, so all three give the same answers, refusals and audit
events. Jobs and connectors get :attr:`context`, never the engine itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from .calendar import deadline_function, load_calendars
from .clock import Clock, SystemClock
from .config import Settings
from .connectors.builtin import default_registry
from .connectors.records import record_connectors
from .context import EngineContext
from .history.audit import AuditLog
from .history.service import HistoryService
from .idempotency import IdempotencyService
from .identity.actors import ActorCache
from .identity.service import IdentityService
from .identity.users import UserStore
from .instances.loader import ExecutionLoader
from .instances.service import InstanceService
from .instances.steps import StepWriter
from .instances.task_service import TaskService
from .jobs.external import ExternalTaskService
from .jobs.management import ManagementService
from .persistence import Database, upgrade
from .records.files import FileStore
from .records.service import RecordService
from .records.store import RecordStore
from .repository.service import RepositoryService
from .repository.store import DefinitionStore
from .runtime import SandboxScriptEngine, install_overrides, step_now
from .runtime.cache import WORKFLOWS


class ProcessEngine:
    def __init__(self, settings: Settings, clock: Clock | None = None, migrate: bool = True) -> None:
        install_overrides()  # checks the SpiffWorkflow version first: fail at start, not mid-step
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = Database(settings.database_url, echo=settings.log_sql)
        WORKFLOWS.resize(settings.cache_mb * 1024 * 1024)  # one cache per process (runtime/cache.py)
        if migrate:
            upgrade(self.db)
        self.context = _build_context(settings, self.clock, self.db)
        self.repository = RepositoryService(self.context)
        self.instances = InstanceService(self.context)
        self.tasks = TaskService(self.context)
        self.history = HistoryService(self.context)
        self.identity = IdentityService(self.context)
        self.management = ManagementService(self.context)
        self.records = RecordService(self.context)
        self.external_tasks = ExternalTaskService(self.context)
        self.idempotency = IdempotencyService(self.context.transaction, self.clock)

    def close(self) -> None:
        self.db.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A transaction on the engine's database, for tools and tests that look at rows
        directly; everything else goes through the services."""
        with self.context.transaction() as session:
            yield session


def _build_context(settings: Settings, clock: Clock, db: Database) -> EngineContext:
    calendars = load_calendars(settings.business_calendar)
    # Functions models may call in expressions (timers, due dates, scripts).
    functions = {"deadline": deadline_function(calendars, lambda: step_now(clock), settings.time_scale)}
    audit = AuditLog(clock, settings.audit_chain)
    connectors = default_registry(settings.outbox_dir, settings.connector_modules)
    definitions = DefinitionStore(clock, audit, SandboxScriptEngine(functions=functions), connectors)
    steps = StepWriter(clock, audit, settings.message_ttl_seconds, functions)
    context = EngineContext(
        settings=settings, clock=clock, db=db, audit=audit, definitions=definitions,
        executions=ExecutionLoader(definitions, clock), steps=steps, connectors=connectors,
        records=RecordStore(clock), files=FileStore(clock), users=UserStore(clock),
        actors=ActorCache(settings.auth_cache_seconds), functions=functions,
    )
    for connector in record_connectors(context):
        # A site's own connector of the same name (its ERP) wins over the built-in one.
        if connectors.get(connector.name) is None:
            connectors.add(connector)
    return context
