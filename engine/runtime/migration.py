"""Re-binding an instance's workflow to another version's spec, and repairing it.

An instance's state is its task tree with each task naming its task spec (see
:mod:`.serialization`); the spec itself belongs to the version. Migrating an instance
means restoring its workflow with the version it runs on, then pointing every task at
the task spec of the same name (or the name the mapping gives) in the target version, and
predicting again what lies ahead of the tasks that wait (the target may have new or other
paths after them). Tasks keep their ids, data and internal data, so open human tasks keep
their ids and a waiting timer keeps its due time. A finished task whose element the target
lacks is taken out of the tree (its children hang on its parent; nothing runs it again).
What cannot move is reported, and then nothing of the instance changes: a waiting, ready,
running or failed task whose element the target lacks, or a sub-process whose spec the
target lacks.

Repair (:func:`cancel_element`, :func:`start_before`, :func:`start_after`) changes one
workflow the same way Camunda's process instance modification does: cancel the tasks of
an element, or add a token in front of or behind one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from SpiffWorkflow.util.task import TaskState

from ..clock import Clock
from ..errors import Conflict
from . import clock as spiff_clock
from .execution import Execution, ProcessRuntime

LIVE = TaskState.WAITING | TaskState.READY | TaskState.STARTED | TaskState.ERROR
FINISHED = TaskState.COMPLETED | TaskState.CANCELLED
# Tasks ahead of the ones that wait: predicted again on the target spec.
PREDICTED = TaskState.FUTURE | TaskState.PREDICTED_MASK


@dataclass
class Rebinding:
    """The outcome of re-binding one instance: the workflow on the target spec (None when
    there are problems), the problems as (element id, message), and which elements its
    live tasks moved from and to."""

    execution: Execution | None
    problems: list[tuple[str | None, str]] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)


def element_ids(runtime: ProcessRuntime) -> set[str]:
    """The BPMN element ids of a version (its process and the sub-processes it contains)."""
    return {spec.bpmn_id for process in (runtime.spec, *runtime.subprocess_specs.values())
            for spec in process.task_specs.values() if getattr(spec, "bpmn_id", None)}


def _target_name(name: str, mapping: Mapping[str, str]) -> str:
    if name in mapping:
        return mapping[name]
    head, dot, tail = name.partition(".")  # derived specs: "task.BoundaryEventSplit", "proc.EndJoin"
    if dot and head in mapping:
        return f"{mapping[head]}.{tail}"
    return name


def rebind(state: dict, source: ProcessRuntime, target: ProcessRuntime, mapping: Mapping[str, str],
           clock: Clock | None = None) -> Rebinding:
    """The instance stored as ``state`` (running on ``source``), moved onto ``target``."""
    workflow = source.restore(state, clock)._wf
    result = Rebinding(None)
    plans = []
    for sub_id, sub in [(None, workflow), *workflow.subprocesses.items()]:
        if sub_id is None:
            spec = target.spec
        else:
            spec = target.subprocess_specs.get(sub.spec.name)
            if spec is None:
                if sub.completed:
                    continue
                result.problems.append((sub.spec.name, f"the target version has no process '{sub.spec.name}' "
                                                       "for the sub-process that runs"))
                continue
        plans.append((sub, spec, _plan(sub, spec, mapping, result)))
    if result.problems:
        return result
    try:
        with spiff_clock.using(clock or _NoClock()):
            for sub, spec, (assign, spliced) in plans:
                _apply(sub, spec, assign, spliced)
            workflow.subprocess_specs = target.subprocess_specs
    except Exception as err:  # a tree SpiffWorkflow cannot predict again: report it, change nothing
        result.problems.append((None, f"the instance cannot be moved onto the target version: {err}"))
        return result
    result.execution = Execution(workflow, clock, target)
    return result


def _plan(workflow, spec, mapping: Mapping[str, str], result: Rebinding):
    """Which task gets which new task spec, and which finished tasks leave the tree."""
    assign, spliced = {}, []
    for task in workflow.tasks.values():
        if task.state & PREDICTED:
            continue  # predicted again from the tasks that wait
        old = task.task_spec
        new = spec.task_specs.get(_target_name(old.name, mapping))
        if new is not None:
            assign[task] = new
            if task.state & LIVE and old.bpmn_id and new.bpmn_id:
                result.moved[old.bpmn_id] = new.bpmn_id
        elif task.state & LIVE:
            element = old.bpmn_id or old.name
            result.problems.append((element, f"the instance waits in '{element}', which the target version "
                                             "lacks; map it to an element of the target"))
        elif task is workflow.task_tree:
            result.problems.append((None, "the target version has no root task"))
        else:
            spliced.append(task)
    return assign, spliced


def _apply(workflow, spec, assign: dict, spliced: list) -> None:
    workflow.spec = spec
    for task, new in assign.items():
        task.task_spec = new
    for task in list(workflow.tasks.values()):
        if task.id in workflow.tasks and not task.state & PREDICTED:
            for child in list(task.children):
                if child.state & PREDICTED:
                    workflow._remove_task(child.id)
    for task in spliced:
        _splice(workflow, task)
    for task in sorted((t for t in workflow.tasks.values() if t.state & LIVE), key=_depth):
        task.task_spec._predict(task, mask=PREDICTED | task.state)
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None


def _depth(task) -> int:
    depth = 0
    while task.parent is not None:
        task, depth = task.parent, depth + 1
    return depth


def _splice(workflow, task) -> None:
    """Take a finished task out of the tree: its children hang on its parent."""
    parent = task.parent
    children = list(task._children)
    for child_id in children:
        workflow.tasks[child_id]._parent = parent.id
    position = parent._children.index(task.id)
    parent._children[position:position + 1] = children
    if workflow.last_task is task:
        workflow.last_task = workflow.tasks[children[0]] if children else parent
    del workflow.tasks[task.id]


class _NoClock:
    def now(self):
        from ..clock import SystemClock

        return SystemClock().now()


# -- repair ----------------------------------------------------------------------------------------
def _spec_of(execution: Execution, element_id: str):
    for process in (execution._wf.spec, *execution._wf.subprocess_specs.values()):
        for spec in process.task_specs.values():
            if spec.bpmn_id == element_id:
                return spec
    raise Conflict(f"the instance's version has no element '{element_id}'")


def _live_tasks_of(execution: Execution, element_id: str) -> list:
    return [t for t in execution._wf.get_tasks(state=LIVE) if t.task_spec.bpmn_id == element_id]


def cancel_element(execution: Execution, element_id: str) -> int:
    """Cancel every waiting, ready or running task of an element (and what it started);
    returns how many were cancelled."""
    _spec_of(execution, element_id)
    tasks = _live_tasks_of(execution, element_id)
    if not tasks:
        raise Conflict(f"nothing is active in '{element_id}' to cancel")
    with spiff_clock.using(execution._clock):
        for task in tasks:
            task.cancel()
    execution._scanned = None
    return len(tasks)


def start_before(execution: Execution, element_id: str) -> None:
    """A new token in front of an element: the element runs (again) on the instance's
    current data, and the instance goes on from there."""
    _add_token(execution, _spec_of(execution, element_id))


def start_after(execution: Execution, element_id: str) -> None:
    """A new token behind an element: what follows it runs, the element itself does not."""
    spec = _spec_of(execution, element_id)
    if not spec.outputs:
        raise Conflict(f"nothing follows '{element_id}'")
    for output in spec.outputs:
        _add_token(execution, output)


def _add_token(execution: Execution, spec) -> None:
    workflow = execution._wf
    if spec not in workflow.spec.task_specs.values():
        raise Conflict(f"'{spec.bpmn_id or spec.name}' is inside a sub-process; start before or after the "
                       "sub-process instead")
    anchor = workflow.last_task or workflow.task_tree
    if anchor.state & PREDICTED:
        anchor = workflow.task_tree
    with spiff_clock.using(execution._clock):
        task = anchor._add_child(spec, TaskState.FUTURE)
        task.triggered = True  # kept when its parent syncs its children
        spec._predict(task, mask=PREDICTED)  # what follows it, as a reset branch does
        spec._update(task)
    execution._scanned = None
