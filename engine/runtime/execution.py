"""Running one instance until it waits, and reporting what happened as plain data.

An :class:`Execution` wraps a SpiffWorkflow workflow for the length of one step. The
rest of Flowdesk sees only what it returns: human tasks as :class:`ReadyTask`, the
things worth auditing as :class:`RuntimeEvent`, a failure as :class:`Failure`, and the
state as a JSON-able dict. No SpiffWorkflow type leaves this package.
"""

from __future__ import annotations

import ast
import copy
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent as EndEventMixin
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from ..clock import Clock, SystemClock
from ..errors import Conflict, FlowdeskError
from . import calls, overrides
from . import clock as spiff_clock
from .acting import acts as _acts
from .cache import WORKFLOWS, dismantle, estimate_bytes
from .calls import CalledInstanceActivity, CallsMixin
from .decisions import DecisionTask, evaluated_payload
from .pruning import prune
from .results import (
    Failure,
    MessageWait,
    ReadyTask,
    RuntimeEvent,
    ServiceCall,
    ThrownMessage,
    TimerWait,
    root_cause,
)
from .scripting import BUSINESS_KEY, SandboxScriptEngine
from .serialization import spec_from_dict, state_from_dict, state_to_dict_stable
from .service import SERVICE_CALL, DeferredServiceTask
from .taskrows import SPLIT_FORMAT, SplitState, assemble, remember_rows, split_state
from .waits import catches_message, event_definitions, waits_for_job

log = logging.getLogger(__name__)
# Signals travel between instances as messages named "signal:NAME" (see messages.py).
SIGNAL_PREFIX = "signal:"

class ProcessRuntime:
    """The parsed spec of one definition version, restored once and shared by its instances."""

    def __init__(self, spec: dict, subprocess_specs: Mapping[str, dict], script_engine=None) -> None:
        overrides.install()  # no workflow runs without them (a no-op once installed)
        self.spec = spec_from_dict(spec)
        self.subprocess_specs = {name: spec_from_dict(s) for name, s in subprocess_specs.items()}
        self.script_engine = script_engine or SandboxScriptEngine()
        specs = [self.spec, *self.subprocess_specs.values()]
        # What the process can wait for in the background, so that a step of a process
        # without any timer/service task or message/signal event skips looking for jobs and
        # subscriptions (see StepWriter._sync_background).
        self.may_have_jobs = any(waits_for_job(t) for s in specs for t in s.task_specs.values())
        self.may_have_subscriptions = any(catches_message(t) for s in specs for t in s.task_specs.values())
        self.may_have_calls = any(isinstance(t, CalledInstanceActivity) for s in specs for t in s.task_specs.values())

    def start(self, data: Mapping[str, Any], clock: Clock | None = None, business_key: str | None = None) -> Execution:
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.script_engine)
        if business_key is not None:
            workflow.data[BUSINESS_KEY] = business_key
        start = workflow.get_next_task(state=TaskState.READY)
        if start is not None:
            start.data.update(data)
        return Execution(workflow, clock, self)

    def start_called(self, data: Mapping[str, Any], clock: Clock | None = None,
                     business_key: str | None = None) -> Execution:
        """Start an instance of this process called by another one with the caller's data
        (only the data inputs the process declares, when it declares some) and the caller's
        business key (``execution.processBusinessKey`` reads it in the child too)."""
        start_data, missing = calls.starting_data(self.spec, data)
        execution = self.start(start_data, clock, business_key)
        if missing is not None:
            execution.failure = Failure(None, None, f"the data input '{missing}' of the called process "
                                        "is missing from the caller's data", "WorkflowDataException")
        else:
            execution.run()
        return execution

    def resume(self, instance_id: str, version: int, clock: Clock | None = None) -> Execution | None:
        """The instance's workflow as its last committed step left it, if this process
        still holds it at ``version`` (see :mod:`.cache`); else None (restore it)."""
        workflow = WORKFLOWS.take(instance_id, version)
        if workflow is None:
            return None
        if workflow.spec is not self.spec:  # kept for another version of the definition
            dismantle(workflow)
            return None
        workflow.script_engine = self.script_engine
        return Execution(workflow, clock, self)

    def restore(self, state: dict, clock: Clock | None = None, task_rows: list | None = None) -> Execution:
        """A stored state's workflow: one document, or a skeleton and its ``task_rows`` (:mod:`.taskrows`)."""
        entries = None
        if state.get("format") == SPLIT_FORMAT:
            state, entries = assemble(state, task_rows or [])
        workflow = state_from_dict(state, self.spec, self.subprocess_specs)
        if entries is not None:  # its next step writes only what changes
            remember_rows(workflow, task_rows or [], entries)
        workflow.script_engine = self.script_engine
        return Execution(workflow, clock, self)

    def start_by_timer(self, data: Mapping[str, Any], clock: Clock | None = None) -> Execution:
        """Start an instance whose timer start event has just fired (the schedule of start
        timers is Flowdesk's job: each occurrence starts a new instance)."""
        execution = self.start(data, clock)
        execution.run()
        workflow = execution._wf
        for task in list(workflow.event_manager.tasks.values()):
            definition = task.task_spec.event_definition
            if isinstance(definition, TimerEventDefinition) and task.parent is workflow.task_tree:
                just_now = ((clock or SystemClock()).now() - timedelta(seconds=1)).isoformat()
                if isinstance(definition, CycleTimerEventDefinition):
                    # One cycle left, due already: SpiffWorkflow runs the outgoing path once,
                    # then sees the cycles exhausted and finishes the start event.
                    task.internal_data["event_value"] = {"cycles": 1, "next": just_now, "duration": 1}
                else:
                    task.internal_data["event_value"] = just_now
        execution.fire_due_timers()
        return execution

    def start_with_message(self, name: str, payload: Any, correlations: dict,
                           clock: Clock | None = None) -> Execution:
        """Start an instance whose message start event catches ``name`` (a signal start
        event for ``signal:NAME``)."""
        execution = self.start({}, clock)
        execution.run()
        execution.deliver_message(name, payload, correlations)
        return execution


