"""Call activities that start an instance of their own instead of an embedded subprocess.

SpiffWorkflow runs a called process inside the caller's workflow (a subprocess in the
caller's state): its tasks, timers and incidents would all belong to the caller, and the
called process would run the version the caller was deployed with. Flowdesk runs it as
an instance of its own (``parent_instance_id``), so it has its own history, inbox rows,
incidents, suspension and version. This call activity, installed through SpiffWorkflow's
public extension points (parser class, serializer converter), therefore does what the
library's does up to the moment it would create the subprocess: it runs its pre-script
(Camunda input mappings), records the input data as a *call request* in the task's
internal data and waits, STARTED. The instances layer starts the child and writes its id
into the request (:meth:`Execution.call_started`); when the child ends, the caller's task
gets the output exactly as the library's ``update_data`` would have given it
(:meth:`Execution.complete_call`) and runs on (its post-script: output mappings).

The typename stays ``CallActivity``: every stored version's spec restores as this class,
and a workflow that still holds an embedded subprocess from before (started under the
library's behaviour) finishes it the old way, since the inherited completion hook is
left alone.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
)
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.parser.task_spec import CallActivityParser
from SpiffWorkflow.spiff.serializer.task_spec import SubWorkflowTaskConverter
from SpiffWorkflow.spiff.specs.defaults import CallActivity
from SpiffWorkflow.util.task import TaskState

from .acting import acts
from .results import Failure

CALL = "flowdesk_call"
# Set when the child's output is on the task: the run that follows completes it.
RETURNED = "flowdesk_call_returned"


@dataclass(frozen=True)
class CallRequest:
    """A call activity that waits for a child instance that was not started yet."""

    task_id: str
    element_id: str
    process_key: str
    data: dict


@dataclass(frozen=True)
class CallOutput:
    """What a finished child hands back: its data and, when its process declares data
    outputs, their names (only those go back; otherwise the data replaces the caller's
    task data, as SpiffWorkflow's call activity does)."""

    data: dict
    outputs: tuple[str, ...] | None


class CalledInstanceActivity(CallActivity):
    """A call activity whose called process runs as a separate Flowdesk instance."""

    def start_workflow(self, my_task) -> None:
        # What the library would copy into the subprocess's start task: all of the task's
        # data (the called process's own data inputs, if any, are applied by its start).
        data = {key: value for key, value in my_task.data.items() if not callable(value)}
        my_task._set_internal_data(**{CALL: {"process": self.spec, "data": copy.deepcopy(data)}})

    def _run_hook(self, my_task):
        """Complete once the child's output is on the task (or an embedded subprocess from
        before finished); a task made READY again without that, i.e. an incident at the call
        retried, asks for its child now and waits."""
        if my_task.internal_data.pop(RETURNED, False) or my_task.id in my_task.workflow.top_workflow.subprocesses:
            return super()._run_hook(my_task)
        self.start_workflow(my_task)
        return None


def inputs_of(spec) -> tuple[str, ...] | None:
    """The names of the data inputs a process declares (None: it takes all data)."""
    io = getattr(spec, "io_specification", None)
    if io is None or not io.data_inputs:
        return None
    return tuple(var.bpmn_id for var in io.data_inputs)


def outputs_of(spec) -> tuple[str, ...] | None:
    """The names of the data outputs a process declares (None: it gives back all data)."""
    io = getattr(spec, "io_specification", None)
    if io is None or not io.data_outputs:
        return None
    return tuple(var.bpmn_id for var in io.data_outputs)


def apply_output(task, output: CallOutput) -> str | None:
    """Put the child's output on the caller's task; the name of a declared output the
    child did not produce, if any (the caller fails there, as the library's would)."""
    if output.outputs is None:
        task.data = copy.deepcopy(dict(output.data))
        return None
    for name in output.outputs:
        if name not in output.data:
            return name
        task.data[name] = copy.deepcopy(output.data[name])
    return None


def starting_data(spec, data: Mapping[str, Any]) -> tuple[dict, str | None]:
    """The start data of a called process given the caller's data: the declared inputs
    only (the name of a missing one second), or everything."""
    names = inputs_of(spec)
    if names is None:
        return dict(data), None
    missing = next((n for n in names if n not in data), None)
    return {n: data[n] for n in names if n in data}, missing


class CallsMixin:
    """What :class:`~.execution.Execution` does with call activities (kept here, beside the
    activity, so that the execution reads as the library's life cycle of a step)."""

    def call_requests(self) -> list[CallRequest]:
        """Call activities waiting for a child instance nobody has started yet."""
        return [CallRequest(str(t.id), t.task_spec.bpmn_id, request["process"], request["data"])
                for t in self._scan()[2] if (request := t.internal_data.get(CALL)) and "instance" not in request]

    def waiting_calls(self) -> dict[str, str]:
        """The child instances the workflow waits for: instance id -> call task id."""
        return {request["instance"]: str(t.id) for t in self._scan()[2]
                if (request := t.internal_data.get(CALL)) and "instance" in request}

    @acts
    def call_started(self, task_id: str, instance_id: str) -> None:
        task = self._task(task_id)
        task.internal_data[CALL] = {"process": task.internal_data[CALL]["process"], "instance": instance_id}

    def call_output(self) -> CallOutput:
        """What this (completed) called instance gives back to its caller."""
        return CallOutput(self.data(), outputs_of(self._wf.spec))

    @acts
    def complete_call(self, instance_id: str, output: CallOutput) -> None:
        """The child ``instance_id`` completed: its output goes to the call activity that
        waits for it, which then completes (post-script included) and the workflow runs on."""
        task = self._task(self.waiting_calls()[instance_id])
        task.internal_data.pop(CALL, None)
        task.internal_data[RETURNED] = True  # a retry after a missing output completes it, as the library's
        missing = apply_output(task, output)
        if missing is not None:
            task._set_state(TaskState.ERROR)
            self.failure = Failure(task.task_spec.bpmn_id, str(task.id), f"the data output '{missing}' "
                                   "was not available in the called process's output", "WorkflowDataException")
            return
        task._set_state(TaskState.READY)
        self.run()

    @acts
    def fail_call(self, task_id: str, message: str) -> None:
        """No child can be started for this call activity: the instance fails there."""
        task = self._task(task_id)
        task._set_state(TaskState.ERROR)
        self.failure = Failure(task.task_spec.bpmn_id, task_id, message, "CallActivityError")

    @acts
    def raise_from_call(self, instance_id: str, kind: str, code: str | None, payload: Any) -> bool:
        """An error or escalation the child ``instance_id`` did not catch reaches the boundary
        events of the call activity that waits for it; False when none catches it."""
        wanted = ErrorEventDefinition if kind == "error" else EscalationEventDefinition
        catcher = self._waiting_definition(wanted, lambda d: d.code in (None, code))
        if catcher is None:
            return False
        definition = copy.copy(catcher)
        definition.code = code
        return self._catch(BpmnEvent(definition, payload))


PARSER = (CallActivityParser, CalledInstanceActivity)


def register(registry) -> None:
    SubWorkflowTaskConverter(CalledInstanceActivity, registry, typename="CallActivity")
