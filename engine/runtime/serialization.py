"""Instance state without the spec.

SpiffWorkflow's serializer embeds the whole process spec in every serialized workflow;
for small processes that is half the bytes and most of the decoding time. Flowdesk
stores the spec once per definition version, so the per-instance state keeps only the
task tree and data (delta-encoded, as SpiffWorkflow 3.2 does), and restoring puts the
cached spec objects back in.

The stored format is tagged with :data:`STATE_FORMAT`; SpiffWorkflow's own migrations
are never run on it (its 1.4 -> 1.5 migration is known to crash on live subprocesses),
so a change of SpiffWorkflow's format must come with a Flowdesk migration.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from . import service
from .cache import JSON_SCALARS, json_stable

STATE_FORMAT = "flowdesk-1/spiff-1.5"


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the spec out of the state and takes it from the caller on restore."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict_with_specs(self, dct: dict, spec: Any, subprocess_specs: dict) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _build_registry():
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    service.register(registry)
    # Amounts stay decimals and dates stay dates across a save and a load (conversion is
    # by exact class, so SpiffWorkflow's own datetime converter is untouched).
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    # Registering replaces the default converter of the top-level workflow.
    return registry, SpeclessWorkflowConverter(BpmnWorkflow, registry)


REGISTRY, _WORKFLOW_CONVERTER = _build_registry()
SUBWORKFLOW_TYPENAME = REGISTRY.typenames[BpmnSubWorkflow]


def spec_to_dict(spec: Any) -> dict:
    return REGISTRY.convert(spec)


def spec_from_dict(dct: dict) -> Any:
    return REGISTRY.restore(dct)


def state_to_dict(workflow: BpmnWorkflow) -> dict:
    """The stored form of ``workflow``: what ``REGISTRY.convert(workflow)`` gives (without
    the spec), built directly (see :class:`_StateWriter`)."""
    return _StateWriter().workflow(workflow)


# Where a workflow keeps its task ids as text, by their 128-bit value, for its next step:
# ``UUID.__str__`` formats in Python, and the writer spells every live task's id, parent
# and children at every step. Kept on the workflow (not in a process-wide table), the
# texts live as long as the workflow does (runtime/cache.py bounds those) and hold only
# the ids its last state named: a table of every id ever written grew by every task of
# every instance (~180 bytes each, tens of megabytes under steady load).
_ID_TEXTS = "_flowdesk_id_texts"


def state_to_dict_stable(workflow: BpmnWorkflow) -> tuple[dict, bool]:
    """:func:`state_to_dict`, and whether the state is plain JSON (nothing in it that a JSON
    round trip would change), found out while building it."""
    writer = _StateWriter(getattr(workflow, _ID_TEXTS, None))
    dct = writer.workflow(workflow)
    setattr(workflow, _ID_TEXTS, writer.spelled)
    return dct, writer.stable


class _StateWriter:
    """SpiffWorkflow 3.2's workflow/task converters, specialised for the stored state.

    The generic registry walked every value of every task (internal data, then the data
    delta in a second pass) to look for objects to convert; task data is nearly always
    plain JSON already, so each value is first checked (one cheap walk) and handed to the
    registry only when it holds something else (decimals, dates, ...). The output is the
    same dict as the registry's (tests/runtime/test_serialization_parity.py holds that)."""

    def __init__(self, known: dict[int, str] | None = None) -> None:
        self.stable = True
        self._known = known or {}
        self.spelled: dict[int, str] = {}  # the ids this state names, as text (see _ID_TEXTS)

    def text(self, value: UUID) -> str:
        key = value.int
        found = self.spelled.get(key)
        if found is None:
            found = self._known.get(key)
            if found is None:
                found = str(value)
            self.spelled[key] = found
        return found

    def value(self, value: Any) -> Any:
        if not value or json_stable(value):
            return value
        converted = REGISTRY.convert(value)
        if self.stable and not json_stable(converted):
            self.stable = False
        return converted

    def data(self, data: dict) -> dict:
        if type(data) is dict:
            for key, item in data.items():
                if type(key) is not str or type(item) not in JSON_SCALARS:
                    break
            else:  # plain scalars (a multi-instance item's index): nothing to clean or convert
                return dict(data)
        return self.value(REGISTRY.clean(data))

    def task(self, task) -> dict:
        parent = task.parent
        text = self.text
        if parent is None:
            data, delta = (self.data(task.data) if task.data else task.data), {}
        else:
            parent_data, own = parent.data, task.data
            # Most of a child's values are its parent's very objects (a multi-instance item
            # holds the whole input list): an identity check spares comparing them.
            updates = {key: value for key, value in own.items()
                       if key not in parent_data or (value is not parent_data[key] and value != parent_data[key])}
            deletions = [key for key in parent_data if key not in own]
            data, delta = {}, {"updates": self.value(updates) if updates else updates, "deletions": deletions}
        return {
            "id": text(task.id),
            "parent": text(task._parent) if parent is not None else None,
            "children": [text(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.data(task.internal_data),
            "data": data,
            "delta": delta,
            "typename": "Task",
        }

    def common(self, workflow, with_tasks: bool = True) -> dict:
        dct = {
            "data": self.data(workflow.data),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "root": str(workflow.task_tree.id),
        }
        if with_tasks:
            dct["tasks"] = {self.text(key): self.task(task) for key, task in workflow.tasks.items()}
        return dct

    def workflow(self, workflow: BpmnWorkflow, with_tasks: bool = True) -> dict:
        """The state; without the task entries when ``with_tasks`` is false (the skeleton
        of runtime/taskrows.py, which writes the tasks as rows)."""
        dct = self.common(workflow, with_tasks)
        subprocesses = {}
        for key, sub in workflow.subprocesses.items():
            sub_dct = self.common(sub, with_tasks)
            sub_dct["parent_task_id"] = str(sub.parent_task_id)
            sub_dct["spec"] = sub.spec.name
            sub_dct["typename"] = SUBWORKFLOW_TYPENAME
            subprocesses[str(key)] = sub_dct
        dct["subprocesses"] = subprocesses
        events = REGISTRY.convert(workflow.bpmn_events)
        if self.stable and not json_stable(events):
            self.stable = False
        dct["bpmn_events"] = events
        if self.stable and not json_stable(dct["correlations"]):
            self.stable = False
        dct["format"] = STATE_FORMAT
        return dct


def legacy_state_to_dict(workflow: BpmnWorkflow) -> dict:
    """The registry's own conversion, as Flowdesk stored states before pruning existed (kept to
    test that :class:`_StateWriter` writes the same thing)."""
    dct = REGISTRY.convert(workflow)
    for tasks in (dct["tasks"], *(sub["tasks"] for sub in dct.get("subprocesses", {}).values())):
        for task in tasks.values():
            for key in ("data", "delta"):
                if task.get(key):
                    task[key] = REGISTRY.convert(task[key])
    dct.pop("typename", None)
    dct["format"] = STATE_FORMAT
    return dct


def _parents_first(tasks: dict, root: str) -> dict:
    """The task mapping with every parent before its children.

    SpiffWorkflow rebuilds a task's delta-encoded data from its parent's, so the parent
    must be restored first; it relies on the mapping's order for that. PostgreSQL's JSONB
    does not keep key order (a restored instance lost its data), so the order is rebuilt
    from the tree itself rather than trusted."""
    ordered: dict = {}
    pending = [root]
    while pending:
        task_id = pending.pop()
        task = tasks.get(task_id)
        if task is None or task_id in ordered:
            continue
        ordered[task_id] = task
        pending.extend(reversed(task.get("children", [])))
    for task_id, task in tasks.items():  # anything unreachable keeps its place at the end
        ordered.setdefault(task_id, task)
    return ordered


def state_from_dict(dct: dict, spec: Any, subprocess_specs: dict) -> BpmnWorkflow:
    found = dct.get("format")
    if found != STATE_FORMAT:
        raise ValueError(f"instance state format {found!r} is not {STATE_FORMAT!r}; migrate it first")
    dct = dict(dct)
    dct["tasks"] = _parents_first(dct["tasks"], dct["root"])
    dct["subprocesses"] = {
        key: {**sub, "tasks": _parents_first(sub["tasks"], sub["root"])}
        for key, sub in dct.get("subprocesses", {}).items()
    }
    return _WORKFLOW_CONVERTER.from_dict_with_specs(dct, spec, subprocess_specs)
