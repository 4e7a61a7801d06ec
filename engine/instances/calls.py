"""Called processes as instances of their own (call activities).

A call activity waits (see runtime/calls.py) while Flowdesk runs the called process as
a *child* instance: its own row with ``parent_instance_id``, the latest deployed version
of the called process at that moment (and it keeps that version), its own inbox rows,
jobs, incidents and history. All of it happens inside the step that reached the call
activity, and a child's last step hands its output to the parent and runs the parent on
in the *same transaction*: the child cannot be stored completed while its parent still
waits for it (a crash between two transactions would strand the parent for ever), and the
parent's row version check makes a concurrent step of the parent lose as any other
concurrent writer does, so nothing is handed back twice. A job would have added a window
in which the child is finished and the parent is not, for no gain: the parent's step is as
cheap as the child's.

The step writer calls :class:`CalledInstances` twice per step: before it writes (start the
children the workflow asks for; a child that ends at once is handed back at once) and
after (cancel children whose call activity is gone, e.g. the parent was cancelled or an
interrupting boundary event took the token; hand a completed child's output, or the error
it raised, to its parent).
"""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import values
from ..history.audit import EventRecord
from ..identity.actors import Actor
from ..persistence.models import Definition, Incident, Instance
from ..repository.store import DefinitionStore
from ..runtime import Execution
from ..status import FINISHED, IncidentStatus, InstanceStatus
from .loader import ExecutionLoader
from .views import ChildSummary, child_summary

# A process that calls itself without end would otherwise recurse until Python gives up.
MAX_CALL_DEPTH = 50


