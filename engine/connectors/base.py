"""The connector interface and the registry that finds connectors by name."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

from jsonschema import Draft202012Validator

from ..errors import FieldError

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

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        raise NotImplementedError

    def check_parameters(self, params: Mapping[str, Any]) -> list[FieldError]:
        validator = Draft202012Validator(self.parameters_schema)
        return [
            FieldError("/" + "/".join(str(p) for p in err.absolute_path), err.message)
            for err in validator.iter_errors(dict(params))
        ]


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

    @classmethod
    def default(cls, outbox_dir: Path | None = None, modules: Iterable[str] = ()) -> ConnectorRegistry:
        """The built-in connectors, those installed through entry points, and those named
        as ``module:attribute`` in configuration."""
        from .email import EmailConnector
        from .http import HttpConnector

        registry = cls([HttpConnector(), EmailConnector(outbox_dir)])
        for entry in entry_points(group="flowdesk.connectors"):
            try:
                registry.add(_instance(entry.load()))
            except Exception:
                log.exception("connector entry point %s could not be loaded", entry.name)
        for spec in modules:
            module_name, _, attribute = spec.partition(":")
            try:
                registry.add(_instance(getattr(import_module(module_name), attribute)))
            except Exception as err:
                raise ValueError(f"connector {spec!r} could not be loaded: {err}") from err
        return registry


def _instance(loaded: Any) -> Connector:
    return loaded() if isinstance(loaded, type) else loaded
