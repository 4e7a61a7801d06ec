"""Business rule tasks evaluated by Flowdesk's own DMN evaluator (`engine.decisions`).

SpiffWorkflow's DMN engine runs one decision table per file with UNIQUE and COLLECT hit
policies only; Flowdesk's evaluator runs every hit policy, decision requirement graphs,
literal expressions, contexts and FEEL or Python cells. A business rule task names its
decision (``spiffworkflow:calledDecisionId``, which the dialect translation also writes
for ``camunda:decisionRef`` and ``zeebe:calledDecision``) and, optionally, how its result
is stored (``flowdesk:decisionResult variable=... mapping=...``):

* no variable (SpiffWorkflow's convention): the outputs are merged into the data by name
  (`DecisionResult.variables`);
* mapping ``value`` (Camunda 8): the variable gets the DMN result (a value, an object of
  outputs, or a list for multiple-hit tables);
* Camunda 7's ``mapDecisionResult``: ``resultList`` (the default: a list of objects),
  ``singleResult`` (one object), ``singleEntry`` (one value), ``collectEntries`` (a list
  of values).

The DMN document travels in the task spec (it is small, and a deployed version must keep
evaluating the tables it was deployed with); its parsed model is cached by content hash.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer.helpers.spec import TaskSpecConverter
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask
from SpiffWorkflow.util.deep_merge import DeepMerge

from ..decisions import DecisionModel, DecisionResult, parsed_decisions
from ..expressions.feel.values import to_data

FLOWDESK_NS = "urn:flowdesk:bpmn:1.0"
RESULT_ATTRIBUTE = "flowdesk_decision_result"

def decision_model(file: str, source: str) -> DecisionModel:
    """The parsed model of a DMN document, parsed once per content."""
    return parsed_decisions(file, None, source.encode())


class DecisionTask(SpiffBpmnTask):
    """A business rule task: evaluates one decision of a DMN document."""

    def __init__(self, wf_spec, bpmn_id, decision_id: str, dmn_file: str | None, dmn_source: str | None,
                 result_variable: str | None = None, result_mapping: str | None = None, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.decision_id = decision_id
        self.dmn_file = dmn_file
        self.dmn_source = dmn_source
        self.result_variable = result_variable
        self.result_mapping = result_mapping

    @property
    def model(self) -> DecisionModel:
        return decision_model(self.dmn_file, self.dmn_source)

    def _run_hook(self, my_task):
        if self.dmn_source is None:
            raise WorkflowTaskException(f"decision '{self.decision_id}' was not deployed with this process: deploy "
                                        "its DMN file, then the process again", task=my_task)
        try:
            functions = getattr(my_task.workflow.script_engine.environment, "functions", {}) or {}
            context = {**functions, **my_task.data} if functions else my_task.data
            result = self.model.evaluate(self.decision_id, context)
            setattr(my_task, RESULT_ATTRIBUTE, result)
            self._store(my_task, result)
            super()._run_hook(my_task)
        except SpiffWorkflowException as err:
            err.add_note(f"Business Rule Task '{my_task.task_spec.bpmn_name or my_task.task_spec.bpmn_id}'.")
            raise
        except Exception as err:
            detail = getattr(err, "detail", None) or str(err)
            error = WorkflowTaskException(f"decision '{self.decision_id}': {detail}", task=my_task, exception=err)
            raise error from err
        return True

    def _store(self, my_task, result: DecisionResult) -> None:
        mapping, variable = self.result_mapping, self.result_variable
        if not variable:
            my_task.data = DeepMerge.merge(my_task.data, result.variables())
            return
        if mapping in (None, "value"):
            value = result.value
        else:
            rows = [dict(r) for r in result.outputs] if result.hit_policy else [{result.decision_name: result.value}]
            if mapping == "singleEntry":
                value = next(iter(rows[0].values()), None) if rows else None
            elif mapping == "singleResult":
                value = rows[0] if rows else None
            elif mapping == "collectEntries":
                value = [next(iter(r.values()), None) for r in rows]
            else:  # resultList
                value = rows
        my_task.data[variable] = to_data(value)


class DecisionTaskParser(SpiffTaskParser):
    """Reads ``spiffworkflow:calledDecisionId`` and ``flowdesk:decisionResult``."""

    @staticmethod
    def get_decision_ref(node):
        return SpiffTaskParser._parse_extensions(node).get("calledDecisionId")

    def create_task(self):
        extensions = self.parse_extensions()
        decision_id = (extensions.get("calledDecisionId") or "").strip()
        if not decision_id:
            raise ValidationException("A business rule task must name its decision", node=self.node,
                                      file_name=self.filename)
        file, source = self.process_parser.parser.dmn_sources.get(decision_id, (None, None))
        result = self.node.find(f"./{{{self.nsmap.get('bpmn')}}}extensionElements/{{{FLOWDESK_NS}}}decisionResult")
        variable = result.get("variable") if result is not None else None
        mapping = result.get("mapping") if result is not None else None
        return DecisionTask(self.spec, self.bpmn_id, decision_id, file, source, result_variable=variable or None,
                            result_mapping=mapping or None, prescript=extensions.get("preScript"),
                            postscript=extensions.get("postScript"), **self.bpmn_attributes)


class DecisionTaskConverter(TaskSpecConverter):
    def to_dict(self, spec):
        dct = self.get_default_attributes(spec)
        dct.update(prescript=spec.prescript, postscript=spec.postscript, decision_id=spec.decision_id,
                   dmn_file=spec.dmn_file, dmn_source=spec.dmn_source, result_variable=spec.result_variable,
                   result_mapping=spec.result_mapping)
        return dct

    def from_dict(self, dct):
        return self.task_spec_from_dict(dct)


def register(registry) -> None:
    DecisionTaskConverter(DecisionTask, registry)


def evaluated_payload(task) -> dict[str, Any] | None:
    """What the ``decision.evaluated`` audit event records of a decision task just run."""
    result: DecisionResult | None = getattr(task, RESULT_ATTRIBUTE, None)
    if result is None:
        return None
    spec = task.task_spec
    decision = spec.model.decisions.get(result.decision_id)
    logic = getattr(decision, "logic", None)
    return {
        "table": getattr(logic, "id", None) or result.decision_id,
        "table_name": result.decision_name,
        "inputs": to_data(dict(result.inputs)),
        "rules": [{"number": r.number, "id": r.id} for r in result.rules],
        "hit_policy": result.hit_policy,
        "required": sorted(result.required),
    }
