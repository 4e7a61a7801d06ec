"""Incidents: what stopped an instance, and putting it back on its feet.

Retrying an incident is a deliberate act by an admin: a script or expression that failed
runs again (after, say, a corrected model was migrated or data fixed), a service call
that ran out of attempts gets a fresh set of attempts. The instance is ``running`` again
and the retry is audited as ``incident.resolved``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import Clock
from ..errors import Conflict, NotFound
from ..history.audit import AuditLog, EventRecord
from ..identity.actors import Actor
from ..persistence.models import Incident, Instance, Job
from ..status import FINISHED, IncidentStatus, InstanceStatus, JobStatus
from .loader import ExecutionLoader
from .steps import StepWriter


class Incidents:
    def __init__(self, clock: Clock, executions: ExecutionLoader, steps: StepWriter, audit: AuditLog) -> None:
        self.clock = clock
        self.executions = executions
        self.steps = steps
        self.audit = audit

    def get(self, session: Session, incident_id: str) -> Incident:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"no incident with id '{incident_id}'")
        return incident

    def retry(self, session: Session, incident_id: str, actor: Actor) -> Incident:
        incident = self.get(session, incident_id)
        if incident.status != IncidentStatus.OPEN:
            raise Conflict(f"incident {incident_id} is already {incident.status}")
        instance = session.get(Instance, incident.instance_id)
        if instance.status in FINISHED:
            raise Conflict(f"instance {instance.id} is {instance.status}; its incidents cannot be retried")
        if instance.status == InstanceStatus.SUSPENDED:
            raise Conflict(f"instance {instance.id} is suspended; resume it before retrying its incidents")
        now = self.clock.now()
        incident.status, incident.resolved_at = IncidentStatus.RESOLVED, now
        others_open = session.scalar(select(Incident.id).where(
            Incident.instance_id == instance.id, Incident.status == IncidentStatus.OPEN, Incident.id != incident.id,
        ).limit(1))
        resolved = EventRecord("incident.resolved", actor.username, instance.id, instance.definition_key,
                               instance.definition_version, incident.element_id, incident.task_id,
                               {"incident_id": incident.id, "kind": incident.kind})
        failed_job = session.scalars(select(Job).where(
            Job.instance_id == instance.id, Job.task_id == incident.task_id, Job.status == JobStatus.FAILED,
        )).first() if incident.task_id else None
        if failed_job is not None:
            # A service call: fresh attempts, due now; the instance waits for the worker.
            failed_job.status, failed_job.attempts, failed_job.due_at = JobStatus.WAITING, 0, now
            failed_job.finished_at = failed_job.locked_by = None
            if not others_open:
                instance.status = InstanceStatus.RUNNING
            session.flush()
            self.audit.append(session, [resolved])
            return incident
        definition, execution = self.executions.load(session, instance)
        if not others_open:
            instance.status = InstanceStatus.RUNNING
        execution.retry()
        self.steps.write(session, instance, definition, execution, actor.username, [resolved])
        return incident
