"""The process engine, built once: configuration, database and the services it hands out.

Like Camunda's ProcessEngine, it is made once per process from the settings and hands
out services, each owning its area's queries: ``repository`` (deployments and
definitions), ``instances`` (starting, reading, cancelling; messages and signals),
``tasks`` (the inbox and acting on tasks), ``history`` (instance history, the audit log,
reports, retention), ``identity`` (logging in, tokens, users and groups), ``accounts``
(deactivation, passwords, API keys), ``sso`` (OpenID Connect sign-in), ``management``
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
from .collaboration.notes import DraftCleanup
from .collaboration.people import PeopleService
from .collaboration.service import CollaborationService
from .collaboration.substitutes import SubstitutionPolicy
from .config import Settings
from .connectors.builtin import default_registry
from .connectors.records import record_connectors
from .context import EngineContext
from .history.audit import AuditLog
from .history.service import HistoryService
from .idempotency import IdempotencyService
from .identity.accounts import AccountService
from .identity.actors import ActorCache
from .identity.oidc import SsoService
from .identity.service import IdentityService
from .identity.users import UserStore
from .instances.calls import CalledInstances
from .instances.lifecycle import Lifecycle
from .instances.loader import ExecutionLoader
from .instances.operations import OperationsService
from .instances.service import InstanceService
from .instances.steps import StepWriter
from .instances.task_service import TaskService
from .jobs.external import ExternalTaskService
from .jobs.management import ManagementService
from .local_time import LocalClock, local_today_function
from .notifications.reactions import EventReactions
from .persistence import Database, upgrade
from .records.files import FileStore
from .records.service import RecordService
from .records.store import RecordStore
from .repository.service import RepositoryService
from .repository.store import DefinitionStore
from .runtime import SandboxScriptEngine, install_overrides, step_now
from .runtime.cache import WORKFLOWS
from .webhooks.delivery import Interest
from .webhooks.service import WebhookService


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
        self.operations = OperationsService(self.context)
        self.history = HistoryService(self.context)
        self.identity = IdentityService(self.context)
        self.accounts = AccountService(self.context, end_sessions=self.identity.end_sessions)
        self.sso = SsoService(self.context, self.identity.token_secret)
        self.management = ManagementService(self.context)
        self.records = RecordService(self.context)
        self.external_tasks = ExternalTaskService(self.context)
        self.idempotency = IdempotencyService(self.context.transaction, self.clock)
        # Who listens to events (webhooks, users with an e-mail address), for the services that change it.
        self._interest = next(r.interest for r in self.context.audit.listeners if isinstance(r, EventReactions))
        self.people = PeopleService(self.context, on_change=self._interest.clear)
        self.webhooks = WebhookService(self.context, on_change=self._interest.clear)
        self.collaboration = CollaborationService(self.context, self.tasks)

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
    functions = {"deadline": deadline_function(calendars, lambda: step_now(clock), settings.time_scale),
                 "local_today": local_today_function(lambda: step_now(clock), settings.time_zone)}
    audit = AuditLog(clock, settings.audit_chain)
    connectors = default_registry(settings.outbox_dir, settings.connector_modules,
                                  outbound_allow=settings.outbound_allow, smtp_host=settings.smtp_host,
                                  smtp_port=settings.smtp_port)
    definitions = DefinitionStore(clock, audit, SandboxScriptEngine(functions=functions), connectors)
    # Steps read the same instants, with the zone their "today" is in (FEEL's today()).
    step_clock = LocalClock(clock, settings.time_zone)
    steps = StepWriter(step_clock, audit, settings.message_ttl_seconds, functions)
    context = EngineContext(
        settings=settings, clock=clock, db=db, audit=audit, definitions=definitions,
        executions=ExecutionLoader(definitions, step_clock), steps=steps, connectors=connectors,
        records=RecordStore(clock), files=FileStore(clock), users=UserStore(clock),
        actors=ActorCache(settings.auth_cache_seconds), functions=functions,
    )
    # After a step commits: notifications and webhooks; new tasks of absent users to their substitutes.
    interest = Interest(settings.auth_cache_seconds)
    audit.listeners.append(EventReactions(clock, interest))
    audit.listeners.append(DraftCleanup())  # a closed task's drafts go with it
    steps.assignments = SubstitutionPolicy(context.users, steps, on_owner=interest.clear)
    steps.calls = CalledInstances(definitions, context.executions, steps,
                                  Lifecycle(clock, definitions, context.executions, steps))
    for connector in record_connectors(context):
        # A site's own connector of the same name (its ERP) wins over the built-in one.
        if connectors.get(connector.name) is None:
            connectors.add(connector)
    return context
