"""FEEL built-ins on contexts, and Camunda 8's connector functions (which build contexts)."""

from __future__ import annotations

from typing import Any

from ...meter import Meter
from .registry import FUNCTIONS, Builtin, Null, builtin, context_arg, items_arg, list_arg

# -- contexts -----------------------------------------------------------------------------


@builtin("get value", ("context", "key"), ("context", "keys"))
def _get_value(meter: Meter, context: Any, key: Any) -> Any:
    context = context_arg(context)
    if type(key) is str:
        return context.get(key)
    keys = list_arg(key)
    if not keys:
        raise Null
    value: Any = context
    for part in keys:
        if type(value) is not dict or type(part) is not str:
            raise Null
        value = value.get(part)
    return value


@builtin("get entries", ("context",))
def _get_entries(meter: Meter, context: Any) -> list[dict[str, Any]]:
    context = context_arg(context)
    return meter.produced([{"key": k, "value": v} for k, v in context.items()])


@builtin("context put", ("context", "key", "value"), ("context", "keys", "value"))
def _context_put(meter: Meter, context: Any, key: Any, value: Any) -> dict[str, Any]:
    context = context_arg(context)
    if type(key) is str:
        return meter.produced({**context, key: value})
    keys = list_arg(key)
    if not keys or any(type(k) is not str for k in keys):
        raise Null
    head = keys[0]
    if len(keys) == 1:
        return meter.produced({**context, head: value})
    inner = context.get(head)
    return meter.produced({**context, head: _context_put(meter, inner if type(inner) is dict else {}, keys[1:], value)})


@builtin("put", ("context", "key", "value"))
def _put(meter: Meter, context: Any, key: Any, value: Any) -> dict[str, Any]:
    return _context_put(meter, context, key, value)


@builtin("context merge", ("*contexts",))
def _context_merge(meter: Meter, *contexts: Any) -> dict[str, Any]:
    items = items_arg(meter, contexts)
    result: dict[str, Any] = {}
    for context in items:
        context = context_arg(context)
        meter.need_items(len(result) + len(context))
        result.update(context)
    return meter.produced(result)


FUNCTIONS["put all"] = Builtin("put all", _context_merge, (("*contexts",),))


# -- Camunda 8 connector functions ----------------------------------------------------------------
@builtin("fromAi", ("value", "description?", "type?", "schema?", "options?"))
def _from_ai(meter: Meter, value: Any, description: Any = None, type: Any = None, schema: Any = None,
             options: Any = None) -> Any:
    """Camunda's AI-agent tool parameter: the value the agent supplied (the description,
    type and schema only tell the agent what to supply)."""
    return value


@builtin("bpmnError", ("code", "message", "variables?"))
def _bpmn_error(meter: Meter, code: Any, message: Any, variables: Any = None) -> dict[str, Any]:
    """Camunda's connector error expression: a BPMN error as a context."""
    return {"errorType": "bpmnError", "code": code, "message": message, "variables": variables}


@builtin("jobError", ("message", "variables?", "retries?", "timeout?"))
def _job_error(meter: Meter, message: Any, variables: Any = None, retries: Any = None, timeout: Any = None) -> dict:
    return {"errorType": "jobError", "message": message, "variables": variables, "retries": retries}