@lru_cache(maxsize=4096)
def _names_read(expression: str) -> tuple[str, ...]:
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return ()
    return tuple(sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}))


def _json_safe_snapshot(data: Mapping[str, Any], names: tuple[str, ...]) -> dict:
    return {name: data[name] for name in names if name in data and not callable(data[name])}


class Execution(CallsMixin):
    """One instance's workflow, loaded for a step."""

    def __init__(self, workflow: BpmnWorkflow, clock: Clock | None = None,
                 runtime: ProcessRuntime | None = None) -> None:
        self._wf = workflow
        self._clock = clock or SystemClock()
        # Without a runtime to ask, assume the process may have jobs and subscriptions.
        self.may_have_jobs = runtime.may_have_jobs if runtime is not None else True
        self.may_have_subscriptions = runtime.may_have_subscriptions if runtime is not None else True
        self.may_have_calls = runtime.may_have_calls if runtime is not None else True
        # Error and escalation events no element of this workflow caught: (kind, code, payload).
        self.raised: list[tuple[str, str | None, Any]] = []
        self.events: list[RuntimeEvent] = []
        self.failure: Failure | None = None
        self.thrown: list[ThrownMessage] = []
        self._before: dict[UUID, dict] = {}
        self._stable = False
        self._state_bytes = 0
        self._scanned = None

    # -- reading ---------------------------------------------------------------------------
    @property
    def status(self) -> str:
        if self.failure is not None or self._scan()[3]:
            return "failed"
        return "completed" if self._wf.is_completed() else "running"

    def final_end_event(self) -> str | None:
        """The element id of the end event the process itself (not a subprocess) finished
        at, once it is complete: the one completed last."""
        if not self._wf.is_completed():
            return None
        ends = [t for t in self._wf.get_tasks_iterator(state=TaskState.COMPLETED)
                if t.workflow is self._wf and isinstance(t.task_spec, EndEventMixin)]
        return max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_id if ends else None

    def state(self) -> dict:
        """The state to store: finished history SpiffWorkflow no longer reads is pruned
        first (see :mod:`.pruning`; the audit events already hold it)."""
        prune(self._wf)
        dct, self._stable = state_to_dict_stable(self._wf)
        self._state_bytes = estimate_bytes(dct)
        return dct

    def split_state(self) -> SplitState:
        """:meth:`state` as stored: a skeleton and the task rows that changed (:mod:`.taskrows`)."""
        prune(self._wf)
        split = split_state(self._wf)
        self._stable, self._state_bytes = split.stable, split.size
        return split

    def keep(self, instance_id: str, version: int, finished: bool = False) -> None:
        """Offer the workflow to the cache once its step is committed at ``version``; a
        finished instance's workflow is taken apart instead (no step will ask for it), as is
        one whose state is not cached. The execution is done with once this ran."""
        if self._stable and not finished:
            WORKFLOWS.put(instance_id, version, self._wf, self._state_bytes)
        else:  # nothing older may stand in for a state that is not cached
            WORKFLOWS.discard(instance_id, self._wf)

    def data(self) -> dict:
        if self._wf.is_completed():
            return {k: v for k, v in self._wf.data.items() if k != BUSINESS_KEY}
        last = self._wf.last_task
        return dict(last.data) if last is not None else {}

    def _scan(self) -> tuple[list, list[str], list, bool]:
        """One walk over the live tasks (not one per question): READY human tasks, active elements,
        STARTED service tasks, whether one is in ERROR. Kept until the workflow acts (``_acts``)."""
        if self._scanned is None:
            ready, active, started, failed = [], set(), [], False
            mask = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
            for task in self._wf.get_tasks_iterator(state=mask):
                spec = task.task_spec
                if spec.bpmn_id:
                    active.add(spec.bpmn_id)
                if task.state == TaskState.READY and spec.manual:
                    ready.append(task)
                elif task.state == TaskState.STARTED and isinstance(spec, DeferredServiceTask | CalledInstanceActivity):
                    started.append(task)
                elif task.state == TaskState.ERROR:
                    failed = True
            self._scanned = ready, sorted(active), started, failed
        return self._scanned

    def ready_human_task_ids(self) -> list[str]:
        return [str(t.id) for t in self._scan()[0]]

    def ready_human_task(self, task_id: str) -> ReadyTask:
        t = self._task(task_id)
        return ReadyTask(
            id=str(t.id),
            element_id=t.task_spec.bpmn_id,
            name=t.task_spec.bpmn_name or t.task_spec.bpmn_id,
            lane=t.task_spec.lane,
            process_id=t.workflow.spec.name,
            data=t.data,
        )

    def active_elements(self) -> list[str]:
        return list(self._scan()[1])

    # -- acting ----------------------------------------------------------------------------
    @_acts
    def complete_task(self, task_id: str, data: Mapping[str, Any]) -> None:
        """Complete a READY human task with the submitted data, then run to the next wait."""
        task = self._task(task_id)
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise Conflict(f"task {task_id} is not open (it is {TaskState.get_name(task.state).lower()})")
        task.data.update(data)
        self._step(task)

    @_acts
    def run(self) -> None:
        """Run engine tasks (scripts, gateways, decisions) until the instance waits."""
        try:
            with spiff_clock.using(self._clock):
                self._wf.do_engine_steps(
                    will_complete_task=self._will_complete, did_complete_task=self._did_complete
                )
        except Exception as err:  # any failure of a step is an incident, never a crash
            self._record_failure(err)
        self._collect_thrown()

    def _collect_thrown(self) -> None:
        # get_events() empties SpiffWorkflow's queue: every event it returns is kept here
        # and must be handled by the step writer, or it would be lost.
        for event in self._wf.get_events():
            definition = event.event_definition
            if isinstance(definition, MessageEventDefinition):
                self.thrown.append(ThrownMessage(definition.name, event.payload, dict(event.correlations or {})))
            elif isinstance(definition, SignalEventDefinition):
                # A signal reaches every instance that waits for it (messages.py broadcasts it).
                self.thrown.append(ThrownMessage(SIGNAL_PREFIX + definition.name, event.payload, {}))
            else:
                if isinstance(definition, ErrorEventDefinition | EscalationEventDefinition):
                    kind = "error" if isinstance(definition, ErrorEventDefinition) else "escalation"
                    self.raised.append((kind, definition.code, event.payload))
                self.events.append(RuntimeEvent("event.unhandled", None, None, {
                    "event": type(definition).__name__, "name": getattr(definition, "name", None),
                }))

    # -- background work -------------------------------------------------------------------
    def waiting_timers(self) -> list[TimerWait]:
        waits = []
        for task in self._wf.event_manager.tasks.values():
            definition = next((d for d in event_definitions(task.task_spec.event_definition)
                               if isinstance(d, TimerEventDefinition)), None)
            if definition is None:
                continue
            value = task.internal_data.get("event_value")
            if isinstance(definition, CycleTimerEventDefinition) and isinstance(value, dict):
                if value.get("cycles") == 0:
                    continue
                value = value.get("next")
            if not value:
                continue
            due = datetime.fromisoformat(value)
            due = due if due.tzinfo else due.replace(tzinfo=UTC)
            waits.append(TimerWait(str(task.id), task.task_spec.bpmn_id, due.astimezone(UTC)))
        return waits

    def waiting_messages(self) -> list[MessageWait]:
        """Message and signal catches the instance waits on (signals named ``signal:NAME``)."""
        waits = []
        for task in self._wf.event_manager.tasks.values():
            # an event-based gateway waits for the events of all its branches at once (one
            # wait each: the others get ids derived from the task's)
            found = 0
            for definition in event_definitions(task.task_spec.event_definition):
                wait_id = str(task.id) if not found else str(uuid5(task.id, str(found)))
                if isinstance(definition, MessageEventDefinition):
                    details = definition.details(task)
                    waits.append(MessageWait(wait_id, task.task_spec.bpmn_id, definition.name,
                                             dict(details.correlations or {})))
                    found += 1
                elif isinstance(definition, SignalEventDefinition):
                    waits.append(MessageWait(wait_id, task.task_spec.bpmn_id, f"signal:{definition.name}", {}))
                    found += 1
        # event sub-processes started by a message or signal exist only once it arrives
        for key, start, definition in self._event_subprocess_starts():
            wait_id = str(uuid5(self._wf.task_tree.id, key))
            if isinstance(definition, MessageEventDefinition):
                waits.append(MessageWait(wait_id, start.bpmn_id, definition.name, {}))
            elif isinstance(definition, SignalEventDefinition):
                waits.append(MessageWait(wait_id, start.bpmn_id, f"signal:{definition.name}", {}))
        return waits

    def _event_subprocess_starts(self):
        """(key, start event spec, event definition) of the instance's event sub-processes
        that a message or signal starts (SpiffWorkflow creates them when the event comes)."""
        if self._wf.is_completed():
            return
        for name in getattr(self._wf.spec.start, "trigger_specs", ()):
            sub_spec = self._wf.subprocess_specs.get(name)
            for start in getattr(sub_spec, "bpmn_start_events", ()) if sub_spec is not None else ():
                for definition in event_definitions(start.event_definition):
                    yield f"{name}/{start.name}", start, definition

    def service_calls(self) -> list[ServiceCall]:
        calls = []
        for task in self._scan()[2]:
            if isinstance(task.task_spec, DeferredServiceTask):
                call = task.internal_data.get(SERVICE_CALL)
                if call:
                    calls.append(ServiceCall(str(task.id), task.task_spec.bpmn_id, call["operation"],
                                             call["params"], call["result_variable"], call.get("retries"),
                                             call.get("retry_backoff_base")))
        return calls

    @_acts
    def fire_due_timers(self) -> list[str]:
        """Let every timer that is due by the clock fire, then run on; returns the element
        ids of the timers that fired."""
        before = {t.task_id: t for t in self.waiting_timers()}
        try:
            with spiff_clock.using(self._clock):
                self._wf.refresh_timers()
        except Exception as err:  # any failure of a step is an incident, never a crash
            self._record_failure(err)
            return []
        self.run()
        after = {t.task_id: t for t in self.waiting_timers()}
        fired = [w for task_id, w in before.items() if task_id not in after or after[task_id].due_at != w.due_at]
        for wait in fired:
            self.events.insert(0, RuntimeEvent("timer.fired", wait.element_id, wait.task_id,
                                               {"due_at": wait.due_at.isoformat()}))
        return [w.element_id for w in fired]

    @_acts
    def complete_service(self, task_id: str, result: Any, merge: bool = False) -> None:
        """Record a connector's result on its service task and run on. ``merge`` puts the
        keys of a dict result straight into the task data (how external workers report
        variables) instead of under the task's result variable."""
        task = self._started_service(task_id)
        if merge and isinstance(result, dict):
            task.data.update(result)
        else:
            task.data[task.task_spec.result_variable] = result
        task.internal_data.pop(SERVICE_CALL, None)
        try:
            with spiff_clock.using(self._clock):
                task.complete()
        except Exception as err:  # any failure of a step is an incident, never a crash
            self._record_failure(err)
            return
        self.run()

    @_acts
    def throw_error(self, task_id: str, code: str, message: str | None = None) -> bool:
        """A connector reported a BPMN error: let the model's error boundary event take it.
        Returns False when nothing in the model catches it."""
        task = self._started_service(task_id)
        catcher = self._waiting_definition(ErrorEventDefinition, lambda d: d.code in (None, code))
        if catcher is None:
            return False
        definition = copy.copy(catcher)
        definition.code = code
        event = BpmnEvent(definition, {"code": code, "message": message})
        with spiff_clock.using(self._clock):
            caught = self._wf.event_manager.catch(event, internal=False)
        if caught:
            task.internal_data.pop(SERVICE_CALL, None)
            self.run()
        return bool(caught)

    @_acts
    def deliver_message(self, name: str, payload: Any, correlations: dict) -> bool:
        """Hand a message to this instance; True when a waiting catch event took it. A
        name ``signal:NAME`` delivers the signal NAME."""
        if name.startswith(SIGNAL_PREFIX):
            return self.deliver_signal(name[len(SIGNAL_PREFIX):], payload)
        catcher = self._waiting_definition(MessageEventDefinition, lambda d: d.name == name)
        if catcher is None:
            return False
        return self._catch(BpmnEvent(catcher, payload, correlations or {}))

    @_acts
    def deliver_signal(self, name: str, payload: Any) -> bool:
        catcher = self._waiting_definition(SignalEventDefinition, lambda d: d.name == name)
        if catcher is None:
            return False
        return self._catch(BpmnEvent(catcher, payload))

    def _catch(self, event: BpmnEvent) -> bool:
        """Let a waiting catch event take ``event`` and run on; True when one took it, or
        when taking it failed (the failure is the instance's incident, never a crash)."""
        try:
            with spiff_clock.using(self._clock):
                caught = self._wf.event_manager.catch(event, internal=False)
        except Exception as err:
            self._record_failure(err)
            return True
        if caught:  # an interrupting boundary event cancelled what it sits on; a non-interrupting one did not
            self.run()
        return bool(caught)

    def _waiting_definition(self, kind: type, matches):
        """The event definition of a waiting catch event; events are matched by exact
        class in SpiffWorkflow, so a delivered event must reuse the catcher's own."""
        for task in self._wf.event_manager.tasks.values():
            for definition in event_definitions(task.task_spec.event_definition):
                if isinstance(definition, kind) and matches(definition):
                    return definition
        for _key, _start, definition in self._event_subprocess_starts():
            if isinstance(definition, kind) and matches(definition):
                return definition
        return None

    def _started_service(self, task_id: str):
        task = self._task(task_id)
        if task.state != TaskState.STARTED or not isinstance(task.task_spec, DeferredServiceTask):
            raise Conflict(f"task {task_id} is not waiting for a service call")
        return task

    @_acts
    def retry(self) -> None:
        """Run the tasks that failed again (after an incident was looked at), then go on."""
        self.failure = None
        for task in self._wf.get_tasks(state=TaskState.ERROR):
            task._set_state(TaskState.READY)
        self.run()

    @_acts
    def cancel(self) -> None:
        self._wf.cancel()

    # -- internals -------------------------------------------------------------------------
    def _task(self, task_id: str):
        try:
            task = self._wf.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError, TaskNotFoundException):
            # Not (or no longer) in this state: e.g. a racing step completed it and the
            # pruning of finished history dropped it from the state it committed.
            task = None
        if task is None:
            raise Conflict(f"task {task_id} is not part of this instance's current state")
        return task

    def _step(self, task) -> None:
        try:
            self._will_complete(task)
            with spiff_clock.using(self._clock):
                task.run()
            self._did_complete(task)
        except Exception as err:  # any failure of a step is an incident, never a crash
            self._record_failure(err)
            return
        self.run()

    def _record_failure(self, err: Exception) -> None:
        task = getattr(err, "task", None)
        element_id = task.task_spec.bpmn_id if task is not None else None
        task_id = str(task.id) if task is not None else None
        cause = root_cause(err)
        kind = type(cause).__name__
        message = cause.detail if isinstance(cause, FlowdeskError) else str(err).strip()
        if task is not None and task.state != TaskState.ERROR:
            task._set_state(TaskState.ERROR)
        self.failure = Failure(element_id, task_id, message, kind)
        log.info("instance step failed at %s: %s", element_id, message)

    def _will_complete(self, task) -> None:
        spec = task.task_spec
        if isinstance(spec, BusinessRuleTaskMixin | DecisionTask):
            self._before[task.id] = dict(task.data)

    def _did_complete(self, task) -> None:
        spec = task.task_spec
        if isinstance(spec, ExclusiveGateway | InclusiveGateway):
            self._gateway_taken(task)
        elif isinstance(spec, DecisionTask):
            self._flowdesk_decision_evaluated(task)
        elif isinstance(spec, BusinessRuleTaskMixin):
            self._decision_evaluated(task)

    def _gateway_taken(self, task) -> None:
        spec = task.task_spec
        conditions = {name: cond.args[0] for cond, name in spec.cond_task_specs if cond is not None}
        for child in task.children:
            target = child.task_spec
            condition = conditions.get(target.name)
            read = _names_read(condition) if condition else ()
            self.events.append(
                RuntimeEvent(
                    "gateway.taken",
                    spec.bpmn_id,
                    str(task.id),
                    {
                        "target": target.bpmn_id or target.name,
                        "condition": condition,
                        "default": condition is None,
                        "values": _json_safe_snapshot(task.data, read),
                    },
                )
            )

    def _flowdesk_decision_evaluated(self, task) -> None:
        before = self._before.pop(task.id, {})
        payload = evaluated_payload(task)
        if payload is None:
            return
        payload["outputs"] = {k: v for k, v in task.data.items() if k not in before or before[k] != v}
        self.events.append(RuntimeEvent("decision.evaluated", task.task_spec.bpmn_id, str(task.id), payload))

    def _decision_evaluated(self, task) -> None:
        spec = task.task_spec
        before = self._before.pop(task.id, {})
        table = spec.dmnEngine.decision_table
        inputs: dict[str, Any] = {}
        for column in table.inputs:
            label = column.label or column.name or column.expression
            try:
                inputs[label] = task.workflow.script_engine.evaluate(task, column.expression)
            except Exception:  # the table already ran; an input we cannot show is not fatal
                inputs[label] = None
        outputs = {k: v for k, v in task.data.items() if k not in before or before[k] != v}
        self.events.append(
            RuntimeEvent(
                "decision.evaluated",
                spec.bpmn_id,
                str(task.id),
                {"table": table.id, "table_name": table.name, "inputs": inputs, "outputs": outputs},
            )
        )
