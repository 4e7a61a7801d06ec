"""Checking service tasks against the connectors they name, at deploy time.

Parameter values are expressions evaluated when the task runs, so only what is known
before then is checked: the connector exists, required parameters are present, no
parameter is unknown to a connector that allows none, and parameters written as plain
literals (``"GET"``, ``30``) fit the connector's JSON Schema.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from jsonschema import Draft202012Validator

from ..definitions.model import ProcessInfo
from ..errors import Problem
from .base import ConnectorRegistry

EXTERNAL_PREFIX = "external:"


def connector_problems(infos: Iterable[ProcessInfo], registry: ConnectorRegistry) -> list[Problem]:
    problems: list[Problem] = []
    for info in infos:
        for element_id, task in info.service_tasks.items():
            operation, line = task["operation"], task.get("line")
            if not operation or operation.startswith(EXTERNAL_PREFIX):
                continue
            connector = registry.get(operation)
            if connector is None:
                problems.append(Problem(info.file, line, f"service task '{element_id}' uses connector "
                                        f"'{operation}', which is not installed (installed: "
                                        f"{', '.join(registry.names()) or 'none'})"))
                continue
            schema = connector.parameters_schema
            properties = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in task["params"]:
                    problems.append(Problem(info.file, line, f"service task '{element_id}': connector "
                                            f"'{operation}' needs parameter '{name}'"))
            for name, expression in task["params"].items():
                if name not in properties:
                    if schema.get("additionalProperties") is False:
                        problems.append(Problem(info.file, line, f"service task '{element_id}': connector "
                                                f"'{operation}' has no parameter '{name}'"))
                    continue
                try:
                    literal = ast.literal_eval(expression)
                except (ValueError, SyntaxError):
                    continue  # computed when the task runs
                for error in Draft202012Validator(properties[name]).iter_errors(literal):
                    problems.append(Problem(info.file, line, f"service task '{element_id}': parameter "
                                            f"'{name}' {error.message}"))
                refused = connector.check_literal(name, literal)
                if refused:
                    problems.append(Problem(info.file, line, f"service task '{element_id}': parameter "
                                            f"'{name}': {refused}"))
    return problems
