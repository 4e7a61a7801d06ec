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
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from . import service

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


def spec_to_dict(spec: Any) -> dict:
    return REGISTRY.convert(spec)


def spec_from_dict(dct: dict) -> Any:
    return REGISTRY.restore(dct)


def state_to_dict(workflow: BpmnWorkflow) -> dict:
    # SpiffWorkflow's task converter leaves delta-encoded task data unconverted (its JSON
    # encoder converts at dump time); a second pass makes every value JSON-able here.
    dct = REGISTRY.convert(REGISTRY.convert(workflow))
    dct.pop("typename", None)
    dct["format"] = STATE_FORMAT
    return dct


def state_from_dict(dct: dict, spec: Any, subprocess_specs: dict) -> BpmnWorkflow:
    found = dct.get("format")
    if found != STATE_FORMAT:
        raise ValueError(f"instance state format {found!r} is not {STATE_FORMAT!r}; migrate it first")
    return _WORKFLOW_CONVERTER.from_dict_with_specs(dict(dct), spec, subprocess_specs)
