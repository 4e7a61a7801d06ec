"""SpiffWorkflow's script engine, pointed at the Flowdesk sandbox.

SpiffWorkflow evaluates every gateway condition, script, timer expression and DMN cell
through its script engine, whose default environment is plain ``eval``/``exec``. This
environment hands the same calls to :mod:`flowdesk.engine.expressions`, which interprets
a whitelisted subset of Python with an operation budget, so a model can never reach the
server's internals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .. import expressions
from ..expressions.el import BUSINESS_KEY_NAME
from . import mappings

BUSINESS_KEY = "flowdesk_business_key"  # where the instance's business key rides in the workflow's data


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions and runs scripts in the sandbox, against the task data.

    ``functions`` are Flowdesk's own helpers offered to models (e.g. ``deadline``); they
    are trusted code, visible to expressions but never stored in task data.
    """

    def __init__(self, limits: expressions.Limits = expressions.DEFAULT_LIMITS,
                 functions: dict[str, Callable] | None = None) -> None:
        super().__init__({})
        self.limits = limits
        self.functions = dict(functions or {})

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        if external_context or self.functions:
            names = {**self.functions, **(external_context or {}), **context}
        else:
            names = context
        return expressions.evaluate(expression, names, self.limits)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        external_context = {**self.functions, **(external_context or {})}
        # Values passed in for this call only must not leak into the task data, and the
        # variables are only written back when the script succeeded and left only data.
        scope = {**external_context, **context}
        expressions.execute(script, scope, self.limits)
        for name in external_context:
            if scope.get(name) is external_context[name]:
                scope.pop(name)
        expressions.check_data(scope, script)
        context.clear()
        context.update(scope)
        return True

    def call_service(self, context: dict, **kwargs: Any) -> str:
        from ..errors import ExecutionFailed

        raise ExecutionFailed("service tasks need a connector; none is configured for this task")


def _instance_names(task, external_context: dict | None) -> dict:
    """What an expression may read about its instance besides the data: the business key
    (``execution.processBusinessKey`` in a Camunda 7 model reads `BUSINESS_KEY_NAME`)."""
    workflow = getattr(task, "workflow", None)
    top = getattr(workflow, "top_workflow", workflow)
    key = (getattr(top, "data", None) or {}).get(BUSINESS_KEY)
    return {**(external_context or {}), BUSINESS_KEY_NAME: key}


class SandboxScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose syntax check also applies the sandbox's whitelist."""

    def __init__(self, limits: expressions.Limits = expressions.DEFAULT_LIMITS,
                 functions: dict[str, Callable] | None = None) -> None:
        super().__init__(environment=SandboxEnvironment(limits, functions))

    def evaluate(self, task, expression, external_context=None):
        return super().evaluate(task, expression, _instance_names(task, external_context))

    def execute(self, task, script, external_context=None):
        """Run a script; a mapping directive written by the dialect translation (see
        :mod:`.mappings`) is run with the task at hand instead."""
        names = _instance_names(task, external_context)
        if mappings.is_directive(script):
            try:
                mappings.run(task, script, lambda source, data: self.environment.evaluate(source, data, names))
            except Exception as err:
                raise self.create_task_exec_exception(task, script, err) from err
            return True
        return super().execute(task, script, names)

    def validate(self, expression: str) -> None:
        # Used by the DMN engine to decide whether a cell needs an implicit '=='; it only
        # has to say whether the text parses as an expression.
        try:
            expressions.check(expression, "eval")
        except expressions.ExpressionSyntaxError as err:
            raise SyntaxError(str(err)) from err