class CalledInstances:
    def __init__(self, definitions: DefinitionStore, executions: ExecutionLoader, steps, lifecycle) -> None:
        self.definitions = definitions
        self.executions = executions
        self.steps = steps
        self.lifecycle = lifecycle
        # Per thread (the step writer serves every request of the process): the children being
        # started inside their parent's step (as many as calls are nested), whose result the
        # parent takes itself.
        self._local = threading.local()

    @property
    def _inline(self) -> set[str]:
        if not hasattr(self._local, "inline"):
            self._local.inline = set()
        return self._local.inline

    # -- before the step is written ----------------------------------------------------------------
    def start_children(self, session: Session, parent: Instance, execution: Execution,
                       actor: str) -> list[EventRecord]:
        """Start a child for every call activity that asks for one, until none does (a child
        that ends at once lets the parent run on, maybe into the next call activity)."""
        events: list[EventRecord] = []

        def event(type_: str, element_id: str, task_id: str, payload: dict) -> None:
            events.append(EventRecord(type_, actor, parent.id, parent.definition_key, parent.definition_version,
                                      element_id, task_id, payload))

        # One at a time: a child that hands something back moves the parent, which may cancel
        # (an interrupting boundary event) or add call activities that wait for a child.
        while execution.failure is None and (requests := execution.call_requests()):
            request = requests[0]
            definition = self.definitions.latest(session, request.process_key, required=False)
            if definition is None or len(self._inline) >= MAX_CALL_DEPTH:
                why = (f"the called process '{request.process_key}' is not deployed" if definition is None
                       else f"calls are nested deeper than {MAX_CALL_DEPTH} instances")
                execution.fail_call(request.task_id, why)
                break
            child, child_execution = self._start(session, parent, definition, request, actor)
            execution.call_started(request.task_id, child.id)
            event("call.started", request.element_id, request.task_id, {
                "instance_id": child.id, "definition_key": definition.key, "definition_version": definition.version})
            self._hand_back(child, child_execution, execution, event)
        return events

    def _start(self, session: Session, parent: Instance, definition: Definition, request, actor: str):
        child = Instance(
            id=str(uuid.uuid4()), definition_id=definition.id, definition_key=definition.key,
            definition_version=definition.version, business_key=parent.business_key,
            status=InstanceStatus.RUNNING, started_by=parent.started_by, started_at=self.steps.clock.now(),
            parent_instance_id=parent.id, state={}, data={}, active_elements=[],
        )
        session.add(child)
        session.flush()  # the row exists before tasks and incidents refer to it
        execution = self.executions.start_called(definition, request.data, parent.business_key)
        started = EventRecord("instance.started", actor, child.id, definition.key, definition.version,
                              request.element_id, None, {
                                  "business_key": parent.business_key, "parent_instance_id": parent.id,
                                  "call_activity": request.element_id, "data": values.encode(request.data)})
        self._inline.add(child.id)
        try:
            self.steps.write(session, child, definition, execution, actor, [started])
        finally:
            self._inline.discard(child.id)
        return child, execution

    @staticmethod
    def _hand_back(child: Instance, child_execution: Execution, execution: Execution, event) -> bool:
        """Give the parent's waiting call activity what the child's step left for it: the
        errors and escalations the child did not catch (to the call's boundary events) and,
        once the child completed, its output. False when there was nothing to give."""
        completed = child.status == InstanceStatus.COMPLETED
        if not completed and not child_execution.raised:
            return False
        for kind, code, payload in child_execution.raised:
            task_id = execution.waiting_calls().get(child.id)
            if task_id is not None and execution.raise_from_call(child.id, kind, code, payload):
                event(f"call.{kind}", None, task_id, {"instance_id": child.id, "code": code})
        task_id = execution.waiting_calls().get(child.id)
        if completed and task_id is not None and execution.failure is None:
            execution.complete_call(child.id, child_execution.call_output())
            event("call.completed", None, task_id, {"instance_id": child.id})
        return True

    # -- after the step is written -----------------------------------------------------------------
    def after_step(self, session: Session, instance: Instance, execution: Execution, actor: str) -> None:
        if execution.may_have_calls:
            self._cancel_orphans(session, instance, execution, actor)
        if instance.parent_instance_id is not None and instance.id not in self._inline \
                and (instance.status == InstanceStatus.COMPLETED or execution.raised):
            self._to_parent(session, instance, execution, actor)

    def _cancel_orphans(self, session: Session, instance: Instance, execution: Execution, actor: str) -> None:
        """Children whose call activity no longer waits (the parent ended or was cancelled,
        a boundary event interrupted the call, an operator cancelled the element) are
        cancelled with it."""
        waiting = execution.waiting_calls()
        for child in session.scalars(select(Instance).where(
                Instance.parent_instance_id == instance.id, Instance.status.not_in(tuple(FINISHED)))):
            if child.id not in waiting and child.id not in self._inline:
                reason = f"its parent instance {instance.id} no longer waits for it ({instance.status})"
                self.lifecycle.cancel(session, child, Actor(actor), reason)

    def _to_parent(self, session: Session, child: Instance, execution: Execution, actor: str) -> None:
        parent = session.get(Instance, child.parent_instance_id)
        if parent is None or parent.status in FINISHED:
            return
        loaded = self.executions.load(session, parent)
        if child.id not in loaded.execution.waiting_calls():
            return
        events: list[EventRecord] = []

        def event(type_: str, element_id, task_id, payload: dict) -> None:
            events.append(EventRecord(type_, actor, parent.id, parent.definition_key, parent.definition_version,
                                      element_id, task_id, payload))

        self._hand_back(child, execution, loaded.execution, event)
        self.steps.write(session, parent, loaded.definition, loaded.execution, actor, events)


def children_of(session: Session, instance_id: str) -> list[ChildSummary]:
    """The instances the call activities of ``instance_id`` started, oldest first, each with
    its open incidents counted (a child that failed shows on its parent)."""
    rows = list(session.scalars(select(Instance).where(Instance.parent_instance_id == instance_id)
                                .order_by(Instance.started_at, Instance.id)))
    if not rows:
        return []
    counts = {instance_id: n for instance_id, n in session.execute(
        select(Incident.instance_id, func.count()).where(
            Incident.instance_id.in_([r.id for r in rows]), Incident.status == IncidentStatus.OPEN)
        .group_by(Incident.instance_id))}
    return [child_summary(r, counts.get(r.id, 0)) for r in rows]
