"""The instance service: starting, reading and cancelling instances; messages and signals.

Camunda's RuntimeService in Flowdesk's terms. Every method is one transaction and takes
the acting user, and applies the permission rules of ``identity.authorization`` before it
reads or changes anything, so the API, the web app and the CLI answer alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..context import EngineContext
from ..diagrams.path import executed_path
from ..diagrams.render import render
from ..errors import Conflict, FieldError, InvalidData, NotFound
from ..identity import authorization
from ..identity.actors import Actor
from ..local_time import acting_in, lazy_user_zone
from ..pagination import Keyset, Page
from ..persistence.models import Event, EventPayload, Incident, Instance, Job
from ..records.documents import instances_with_document
from ..status import FINISHED, IncidentStatus, InstanceStatus, JobKind, JobStatus
from .calls import children_of
from .lifecycle import Lifecycle
from .messages import MessageDelivery
from .views import InstanceView, instance_view

# Event types that mean "this element has run" on an instance diagram.
COMPLETING_EVENTS = ("task.completed", "gateway.taken", "decision.evaluated", "service.completed",
                     "timer.fired", "message.correlated", "instance.completed", "instance.cancelled")


@dataclass(frozen=True)
class InstanceDiagram:
    svg: str
    states: dict[str, str]


_NEWEST_FIRST = Keyset((Instance.started_at, Instance.id), (True, False), (datetime, str))


class InstanceService:
    def __init__(self, context: EngineContext) -> None:
        self._ctx = context
        self._lifecycle = Lifecycle(context.clock, context.definitions, context.executions, context.steps)
        self._messages = MessageDelivery(self._lifecycle, context.executions, context.steps)

    # -- starting and cancelling -------------------------------------------------------------------
    def start_instance(self, key: str, data: Mapping[str, Any], *, by: Actor, business_key: str | None = None,
                       version: int | None = None, dry_run: bool = False) -> InstanceView | None:
        """Start a version (default the latest) with ``data`` checked against its start form.

        ``dry_run`` makes only the checks that come before the data (404, 403, 409) and
        starts nothing: what the API answers first when a body does not fit its schema."""
        authorization.require_starter_role(by)
        with self._ctx.transaction() as session:
            definition = self._lifecycle.check_start(session, key, version, by)
            if dry_run:
                return None
            with acting_in(lazy_user_zone(session, by.username, self._ctx.settings.time_zone)):
                instance, step = self._lifecycle.start(session, definition, data, by, business_key)
            return instance_view(instance, step.open_tasks, step.open_total)

    def cancel_instance(self, instance_id: str, *, by: Actor, reason: str,
                        dry_run: bool = False) -> InstanceView | None:
        """Cancel an instance: admins any, with a reason; a starter their own (``dry_run``:
        the checks before the reason only)."""
        with self._ctx.transaction() as session:
            instance = self._lifecycle.get(session, instance_id)
            authorization.check_may_cancel(session, by, instance)
            self._lifecycle.check_cancellable(instance)
            parent = session.get(Instance, instance.parent_instance_id) if instance.parent_instance_id else None
            if parent is not None and parent.status not in FINISHED:
                # its parent would wait in the call activity for ever: cancel the parent (which
                # cancels its children), or repair the parent's call activity
                raise Conflict(f"instance {instance.id} was called by instance {parent.id}, which waits for it: "
                               "cancel that one instead")
            if dry_run:
                return None
            if authorization.has_role(by, authorization.ADMIN) and not authorization.is_system(by) \
                    and not (reason or "").strip():
                raise InvalidData([FieldError("/reason", "an admin cancelling an instance must give a reason")])
            self._lifecycle.cancel(session, instance, by, reason)
            return instance_view(instance, [])

    # -- reading -----------------------------------------------------------------------------------
    def get_instance(self, instance_id: str, *, by: Actor) -> InstanceView:
        authorization.require_instance_reader(by)
        with self._ctx.transaction() as session:
            instance = self._lifecycle.get(session, instance_id)
            authorization.check_instance_visible(session, by, instance)
            view = instance_view(instance, *self._lifecycle.open_tasks(session, instance.id))
            view["children"] = children_of(session, instance.id)
            view["withdrawn"] = bool(_withdrawn(session, [instance]))
            return view

    def list_instances(self, *, by: Actor, definition_key: str | None = None, status: str | None = None,
                       business_key: str | None = None, started_by: str | None = None,
                       limit: int | None = None, cursor: str | None = None, document: str | None = None,
                       parent_instance_id: str | None = None, top_level: bool = False) -> Page:
        """The instances the actor may read, newest first. ``document``: any part of a document
        number the instance carries (its business key, or a linked record's number);
        ``parent_instance_id``: the instances a call activity of that instance started;
        ``top_level``: none of those (a person's requests, not the processes they called)."""
        authorization.require_instance_reader(by)
        stmt = select(Instance).where(authorization.visible_instances(by))
        if document:
            stmt = stmt.where(Instance.id.in_(instances_with_document(document)))
        if top_level:
            stmt = stmt.where(Instance.parent_instance_id.is_(None))
        for column, value in ((Instance.definition_key, definition_key), (Instance.status, status),
                              (Instance.business_key, business_key), (Instance.started_by, started_by),
                              (Instance.parent_instance_id, parent_instance_id)):
            if value is not None:
                stmt = stmt.where(column == value)
        with self._ctx.transaction() as session:
            rows, next_cursor, limit = _NEWEST_FIRST.rows(session, stmt, limit, cursor)
            shown = rows[:limit]
            open_tasks = self._lifecycle.open_tasks_of(session, [r.id for r in shown])
            withdrawn = _withdrawn(session, shown)
            return Page([{**instance_view(i, *open_tasks.get(i.id, ([], 0))), "withdrawn": i.id in withdrawn}
                         for i in shown], next_cursor(lambda i: (i.started_at, i.id)))

    def status_counts(self, *, by: Actor, started_by: str | None = None) -> dict[str, int]:
        """How many instances the actor may read are in each status (of ``started_by``'s
        requests when given); ``withdrawn`` counts the cancelled ones their starter called off,
        which ``cancelled`` includes."""
        authorization.require_instance_reader(by)
        visible = [authorization.visible_instances(by)]
        if started_by is not None:
            visible.append(Instance.started_by == started_by)
        with self._ctx.transaction() as session:
            counts = {str(status): n for status, n in session.execute(
                select(Instance.status, func.count()).where(*visible).group_by(Instance.status))}
            cancelled = dict(session.execute(select(Instance.id, Instance.started_by).where(
                *visible, Instance.status == InstanceStatus.CANCELLED)).all())
            counts["withdrawn"] = len(_withdrawn_ids(session, cancelled))
        return counts

    def instance_diagram(self, instance_id: str, *, by: Actor, locale: str | None = None,
                         names: Mapping[str, str] | None = None) -> InstanceDiagram:
        """The diagram of an instance's version as SVG, with its elements marked by state
        (element id -> ``completed``, ``active`` or ``failed``), its names in ``locale``
        where the model translates them (and ``names``, id -> name, for lanes' groups)."""
        authorization.require_instance_reader(by)
        with self._ctx.transaction() as session:
            instance = self._lifecycle.get(session, instance_id)
            authorization.check_instance_visible(session, by, instance)
            definition = self._ctx.definitions.by_id(session, instance.definition_id)
            states: dict[str, str] = {}
            done = session.scalars(select(Event.element_id).where(
                Event.instance_id == instance_id, Event.element_id.is_not(None), Event.type.in_(COMPLETING_EVENTS)))
            states.update((element, "completed") for element in done)
            if instance.status in {InstanceStatus.RUNNING, InstanceStatus.FAILED, InstanceStatus.SUSPENDED}:
                states.update((element, "active") for element in instance.active_elements)
            failed = session.scalars(select(Incident.element_id).where(
                Incident.instance_id == instance_id, Incident.status == IncidentStatus.OPEN,
                Incident.element_id.is_not(None)))
            states.update((element, "failed") for element in failed)
            _name, bpmn = self._ctx.definitions.bpmn(session, definition)
            taken: dict[str, set[str]] = {}
            gateways = (select(Event.element_id, EventPayload.content)
                        .join(EventPayload, EventPayload.hash == Event.payload_hash)
                        .where(Event.instance_id == instance_id, Event.type == "gateway.taken"))
            for gateway, content in session.execute(gateways):
                target = content.get("target") if isinstance(content, dict) else None
                taken.setdefault(gateway, set()).update([target] if isinstance(target, str) else [])
        # Script tasks, start events and the flows between leave no event: inferred from the rest.
        states = executed_path(bpmn, instance.definition_key, states, taken)
        return InstanceDiagram(render(bpmn, instance.definition_key, states, locale, names), states)

    def has_work_due(self, instance_id: str, *, by: Actor) -> bool:
        """Whether a worker is about to move the instance on: a job due now or running (not a
        timer weeks away). Readable by whoever may read the instance."""
        authorization.require_instance_reader(by)
        with self._ctx.transaction() as session:
            authorization.check_instance_visible(session, by, self._lifecycle.get(session, instance_id))
            due = select(Job.id).where(Job.instance_id == instance_id, Job.kind != JobKind.EXTERNAL, (
                (Job.status == JobStatus.RUNNING)
                | ((Job.status == JobStatus.WAITING) & (Job.due_at <= self._ctx.clock.now()))))
            return session.scalar(due.limit(1)) is not None

    # -- messages and signals ----------------------------------------------------------------------
    def send_message(self, name: str, correlation: Mapping[str, Any], data: Mapping[str, Any], *,
                     by: Actor) -> dict[str, list[str]]:
        """Deliver a message from outside to every waiting instance whose correlation values
        match, or start the processes whose message start event has this name."""
        authorization.require_messenger(by)
        with self._ctx.transaction() as session:
            with acting_in(lazy_user_zone(session, by.username, self._ctx.settings.time_zone)):
                reached = self._messages.deliver(session, name, dict(correlation), dict(data), None,
                                                 single=False, actor=by, from_outside=True)
            if not reached:
                raise NotFound(f"nothing waits for message '{name}' with these correlation values, "
                               "and no process starts on it")
        return {
            "correlated_instances": [r["instance_id"] for r in reached if not r["started"]],
            "started_instances": [r["instance_id"] for r in reached if r["started"]],
        }

    def send_signal(self, name: str, data: Mapping[str, Any], *, by: Actor) -> dict[str, list[str]]:
        """Broadcast a signal to every instance waiting for it."""
        authorization.require_messenger(by)
        with self._ctx.transaction() as session:
            reached = self._messages.broadcast_signal(session, name, dict(data), by)
        return {"instances": [r["instance_id"] for r in reached]}


def _withdrawn(session: Session, instances: list[Instance]) -> set[str]:
    return _withdrawn_ids(session, {i.id: i.started_by for i in instances if i.status == InstanceStatus.CANCELLED})


def _withdrawn_ids(session: Session, starters: dict[str, str | None]) -> set[str]:
    """Of these cancelled instances (id -> starter), the ones their starter called off: cancelled
    by them, or run to an end event that cancels after a task they completed last (withdrawing
    a returned request; the end may come a background step later)."""
    if not starters:
        return set()
    last_completer: dict[str, str | None] = {}
    withdrawn = set()
    rows = session.execute(select(Event.instance_id, Event.type, Event.actor, Event.element_id).where(
        Event.instance_id.in_(starters), Event.type.in_(("task.completed", "instance.cancelled"))).order_by(Event.seq))
    for instance_id, type_, actor, element_id in rows:
        if type_ == "task.completed":
            last_completer[instance_id] = actor
            continue
        by = actor if element_id is None else last_completer.get(instance_id)  # element: the end event
        if by is not None and by == starters[instance_id]:
            withdrawn.add(instance_id)
    return withdrawn
