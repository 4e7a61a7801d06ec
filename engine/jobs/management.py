"""The management service: the operators' view of background work and what stopped.

Camunda's ManagementService in Flowdesk's terms: jobs by status, incidents and their
retry, the numbers ``/metrics`` publishes, and the health check. Reading is for
designers, auditors and admins; retrying is for admins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..context import EngineContext
from ..errors import FieldError, FlowdeskError, InvalidData
from ..identity import authorization
from ..identity.actors import Actor
from ..instances.calls import MAX_CALL_DEPTH
from ..instances.incidents import Incidents
from ..instances.lifecycle import Lifecycle
from ..instances.views import instance_view
from ..pagination import Keyset, Page
from ..persistence.models import Incident, Instance, Job, Task, WorkerHeartbeat
from ..status import IncidentStatus, JobKind, JobStatus, TaskStatus
from . import health
from .views import CallerView, incident_view, job_view

#: How many incidents one bulk retry takes (each is a step of its own).
MAX_RETRIES_AT_ONCE = 500
# Soonest due first: in a queue that fell behind, the most overdue job leads the list.
_SOONEST_DUE_FIRST_JOBS = Keyset((Job.due_at, Job.id), (False, False), (datetime, str))
_OLDEST_FIRST_INCIDENTS = Keyset((Incident.created_at, Incident.id), (False, False), (datetime, str))
# A worker whose heartbeat is older than this is not counted as live.
LIVE_WORKER_SECONDS = 30


def _of(model: type[Job] | type[Incident], instance_id: str | None, status: str | None):
    """Rows of ``model`` (jobs or incidents), of one instance and in one status when given."""
    stmt = select(model)
    if instance_id is not None:
        stmt = stmt.where(model.instance_id == instance_id)
    if status is not None:
        stmt = stmt.where(model.status == status)
    return stmt


class ManagementService:
    def __init__(self, context: EngineContext) -> None:
        self._ctx = context
        self._lifecycle = Lifecycle(context.clock, context.definitions, context.executions, context.steps)
        self._incidents = Incidents(context.clock, context.executions, context.steps, context.audit)

    def health(self) -> dict[str, Any]:
        """Readiness: the database, the broker when configured, live workers (see jobs/health.py;
        no authentication: load balancers ask)."""
        return health.readiness(self._ctx)

    @staticmethod
    def liveness() -> dict[str, str]:
        return health.liveness()

    def list_jobs(self, *, by: Actor, instance_id: str | None = None, status: str | None = None,
                  limit: int | None = None, cursor: str | None = None) -> Page:
        """Background work: due and running timers, service calls and message deliveries,
        the most overdue first."""
        authorization.require_operations_reader(by)
        with self._ctx.transaction() as session:
            return _SOONEST_DUE_FIRST_JOBS.page(session, _of(Job, instance_id, status), limit, cursor, job_view)

    def list_incidents(self, *, by: Actor, instance_id: str | None = None, status: str | None = None,
                       limit: int | None = None, cursor: str | None = None) -> Page:
        """Failed steps, oldest first, each with the instances that called the failed one
        (a called process's incident holds up its callers, which only wait)."""
        authorization.require_operations_reader(by)
        with self._ctx.transaction() as session:
            page = _OLDEST_FIRST_INCIDENTS.page(session, _of(Incident, instance_id, status), limit, cursor,
                                                incident_view)
            callers = callers_of(session, {i["instance_id"] for i in page.items})
            return Page([{**i, "called_by": callers.get(i["instance_id"], [])} for i in page.items],
                        page.next_cursor)

    def retry_incident(self, incident_id: str, *, by: Actor) -> dict[str, Any]:
        """Retry what an incident stopped: a failed script runs again, a service call gets
        fresh attempts. The incident is resolved and the instance is running again."""
        authorization.require_admin(by, "retry incidents")
        with self._ctx.transaction() as session:
            incident = self._incidents.retry(session, incident_id, by)
            instance = self._lifecycle.get(session, incident.instance_id)
            return {"incident": incident_view(incident),
                    "instance": instance_view(instance, *self._lifecycle.open_tasks(session, instance.id))}

    def retry_incidents(self, incident_ids: Sequence[str], *, by: Actor, dry_run: bool = False) -> list[dict[str, Any]]:
        """Retry several incidents (after an outage fixed outside, say), each in its own
        transaction as :meth:`retry_incident` does, so one that cannot be retried (resolved
        meanwhile, its instance cancelled) does not hold back the others: a result per id.
        ``dry_run`` makes only the permission check (the API's 403 comes before its 422)."""
        authorization.require_admin(by, "retry incidents")
        if dry_run:
            return []
        wanted = list(dict.fromkeys(incident_ids))
        if not wanted or len(wanted) > MAX_RETRIES_AT_ONCE:
            raise InvalidData([FieldError("/ids", f"name between 1 and {MAX_RETRIES_AT_ONCE} incidents")])
        results: list[dict[str, Any]] = []
        for incident_id in wanted:
            try:
                retried = self.retry_incident(incident_id, by=by)
            except FlowdeskError as refused:
                results.append({"id": incident_id, "ok": False, "status": refused.status, "detail": refused.detail})
            else:
                results.append({"id": incident_id, "ok": True, "status": 200,
                                "instance_status": retried["instance"]["status"]})
        return results

    def metrics(self, *, by: Actor) -> dict[str, Any]:
        """Counts for monitoring: instances by process and status, open tasks, open incidents,
        queue depth by kind and status, how late the most overdue job is, live workers."""
        authorization.require_operations_reader(by)
        now = self._ctx.clock.now()
        with self._ctx.transaction() as session:
            instances = session.execute(select(Instance.definition_key, Instance.status, func.count())
                                        .group_by(Instance.definition_key, Instance.status)).all()
            tasks = session.execute(select(Task.definition_key, func.count()).where(Task.status == TaskStatus.OPEN)
                                    .group_by(Task.definition_key)).all()
            overdue = session.scalar(select(func.count()).select_from(Task).where(
                Task.status == TaskStatus.OPEN, Task.due_at.is_not(None), Task.due_at < now))
            incidents = session.scalar(select(func.count()).select_from(Incident)
                                       .where(Incident.status == IncidentStatus.OPEN))
            jobs = session.execute(select(Job.kind, Job.status, func.count()).where(
                Job.status.in_((JobStatus.WAITING, JobStatus.RUNNING, JobStatus.FAILED)))
                .group_by(Job.kind, Job.status)).all()
            oldest_due = session.scalar(select(func.min(Job.due_at)).where(
                Job.status == JobStatus.WAITING, Job.kind != JobKind.EXTERNAL, Job.due_at <= now))
            workers = session.scalar(select(func.count()).select_from(WorkerHeartbeat).where(
                WorkerHeartbeat.seen_at >= now - timedelta(seconds=LIVE_WORKER_SECONDS)))
        return {
            "instances": [{"definition_key": k, "status": st, "count": n} for k, st, n in instances],
            "open_tasks": [{"definition_key": k, "count": n} for k, n in tasks],
            "overdue_tasks": overdue or 0,
            "open_incidents": incidents or 0,
            # With healthy workers the lag stays well under a second.
            "jobs": [{"kind": k, "status": st, "count": n} for k, st, n in jobs],
            "job_lag_seconds": (now - oldest_due).total_seconds() if oldest_due else 0.0,
            "live_workers": workers or 0,
        }


def callers_of(session: Session, instance_ids: set[str]) -> dict[str, list[CallerView]]:
    """For each instance, the chain of instances that called it, nearest first: one query
    per level of calls (at most ``MAX_CALL_DEPTH``), whatever the number of instances."""
    parent_of: dict[str, str | None] = {}
    key_of: dict[str, str] = {}
    frontier = set(instance_ids)
    for _ in range(MAX_CALL_DEPTH + 1):
        if not frontier:
            break
        rows = session.execute(select(Instance.id, Instance.parent_instance_id, Instance.definition_key)
                               .where(Instance.id.in_(frontier))).all()
        frontier = set()
        for id_, parent, key in rows:
            parent_of[id_], key_of[id_] = parent, key
            if parent and parent not in parent_of:
                frontier.add(parent)
    chains: dict[str, list[CallerView]] = {}
    for instance_id in instance_ids:
        chain: list[CallerView] = []
        current = parent_of.get(instance_id)
        while current and current in key_of and len(chain) <= MAX_CALL_DEPTH:
            chain.append({"instance_id": current, "definition_key": key_of[current]})
            current = parent_of.get(current)
        chains[instance_id] = chain
    return chains
