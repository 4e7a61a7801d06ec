"""The process engine as one object: configuration, database and services, wired once.

Every public method is one transaction. The HTTP API and the CLI call these methods and
nothing below them, so both get the same rules, the same errors and the same audit
events. A refusal that must be audited (separation of duties) is recorded in its own
transaction, because the refused operation itself changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from . import pagination, values
from .calendar import deadline_function, load_calendars
from .clock import Clock, SystemClock
from .config import Settings
from .connectors import ConnectorRegistry
from .connectors.records import record_connectors
from .definitions.calls import human_task_info
from .definitions.sources import SourceFile, read_paths
from .errors import (
    ConcurrentModification,
    Conflict,
    FieldError,
    FlowdeskError,
    Forbidden,
    InvalidData,
    NotFound,
    PayloadTooLarge,
    TooManyAttempts,
    Unauthorized,
)
from .history.audit import AuditLog, EventRecord, retention
from .history.audit import anchor as audit_anchor
from .history.audit import search as audit_search
from .history.audit import verify as audit_verify
from .history.audit.search import AuditQuery
from .history.reports import controls, kpis
from .idempotency import IdempotencyStore, StoredResponse
from .identity import authorization
from .identity.users import (
    ROLE_GROUPS,
    SYSTEM,
    Actor,
    ActorCache,
    IdentityService,
    LoginThrottle,
    password_hash_of,
    signing_secret,
    users_page,
    verify_password,
)
from .instances import views
from .instances.incidents import IncidentService
from .instances.lifecycle import InstanceService
from .instances.messages import MessageService
from .instances.steps import StepWriter
from .instances.tasks import InboxQuery, TaskService, inbox_sort_key
from .jobs import start_timers
from .jobs.external import ExternalTaskService
from .pagination import Page, clamp_limit, decode_cursor, page_of
from .persistence import Database, upgrade
from .persistence.models import (
    Definition,
    Event,
    Incident,
    Instance,
    Job,
    Record,
    RecordLink,
    Task,
    User,
    WorkerHeartbeat,
)
from .records.files import FileService, file_view
from .records.store import RecordService, read_seed, record_view
from .repository.store import DeploymentResult, RepositoryService
from .runtime import SandboxScriptEngine, install_overrides, step_now


class ProcessEngine:
    def __init__(self, settings: Settings, clock: Clock | None = None, migrate: bool = True) -> None:
        install_overrides()  # checks the SpiffWorkflow version first: fail at start, not mid-step
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = Database(settings.database_url, echo=settings.log_sql)
        if migrate:
            upgrade(self.db)
        self.audit = AuditLog(self.clock, settings.audit_chain)
        self.identity = IdentityService(self.clock)
        self.actors = ActorCache(self.settings.auth_cache_seconds)
        calendars = load_calendars(settings.business_calendar)
        # Functions models may call in expressions (timers, due dates, scripts).
        functions = {"deadline": deadline_function(calendars, lambda: step_now(self.clock), settings.time_scale)}
        self.records = RecordService(self.clock)
        self.connectors = ConnectorRegistry.default(settings.outbox_dir, settings.connector_modules)
        for connector in record_connectors(self):
            # A site's own connector of the same name (its ERP) wins over the built-in one.
            if self.connectors.get(connector.name) is None:
                self.connectors.add(connector)
        self.repository = RepositoryService(self.clock, self.audit, SandboxScriptEngine(functions=functions),
                                            self.connectors)
        writer = StepWriter(self.clock, self.audit, settings.message_ttl_seconds, functions)
        self.instances = InstanceService(self.clock, self.repository, writer)
        self.tasks = TaskService(self.clock, self.repository, writer)
        self.incidents = IncidentService(self.clock, self.repository, writer)
        self.messages = MessageService(self.clock, self.repository, self.instances, writer)
        self.external_tasks = ExternalTaskService(self)
        self.files = FileService(self.clock)
        self.idempotency = IdempotencyStore(self.clock)
        self.login_throttle = LoginThrottle(self.clock)
        self._signing_secret: str | None = None

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
        authorization.require_admin(by, "manage users")
        with self.transaction() as s:
            self.identity.create_user(s, username, password, list(groups))
            self.audit.append(s, [EventRecord("user.created", by.username,
                                              payload={"username": username, "groups": sorted(groups)})])
        self.actors.clear()
        return {"username": username, "groups": sorted(set(groups))}

    # -- definitions -----------------------------------------------------------------------
    def validate_paths(self, paths: Sequence[Path | str]) -> list:
        files = read_paths(paths)
        with self.transaction() as s:
            return self.repository.validate(s, files)

    def deploy_paths(self, paths: Sequence[Path | str], by: Actor = SYSTEM) -> DeploymentResult:
        return self.deploy(read_paths(paths), by)

    def deploy(self, files: Sequence[SourceFile], by: Actor = SYSTEM) -> DeploymentResult:
        authorization.require_deployer(by)
        with self.transaction() as s:
            result = self.repository.deploy(s, files, by.username)
            for deployed in result.definitions:
                if deployed.created:
                    start_timers.schedule(s, self.repository.get(s, deployed.key, deployed.version), self.clock)
            return result

    def load_seed(self, paths: Sequence[Path | str] | None = None) -> int:
        """Load reference data (items, suppliers, customers, employees) into records;
        entries that exist are refreshed. Returns how many records changed."""
        documents = read_seed(self.settings.seed if paths is None else paths)
        with self.transaction() as s:
            return self.records.load_reference(s, documents)

    # -- instances -------------------------------------------------------------------------
    def start_instance(self, key: str, data: Mapping[str, Any], by: Actor, business_key: str | None = None,
                       version: int | None = None) -> dict:
        with self.transaction() as s:
            instance = self.instances.start(s, key, data, by, business_key, version)
            return views.instance_view(instance, *self.instances.open_tasks(s, instance.id))

    def get_instance(self, instance_id: str, by: Actor = SYSTEM) -> dict:
        authorization.require_instance_reader(by)
        with self.transaction() as s:
            instance = self.instances.get(s, instance_id)
            authorization.check_instance_visible(s, by, instance)
            return views.instance_view(instance, *self.instances.open_tasks(s, instance.id))

    def cancel_instance(self, instance_id: str, by: Actor, reason: str) -> dict:
        with self.transaction() as s:
            instance = self.instances.get(s, instance_id)
            authorization.check_may_cancel(s, by, instance)
            if instance.status in {"completed", "cancelled"}:
                raise Conflict(f"instance {instance_id} is already {instance.status}")
            if authorization.has_role(by, authorization.ADMIN) and not authorization.is_system(by) \
                    and not (reason or "").strip():
                raise InvalidData([FieldError("/reason", "an admin cancelling an instance must give a reason")])
            instance = self.instances.cancel(s, instance_id, by, reason)
            return views.instance_view(instance, [])

    def history(self, instance_id: str, after_seq: int = 0, limit: int = 500, by: Actor = SYSTEM) -> list[dict]:
        authorization.require_instance_reader(by)
        with self.transaction() as s:
            authorization.check_instance_visible(s, by, self.instances.get(s, instance_id))
            return [views.event_view(e) for e in self.audit.history(s, instance_id, after_seq, limit)]

    # -- tasks -----------------------------------------------------------------------------
    def inbox(self, by: Actor, query: InboxQuery = InboxQuery()) -> list[dict]:
        authorization.require_task_worker(by)
        with self.transaction() as s:
            return [views.task_summary(t) for t in self.tasks.inbox(s, by, query)]

    def get_task(self, task_id: str, by: Actor = SYSTEM) -> dict:
        authorization.require_task_worker(by)
        with self.transaction() as s:
            return views.task_summary(self._visible_task(s, task_id, by))

    def _visible_task(self, s: Session, task_id: str, by: Actor, acting: bool = False) -> Task:
        task = self.tasks.get_for_action(s, task_id, by) if acting else self.tasks.get(s, task_id)
        authorization.check_task_visible(s, by, task)
        return task

    def claim_task(self, task_id: str, by: Actor) -> dict:
        authorization.require_task_worker(by)
        return self._task_action(
            lambda s: self.tasks.claim(s, self._visible_task(s, task_id, by, acting=True).id, by), task_id, by)

    def unclaim_task(self, task_id: str, by: Actor) -> dict:
        authorization.require_task_worker(by)
        return self._task_action(lambda s: self.tasks.unclaim(s, self._visible_task(s, task_id, by).id, by),
                                 task_id, by)

    def assign_task(self, task_id: str, by: Actor, username: str) -> dict:
        authorization.require_task_assigner(by)

        def act(s: Session):
            task = self._visible_task(s, task_id, by)
            authorization.check_may_assign(by, task)
            if task.status != "open":
                raise Conflict(f"task '{task.name}' is {task.status}")
            if username != SYSTEM.username:
                try:
                    self.identity.actor(s, username)
                except NotFound:
                    raise InvalidData([FieldError("/username", f"there is no user '{username}'")]) from None
            return self.tasks.assign(s, task_id, by, username)

        return self._task_action(act, task_id, by)

    def complete_task(self, task_id: str, by: Actor, data: Mapping[str, Any]) -> dict:
        authorization.require_task_worker(by)

        def act(s: Session):
            task, instance = self.tasks.complete(s, self._visible_task(s, task_id, by, acting=True).id, by, data)
            return {"task": views.task_summary(task),
                    "instance": views.instance_view(instance, *self.instances.open_tasks(s, instance.id))}

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
        refusal.audited = True

    # == The HTTP API's operations ===================================================================
    # Each takes the acting user and applies engine/authorization.py before it reads or
    # changes anything; lists return a cursor Page.

    # -- authentication --------------------------------------------------------------------------
    def login(self, username: str, password: str) -> Actor:
        """A user's password checked, throttled per username (Unauthorized, TooManyAttempts).

        The slow hash is verified outside any transaction, so a login never holds the
        database's write lock while Argon2 runs."""
        locked: TooManyAttempts | None = None
        with self.transaction() as s:
            try:
                self.login_throttle.check(s, username)
            except TooManyAttempts as err:
                locked = err
                self._deny(s, "anonymous", err, {"username": username[:150], "reason": "locked"})
            stored = None if locked else password_hash_of(s, username)
        if locked is not None:
            raise locked
        ok = verify_password(password, stored)
        refusal = Unauthorized("wrong username or password")
        with self.transaction() as s:
            if ok:
                self.login_throttle.succeeded(s, username)
                return Actor(username, self.identity.groups_of(s, username))
            now_locked = self.login_throttle.failed(s, username)
            self._deny(s, "anonymous", refusal, {"username": username[:150], "reason": "invalid-credentials",
                                                 "locked": now_locked})
        raise refusal

    def authenticated(self, username: str) -> Actor:
        """The user a valid token names, with their groups as of now (Unauthorized when the
        user was removed or deactivated since)."""
        cached = self.actors.get(username)
        if cached is not None:
            return cached
        generation = self.actors.generation
        with self.transaction() as s:
            try:
                actor = self.identity.actor(s, username)
            except NotFound:
                raise Unauthorized("the token's user no longer exists or is inactive") from None
        self.actors.put(actor, generation)
        return actor

    def token_secret(self) -> str:
        """``Settings.secret_key``, or the key generated once and kept in the database."""
        if self.settings.secret_key:
            return self.settings.secret_key
        if self._signing_secret is None:
            with self.transaction() as s:
                self._signing_secret = signing_secret(s)
        return self._signing_secret

    def record_access_denied(self, actor: str, refusal: FlowdeskError, context: Mapping[str, Any]) -> None:
        """Audit a refusal (401/403) that the engine has not audited itself."""
        if getattr(refusal, "audited", False):
            return
        with self.transaction() as s:
            self._deny(s, actor, refusal, context)

    def _deny(self, s: Session, actor: str, refusal: FlowdeskError, context: Mapping[str, Any]) -> None:
        payload = {"reason": refusal.slug, "detail": refusal.detail, **context}
        self.audit.append(s, [EventRecord("access.denied", actor[:150], payload.pop("instance_id", None),
                                          task_id=payload.pop("task_id", None), payload=payload)])
        refusal.audited = True

    # -- users -----------------------------------------------------------------------------------
    @staticmethod
    def me(by: Actor) -> dict:
        return {"username": by.username, "groups": sorted(by.groups), "roles": sorted(by.roles)}

    def list_users(self, by: Actor, limit: int | None = None, cursor: str | None = None) -> Page:
        authorization.require_admin(by, "list users")
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, str)
        with self.transaction() as s:
            rows = users_page(s, after[0] if after else None, limit + 1)
            return page_of(rows, limit, lambda r: _user_view(*r), lambda r: (r[0].username,))

    def get_user(self, username: str, by: Actor) -> dict:
        """A user with their groups: admins read anyone, everybody reads themselves."""
        if by.username != username:
            authorization.require_admin(by, "read other users")
        with self.transaction() as s:
            user = s.get(User, username)
            if user is None:
                raise NotFound(f"user '{username}' does not exist")
            return _user_view(user, self.identity.groups_of(s, username))

    def set_user_groups(self, username: str, groups: Sequence[str], by: Actor) -> dict:
        authorization.require_admin(by, "manage users")
        with self.transaction() as s:
            before = sorted(self.identity.groups_of(s, username))
            clean = self.identity.set_groups(s, username, list(groups))
            self.audit.append(s, [EventRecord("user.groups_changed", by.username,
                                              payload={"username": username, "from": before, "to": clean})])
            view = _user_view(s.get(User, username), clean)
        self.actors.clear()  # after the commit: a request reading the old groups meanwhile is not cached
        return view

    # -- definitions -----------------------------------------------------------------------------
    def list_definitions(self, by: Actor, limit: int | None = None, cursor: str | None = None) -> Page:
        """The latest version of every process (every authenticated user may read definitions)."""
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, str)
        newest = select(Definition.key, func.max(Definition.version).label("version")).group_by(Definition.key)
        if after is not None:
            newest = newest.where(Definition.key > after[0])
        newest = newest.subquery()
        # Only the columns a summary shows: a definition row also holds its parsed spec.
        stmt = (select(Definition.key, Definition.name, Definition.version, Definition.deployed_at, Definition.info)
                .join(newest, (Definition.key == newest.c.key) & (Definition.version == newest.c.version))
                .order_by(Definition.key).limit(limit + 1))
        with self.transaction() as s:
            rows = list(s.execute(stmt))
            return page_of(rows, limit, _definition_summary, lambda d: (d.key,))

    def definition(self, key: str, version: int | None = None, by: Actor = SYSTEM) -> dict:
        with self.transaction() as s:
            definition = self.repository.get(s, key, version)
            info = self.repository.info(definition)
            start_form = self.repository.form(s, definition, info.start_form)
            return {
                **_definition_summary(definition),
                "versions": self.repository.versions(s, key),
                "deployment_id": definition.deployment_id,
                "start_form": None if start_form is None else
                {"name": start_form.name, "schema": start_form.schema, "ui": start_form.ui},
                "start_lane": info.start_lane,
                "lanes": list(info.lanes),
                "user_tasks": [
                    {"element_id": t.element_id, "name": t.name, "lane": t.lane,
                     "candidate_groups": list(t.candidate_groups) or ([t.lane] if t.lane else []),
                     "form": t.form, "documentation": t.documentation, "name_i18n": t.name_i18n,
                     "documentation_i18n": t.documentation_i18n}
                    for t in info.human_tasks.values()
                ],
            }

    def definition_bpmn(self, key: str, version: int | None = None, by: Actor = SYSTEM) -> tuple[str, bytes]:
        """The BPMN file a version runs: (file name, bytes)."""
        with self.transaction() as s:
            definition = self.repository.get(s, key, version)
            ((name, sha),) = definition.manifest["bpmn"].items()
            return name, self.repository.resource(s, sha)

    # -- instances -------------------------------------------------------------------------------
    def list_instances(self, by: Actor, *, definition_key: str | None = None, status: str | None = None,
                       business_key: str | None = None, started_by: str | None = None,
                       limit: int | None = None, cursor: str | None = None) -> Page:
        authorization.require_instance_reader(by)
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, datetime, str)
        stmt = select(Instance).where(authorization.visible_instances(by))
        for column, value in ((Instance.definition_key, definition_key), (Instance.status, status),
                              (Instance.business_key, business_key), (Instance.started_by, started_by)):
            if value is not None:
                stmt = stmt.where(column == value)
        if after is not None:
            stmt = stmt.where(pagination.after([Instance.started_at, Instance.id], after, [True, False]))
        stmt = stmt.order_by(Instance.started_at.desc(), Instance.id).limit(limit + 1)
        with self.transaction() as s:
            rows = list(s.scalars(stmt))
            open_tasks = self.instances.open_tasks_of(s, [r.id for r in rows[:limit]])
            return page_of(rows, limit, lambda i: views.instance_view(i, *open_tasks.get(i.id, ([], 0))),
                           lambda i: (i.started_at, i.id))

    def history_page(self, instance_id: str, by: Actor, limit: int | None = None,
                     cursor: str | None = None) -> Page:
        authorization.require_instance_reader(by)
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, int)
        with self.transaction() as s:
            authorization.check_instance_visible(s, by, self.instances.get(s, instance_id))
            rows = self.audit.history(s, instance_id, int(after[0]) if after else 0, limit + 1)
            return page_of(rows, limit, views.event_view, lambda e: (e.event.seq,))

    def instance_diagram(self, instance_id: str, by: Actor) -> tuple[bytes, str, dict[str, str]]:
        """The BPMN of an instance's version, its process key, and element id -> state
        (``completed``, ``active``, ``failed``) for marking the diagram."""
        authorization.require_instance_reader(by)
        with self.transaction() as s:
            instance = self.instances.get(s, instance_id)
            authorization.check_instance_visible(s, by, instance)
            definition = self.repository.by_id(s, instance.definition_id)
            ((_name, sha),) = definition.manifest["bpmn"].items()
            states: dict[str, str] = {}
            done = s.scalars(select(Event.element_id).where(
                Event.instance_id == instance_id, Event.element_id.is_not(None), Event.type.in_(COMPLETING_EVENTS)))
            states.update((element, "completed") for element in done)
            if instance.status in {"running", "failed"}:
                states.update((element, "active") for element in instance.active_elements)
            failed = s.scalars(select(Incident.element_id).where(
                Incident.instance_id == instance_id, Incident.status == "open", Incident.element_id.is_not(None)))
            states.update((element, "failed") for element in failed)
            return self.repository.resource(s, sha), instance.definition_key, states

    # -- tasks -----------------------------------------------------------------------------------
    def inbox_page(self, by: Actor, query: InboxQuery = InboxQuery(), cursor: str | None = None) -> Page:
        authorization.require_task_worker(by)
        limit = clamp_limit(query.limit)
        after = decode_cursor(cursor, int if query.sort.lstrip("-") == "priority" else datetime, str)
        query = replace(query, limit=limit + 1, after=after)
        with self.transaction() as s:
            rows = self.tasks.inbox(s, by, query)
            return page_of(rows, limit, views.task_summary, lambda t: inbox_sort_key(t, query.sort))

    def task_detail(self, task_id: str, by: Actor) -> dict:
        """A task with its form (schema and UI hints) and the instance data it may show."""
        authorization.require_task_worker(by)
        with self.transaction() as s:
            task = self._visible_task(s, task_id, by)
            instance = self.instances.get(s, task.instance_id)
            definition = self.repository.by_id(s, instance.definition_id)
            form = self.repository.form(s, definition, task.form)
            meta = human_task_info(s, definition, task.element_id)
            return {
                **views.task_summary(task),
                "documentation": meta.documentation if meta else None,
                "name_i18n": meta.name_i18n if meta else {},
                "documentation_i18n": meta.documentation_i18n if meta else {},
                "form": None if form is None else {"name": form.name, "schema": form.schema, "ui": form.ui},
                "data": values.to_plain(values.decode(instance.data)),
            }

    # -- files -----------------------------------------------------------------------------------
    def upload_file(self, name: str | None, media_type: str | None, content: bytes, by: Actor) -> dict:
        authorization.require_uploader(by)
        if len(content) > self.settings.max_upload_bytes:
            raise PayloadTooLarge(f"the file is larger than {self.settings.max_upload_bytes} bytes")
        with self.transaction() as s:
            return file_view(self.files.store(s, name, media_type, content, by.username))

    def read_file(self, file_id: str, by: Actor) -> tuple[dict, bytes]:
        with self.transaction() as s:
            stored = self.files.get(s, file_id)
            if not authorization.may_read_file(s, by, stored):
                raise NotFound(f"no file with id '{file_id}'")
            return file_view(stored), self.files.content(s, stored)

    # -- messages and signals --------------------------------------------------------------------
    def send_message(self, name: str, correlation: Mapping[str, Any], data: Mapping[str, Any], by: Actor) -> dict:
        """Deliver a message from outside to every waiting instance whose correlation values
        match, or start the processes whose message start event has this name."""
        authorization.require_messenger(by)
        with self.transaction() as s:
            reached = self.messages.deliver(s, name, dict(correlation), dict(data), None, single=False, actor=by)
            if not reached:
                raise NotFound(f"nothing waits for message '{name}' with these correlation values, "
                               "and no process starts on it")
        return {
            "correlated_instances": [r["instance_id"] for r in reached if not r["started"]],
            "started_instances": [r["instance_id"] for r in reached if r["started"]],
        }

    def send_signal(self, name: str, data: Mapping[str, Any], by: Actor) -> dict:
        """Broadcast a signal to every instance waiting for it."""
        authorization.require_messenger(by)
        with self.transaction() as s:
            reached = self.messages.broadcast_signal(s, name, dict(data), by)
        return {"instances": [r["instance_id"] for r in reached]}

    # -- external tasks --------------------------------------------------------------------------
    def fetch_external_tasks(self, by: Actor, worker_id: str, topics: Sequence[str], max_tasks: int = 10,
                             lock_seconds: int = 300) -> list[dict]:
        authorization.require_external_worker(by)
        return self.external_tasks.fetch_and_lock(worker_id, list(topics), max_tasks, lock_seconds)

    def complete_external_task(self, by: Actor, task_id: str, worker_id: str, variables: Mapping[str, Any]) -> None:
        authorization.require_external_worker(by)
        self.external_tasks.complete(task_id, worker_id, dict(variables))

    def fail_external_task(self, by: Actor, task_id: str, worker_id: str, error: str, retries: int | None = None,
                           retry_seconds: float | None = None) -> None:
        authorization.require_external_worker(by)
        self.external_tasks.failure(task_id, worker_id, error, retries, retry_seconds)

    def external_task_bpmn_error(self, by: Actor, task_id: str, worker_id: str, code: str, message: str = "") -> None:
        authorization.require_external_worker(by)
        self.external_tasks.bpmn_error(task_id, worker_id, code, message)

    # -- records ---------------------------------------------------------------------------------
    def list_records(self, by: Actor, type_: str, *, status: str | None = None, number: str | None = None,
                     instance_id: str | None = None, limit: int | None = None, cursor: str | None = None) -> Page:
        """Business records of one type, newest first, that the caller may read."""
        authorization.require_record_reader(by)
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, datetime, str)
        stmt = select(Record).where(Record.type == type_, authorization.visible_records(by))
        if status is not None:
            stmt = stmt.where(Record.status == status)
        if number is not None:
            stmt = stmt.where(Record.number == number)
        if instance_id is not None:
            stmt = stmt.where(select(RecordLink.record_id).where(
                RecordLink.record_id == Record.id, RecordLink.instance_id == instance_id).exists())
        if after is not None:
            stmt = stmt.where(pagination.after([Record.created_at, Record.id], after, [True, False]))
        with self.transaction() as s:
            rows = list(s.scalars(stmt.order_by(Record.created_at.desc(), Record.id).limit(limit + 1)))
            links = self.records.links(s, [r.id for r in rows[:limit]])
            return page_of(rows, limit, lambda r: record_view(r, links.get(r.id, [])),
                           lambda r: (r.created_at, r.id))

    def get_record(self, by: Actor, type_: str, ref: str) -> dict:
        """One record by id or number; 404 for records the caller may not read."""
        authorization.require_record_reader(by)
        with self.transaction() as s:
            record = s.scalars(select(Record).where(
                Record.type == type_, (Record.id == ref) | (Record.number == ref),
                authorization.visible_records(by))).first()
            if record is None:
                raise NotFound(f"no {type_} {ref!r}")
            return record_view(record, self.records.links(s, [record.id]).get(record.id, []))

    # -- operations ------------------------------------------------------------------------------
    def list_incidents(self, by: Actor, instance_id: str | None = None, status: str | None = None,
                       limit: int | None = None, cursor: str | None = None) -> Page:
        authorization.require_operations_reader(by)
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, datetime, str)
        stmt = select(Incident)
        if instance_id is not None:
            stmt = stmt.where(Incident.instance_id == instance_id)
        if status is not None:
            stmt = stmt.where(Incident.status == status)
        if after is not None:
            stmt = stmt.where(pagination.after([Incident.created_at, Incident.id], after, [False, False]))
        with self.transaction() as s:
            rows = list(s.scalars(stmt.order_by(Incident.created_at, Incident.id).limit(limit + 1)))
            return page_of(rows, limit, _incident_view, lambda i: (i.created_at, i.id))

    def retry_incident(self, incident_id: str, by: Actor) -> dict:
        """Retry what an incident stopped: a failed script runs again, a service call gets
        fresh attempts. The incident is resolved and the instance is running again."""
        authorization.require_admin(by, "retry incidents")
        with self.transaction() as s:
            incident = self.incidents.retry(s, incident_id, by)
            instance = self.instances.get(s, incident.instance_id)
            return {"incident": _incident_view(incident),
                    "instance": views.instance_view(instance, *self.instances.open_tasks(s, instance.id))}

    def list_jobs(self, by: Actor, instance_id: str | None = None, status: str | None = None,
                  limit: int | None = None, cursor: str | None = None) -> Page:
        """Background work: due and running timers, service calls and message deliveries."""
        authorization.require_operations_reader(by)
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, datetime, str)
        stmt = select(Job)
        if instance_id is not None:
            stmt = stmt.where(Job.instance_id == instance_id)
        if status is not None:
            stmt = stmt.where(Job.status == status)
        if after is not None:
            stmt = stmt.where(pagination.after([Job.created_at, Job.id], after, [False, False]))
        with self.transaction() as s:
            rows = list(s.scalars(stmt.order_by(Job.created_at, Job.id).limit(limit + 1)))
            return page_of(rows, limit, views.job_view, lambda j: (j.created_at, j.id))

    def has_work_due(self, instance_id: str, by: Actor) -> bool:
        """Whether a worker is about to move the instance on: a job due now or running (not a
        timer weeks away). Readable by whoever may read the instance."""
        authorization.require_instance_reader(by)
        with self.transaction() as s:
            authorization.check_instance_visible(s, by, self.instances.get(s, instance_id))
            due = select(Job.id).where(Job.instance_id == instance_id, Job.kind != "external", (
                (Job.status == "running") | ((Job.status == "waiting") & (Job.due_at <= self.clock.now()))))
            return s.scalar(due.limit(1)) is not None

    def metrics(self, by: Actor) -> dict[str, Any]:
        """Counts for monitoring: instances by process and status, open tasks, open incidents."""
        authorization.require_operations_reader(by)
        with self.transaction() as s:
            instances = s.execute(select(Instance.definition_key, Instance.status, func.count())
                                  .group_by(Instance.definition_key, Instance.status)).all()
            tasks = s.execute(select(Task.definition_key, func.count()).where(Task.status == "open")
                              .group_by(Task.definition_key)).all()
            overdue = s.scalar(select(func.count()).select_from(Task).where(
                Task.status == "open", Task.due_at.is_not(None), Task.due_at < self.clock.now()))
            incidents = s.scalar(select(func.count()).select_from(Incident).where(Incident.status == "open"))
            now = self.clock.now()
            jobs = s.execute(select(Job.kind, Job.status, func.count()).where(
                Job.status.in_(("waiting", "running", "failed"))).group_by(Job.kind, Job.status)).all()
            oldest_due = s.scalar(select(func.min(Job.due_at)).where(
                Job.status == "waiting", Job.kind != "external", Job.due_at <= now))
            workers = s.scalar(select(func.count()).select_from(WorkerHeartbeat).where(
                WorkerHeartbeat.seen_at >= now - timedelta(seconds=30)))
        return {
            "instances": [{"definition_key": k, "status": st, "count": n} for k, st, n in instances],
            "open_tasks": [{"definition_key": k, "count": n} for k, n in tasks],
            "overdue_tasks": overdue or 0,
            "open_incidents": incidents or 0,
            # Queue depth by kind and status, and how late the most overdue due job is:
            # with healthy workers the lag stays well under a second.
            "jobs": [{"kind": k, "status": st, "count": n} for k, st, n in jobs],
            "job_lag_seconds": (now - oldest_due).total_seconds() if oldest_due else 0.0,
            "live_workers": workers or 0,
        }

    # -- audit -----------------------------------------------------------------------------------
    def audit_events(self, by: Actor, *, instance_id: str | None = None, actor: str | None = None,
                     type: str | None = None, since: datetime | None = None, until: datetime | None = None,
                     definition_key: str | None = None, business_key: str | None = None,
                     limit: int | None = None, cursor: str | None = None) -> Page:
        authorization.require_auditor(by)
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, int)
        query = AuditQuery(instance_id, actor, type, definition_key, business_key, since, until)
        with self.transaction() as s:
            rows = self.audit.read(s, query.statement(int(after[0]) if after else None).limit(limit + 1))
            return page_of(rows, limit, views.event_view, lambda e: (e.event.seq,))

    def export_audit(self, by: Actor, format: str, *, instance_id: str | None = None, actor: str | None = None,
                     type: str | None = None, since: datetime | None = None, until: datetime | None = None,
                     definition_key: str | None = None, business_key: str | None = None) -> Iterator[str]:
        """Every matching event as CSV or JSON lines, streamed (see audit/search.py).

        Permission is checked here, before the first chunk, so a refusal is a 403 and
        not a broken download."""
        authorization.require_auditor(by)
        query = AuditQuery(instance_id, actor, type, definition_key, business_key, since, until)
        return audit_search.export(self.transaction, self.audit, query, format, views.event_view)

    def verify_audit(self, by: Actor = SYSTEM, instance_id: str | None = None) -> dict[str, Any]:
        """Recompute every hash chain, or one instance's (checked against its newest anchor);
        ``ok`` false names the first broken event."""
        authorization.require_auditor(by)
        with self.transaction() as s:
            return audit_verify.verify(s, instance_id).view()

    def anchor_audit(self) -> int:
        """Anchor the instance chains that moved into the global chain (workers call this)."""
        with self.transaction() as s:
            return audit_anchor.anchor(s, self.audit)

    def touched_instances(self, username: str, by: Actor, limit: int | None = None,
                          cursor: str | None = None) -> Page:
        """The instances a user acted on, with how often and when first and last."""
        authorization.require_auditor(by)
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, str)
        with self.transaction() as s:
            rows = audit_search.touched_instances(s, username, limit + 1, after)
            return page_of(rows, limit, lambda r: {**r, "first_at": _iso(r["first_at"]), "last_at": _iso(r["last_at"])},
                           lambda r: (r["instance_id"],))

    def instance_definition(self, instance_id: str, by: Actor) -> dict[str, Any]:
        """The exact sources (BPMN, YAML, DMN, forms) of the version an instance ran on."""
        authorization.require_instance_reader(by)
        with self.transaction() as s:
            instance = self.instances.get(s, instance_id)
            authorization.check_instance_visible(s, by, instance)
            definition = self.repository.by_id(s, instance.definition_id)
            return {**_definition_summary(definition), "instance_id": instance.id,
                    "sources": self._sources(s, definition)}

    def definition_sources(self, key: str, version: int | None = None, by: Actor = SYSTEM) -> list[dict[str, Any]]:
        """A version's source files (YAML, BPMN, DMN, forms), as deployed; readable like the
        definition itself, by every authenticated user."""
        with self.transaction() as s:
            return self._sources(s, self.repository.get(s, key, version))

    def _sources(self, s: Session, definition: Definition) -> list[dict[str, Any]]:
        manifest = definition.manifest
        files: list[tuple[str, str, str]] = []
        for kind in ("yaml", "bpmn", "dmn", "decision_yaml"):
            files.extend((kind, name, sha) for name, sha in sorted(manifest.get(kind, {}).items()))
        for name, (schema_sha, ui_sha) in sorted(manifest.get("forms", {}).items()):
            files.append(("form", name, schema_sha))
            if ui_sha:
                files.append(("form_ui", name, ui_sha))
        return [{"kind": kind, "name": name, "sha256": sha,
                 "content": self.repository.resource(s, sha).decode("utf-8", errors="replace")}
                for kind, name, sha in files]

    def kpi_report(self, by: Actor, definition_key: str | None = None, since: datetime | None = None,
                   until: datetime | None = None) -> dict[str, Any]:
        authorization.require_report_reader(by)
        with self.transaction() as s:
            report = kpis.kpi_report(s, self.clock.now(), definition_key, since, until)
        return values.to_plain(report)

    def controls_report(self, by: Actor, definition_key: str, since: datetime | None = None,
                        until: datetime | None = None) -> dict[str, Any]:
        authorization.require_auditor(by)
        with self.transaction() as s:
            self.repository.get(s, definition_key, None)  # 404 for an unknown process
            report = controls.controls_report(s, self.audit, definition_key, since, until)
        return values.to_plain(report)

    def apply_retention(self, by: Actor, days: int | None = None) -> dict[str, Any]:
        """Erase the history payloads of instances finished more than ``days`` ago."""
        authorization.require_admin(by, "apply history retention")
        days = self.settings.history_retention_days if days is None else days
        if days <= 0:
            raise InvalidData([FieldError("/days", "retention needs a positive number of days "
                                                   "(FLOWDESK_HISTORY_RETENTION_DAYS or days=...)")])
        with self.transaction() as s:
            return retention.retain(s, self.audit, by.username, self.clock.now() - timedelta(days=days))

    def erase_instance_history(self, instance_id: str, by: Actor, reason: str) -> dict[str, Any]:
        """Erase one finished instance's history payloads (e.g. a lawful erasure request)."""
        authorization.require_admin(by, "erase an instance's history")
        if not reason or not reason.strip():
            raise InvalidData([FieldError("/reason", "an erasure must give its reason")])
        with self.transaction() as s:
            instance = self.instances.get(s, instance_id)
            if instance.status not in retention.FINISHED:
                raise Conflict(f"instance {instance_id} is {instance.status}: only finished instances are erased")
            return retention.erase_instance(s, self.audit, by.username, instance, reason.strip())

    # -- idempotency -----------------------------------------------------------------------------
    def idempotency_begin(self, username: str, key: str, request_fingerprint: str) -> StoredResponse | None:
        with self.transaction() as s:
            return self.idempotency.begin(s, username, key, request_fingerprint)

    def idempotency_finish(self, username: str, key: str, response: StoredResponse) -> None:
        with self.transaction() as s:
            self.idempotency.finish(s, username, key, response)

    def idempotency_release(self, username: str, key: str) -> None:
        with self.transaction() as s:
            self.idempotency.release(s, username, key)


    # -- preflights ------------------------------------------------------------------------------
    # The checks an action makes before it looks at the content, in the contract's order (404,
    # 403, separation of duties, 409). The API runs one when a body does not fit its schema, so
    # that such a request gets the answer the action itself would have given first.
    def check_user(self, username: str, by: Actor) -> None:
        authorization.require_admin(by, "manage users")
        with self.transaction() as s:
            if s.get(User, username) is None:
                raise NotFound(f"user '{username}' does not exist")

    def check_start(self, key: str, version: int | None, by: Actor) -> None:
        authorization.require_starter_role(by)
        with self.transaction() as s:
            authorization.check_may_start(by, self.repository.info(self.repository.get(s, key, version)))

    def check_cancel(self, instance_id: str, by: Actor) -> None:
        with self.transaction() as s:
            instance = self.instances.get(s, instance_id)
            authorization.check_may_cancel(s, by, instance)
            if instance.status in {"completed", "cancelled"}:
                raise Conflict(f"instance {instance_id} is already {instance.status}")

    def check_assign(self, task_id: str, by: Actor) -> None:
        authorization.require_task_assigner(by)

        def act(s: Session) -> None:
            task = self._visible_task(s, task_id, by)
            authorization.check_may_assign(by, task)
            if task.status != "open":
                raise Conflict(f"task '{task.name}' is {task.status}")

        self._task_action(act, task_id, by, view=False)

    def check_complete(self, task_id: str, by: Actor) -> None:
        authorization.require_task_worker(by)
        self._task_action(lambda s: self.tasks.check_can_complete(s, self._visible_task(s, task_id, by), by),
                          task_id, by, view=False)

# Event types that mean "this element has run" on an instance diagram.
COMPLETING_EVENTS = ("task.completed", "gateway.taken", "decision.evaluated", "service.completed",
                     "timer.fired", "message.correlated")


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _definition_summary(definition: Definition) -> dict:
    info = definition.info or {}
    return {"key": definition.key, "name": definition.name, "version": definition.version,
            "deployed_at": _iso(definition.deployed_at), "name_i18n": info.get("name_i18n", {}),
            "documentation": info.get("documentation"), "documentation_i18n": info.get("documentation_i18n", {})}


def _user_view(user: User, groups: Sequence[str]) -> dict:
    groups = sorted(groups)
    return {"username": user.username, "groups": groups, "roles": sorted(set(groups) & ROLE_GROUPS),
            "active": user.active, "created_at": _iso(user.created_at)}


def _incident_view(incident: Incident) -> dict:
    return {"id": incident.id, "instance_id": incident.instance_id, "element_id": incident.element_id,
            "task_id": incident.task_id, "kind": incident.kind, "message": incident.message,
            "status": incident.status, "created_at": _iso(incident.created_at),
            "resolved_at": _iso(incident.resolved_at)}


