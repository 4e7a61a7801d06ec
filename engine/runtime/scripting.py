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
from . import mappings


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


class SandboxScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose syntax check also applies the sandbox's whitelist."""

    def __init__(self, limits: expressions.Limits = expressions.DEFAULT_LIMITS,
                 functions: dict[str, Callable] | None = None) -> None:
        super().__init__(environment=SandboxEnvironment(limits, functions))

    def execute(self, task, script, external_context=None):
        """Run a script; a mapping directive written by the dialect translation (see
        :mod:`.mappings`) is run with the task at hand instead."""
        if mappings.is_directive(script):
            try:
                mappings.run(task, script, lambda source, data: self.environment.evaluate(source, data))
            except Exception as err:
                raise self.create_task_exec_exception(task, script, err) from err
            return True
        return super().execute(task, script, external_context)

    def validate(self, expression: str) -> None:
        # Used by the DMN engine to decide whether a cell needs an implicit '=='; it only
        # has to say whether the text parses as an expression.
        try:
            expressions.check(expression, "eval")
        except expressions.ExpressionSyntaxError as err:
            raise SyntaxError(str(err)) from err
