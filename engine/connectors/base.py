"""The connector interface and the registry that finds connectors by name."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

log = logging.getLogger(__name__)


class ConnectorError(Exception):
    """A call failed in a way worth retrying (timeouts, 5xx, connection refused)."""


class BpmnError(Exception):
    """The outside system answered with a business error the model may catch with an
    error boundary event (e.g. ``credit_refused``)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CallContext:
    idempotency_key: str
    attempt: int
    instance_id: str
    element_id: str
    outbox_dir: Path | None = None


class Connector:
    name: ClassVar[str] = ""
    parameters_schema: ClassVar[dict] = {"type": "object"}

    def check_literal(self, name: str, value: Any) -> str | None:
        """Deploy time: a problem with parameter ``name`` written as the literal ``value``
        beyond its JSON Schema (None: fine)."""
        return None

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        raise NotImplementedError


class ConnectorRegistry:
    def __init__(self, connectors: Iterable[Connector] = ()) -> None:
        self._connectors: dict[str, Connector] = {}
        for connector in connectors:
            self.add(connector)

    def add(self, connector: Connector) -> None:
        if not connector.name:
            raise ValueError(f"connector {connector!r} has no name")
        self._connectors[connector.name] = connector

    def get(self, name: str) -> Connector | None:
        return self._connectors.get(name)

    def names(self) -> list[str]:
        return sorted(self._connectors)


def instance_of(loaded: Any) -> Connector:
    """A connector from what an entry point or a setting names: a class (instantiated) or an instance."""
    return loaded() if isinstance(loaded, type) else loaded
