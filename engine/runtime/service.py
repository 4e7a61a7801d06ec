"""Service tasks that do not call out from inside a step.

SpiffWorkflow's service task calls the script engine synchronously while the instance is
being run, i.e. inside the database transaction of the step. Flowdesk instead leaves the
task STARTED with its evaluated parameters; the step writes a job, a worker calls the
connector outside any transaction (at least once, with a stable idempotency key), and a
later step records the result and moves on. So a slow or failing outside system never
holds a lock on an instance, and a crash never loses or repeats a committed step.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

SERVICE_CALL = "flowdesk_service_call"


class DeferredServiceTask(ServiceTask):
    """Evaluates its parameters, records the call and waits (STARTED) for the result."""

    def _execute(self, task):
        params = {name: param["value"] for name, param in self.evaluate_params(task).items()}
        task._set_internal_data(**{SERVICE_CALL: {
            "operation": self.operation_name,
            "params": params,
            "result_variable": self.result_variable,
            "retries": self.retries,
            "retry_backoff_base": self.retry_backoff_base,
        }})
        return None


class FlowdeskParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, DeferredServiceTask),
    }


def register(registry) -> None:
    ServiceTaskConverter(DeferredServiceTask, registry)
