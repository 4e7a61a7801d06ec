"""Service tasks that do not call out from inside a step.

SpiffWorkflow's service task calls the script engine synchronously while the instance is
being run, i.e. inside the database transaction of the step. Flowdesk instead leaves the
task STARTED with its evaluated parameters; the step writes a job, a worker calls the
connector outside any transaction (at least once, with a stable idempotency key), and a
later step records the result and moves on. So a slow or failing outside system never
holds a lock on an instance, and a crash never loses or repeats a committed step.
"""

from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ScriptTaskParser as SpiffScriptTaskParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ScriptTask, ServiceTask

from . import calls
from .decisions import DecisionTask, DecisionTaskParser
from .decisions import register as register_decisions

SERVICE_CALL = "flowdesk_service_call"


EXTERNAL_PREFIX = "external:"


class DeferredServiceTask(ServiceTask):
    """Evaluates its parameters, records the call and waits (STARTED) for the result.

    An external task (operation ``external:TOPIC``) that declares no parameters hands its
    worker the task's variables, as Camunda's external tasks and Zeebe's job workers do."""

    def _execute(self, task):
        params = {name: param["value"] for name, param in self.evaluate_params(task).items()}
        if not self.operation_params and self.operation_name.startswith(EXTERNAL_PREFIX):
            params = {key: value for key, value in task.data.items() if not callable(value)}
        task._set_internal_data(**{SERVICE_CALL: {
            "operation": self.operation_name,
            "params": params,
            "result_variable": self.result_variable,
            "retries": self.retries,
            "retry_backoff_base": self.retry_backoff_base,
        }})
        return None


class ScriptTaskParser(SpiffScriptTaskParser):
    """SpiffWorkflow's script task parser, giving script tasks their pre- and post-scripts
    too (its own drops them; the dialect translation puts variable mappings there)."""

    def create_task(self):
        extensions = self.parse_extensions()
        script = next((child.text for child in self.node if isinstance(child.tag, str)
                       and child.tag.endswith("}script")), None)
        return self.spec_class(self.spec, self.bpmn_id, script, prescript=extensions.get("preScript"),
                               postscript=extensions.get("postScript"), **self.bpmn_attributes)


class FlowdeskParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, DeferredServiceTask),
        full_tag("scriptTask"): (ScriptTaskParser, ScriptTask),
        full_tag("businessRuleTask"): (DecisionTaskParser, DecisionTask),
        full_tag("callActivity"): calls.PARSER,
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # decision id -> (DMN file name, its XML text), for business rule tasks
        self.dmn_sources: dict[str, tuple[str, str]] = {}

    def add_dmn_xml(self, node, filename=None):
        """Keep the document for Flowdesk's evaluator (`decisions`); SpiffWorkflow's DMN
        parser is not used (the definitions layer checks DMN with the evaluator's reader)."""
        source = etree.tostring(node, encoding="unicode")
        for element in node.iter():
            if isinstance(element.tag, str) and etree.QName(element).localname == "decision" and element.get("id"):
                self.dmn_sources[element.get("id")] = (filename or "decisions.dmn", source)


def register(registry) -> None:
    ServiceTaskConverter(DeferredServiceTask, registry)
    register_decisions(registry)
    calls.register(registry)
