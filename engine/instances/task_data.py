"""Which of an instance's variables a task shows the person doing it.

A process keeps much more than the task needs: SpiffWorkflow's own bookkeeping
(``spiff__…``), helper lists and flags its scripts use, ids, earlier steps' drafts of the
same lines. The person doing the task (the API's task detail as the web app's task page)
gets the variables the task's form names (its fields, and the names its conditions read:
``x-hide-if``, ``x-readonly-if``, a form-js ``x-expression``), never an internal one; the
full data is for auditors and admins who check what the process did (``view=all``; the
rule is ``authorization.may_read_all_task_data``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

# SpiffWorkflow's bookkeeping and names a model marks private with a leading underscore.
_INTERNAL = re.compile(r"^(spiff__|_)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_internal(name: str) -> bool:
    return bool(_INTERNAL.match(name))


def _named_in(schema: Any) -> Iterator[str]:
    """Property names at any depth, and the identifiers in the form's conditions."""
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, Mapping):
                yield from (str(name) for name in value)
            if isinstance(key, str) and ((key.startswith("x-") and key.endswith("-if")) or key == "x-expression"):
                for text in _texts(value):
                    yield from _NAME.findall(text)
            yield from _named_in(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _named_in(item)


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def task_data(data: Mapping[str, Any], form_schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """The variables a task's form refers to, without internal ones (none without a form)."""
    if not form_schema:
        return {}
    named = set(_named_in(form_schema))
    return {name: value for name, value in data.items() if name in named and not is_internal(name)}
