"""Connectors: how service tasks reach outside systems.

A connector has a name (what a service task's operation names), a JSON Schema for its
parameters (checked by ``flowdesk validate``) and a ``call``. Calls are at least once:
a worker may die after the outside system acted but before the step was saved, and then
the call is made again with the same ``CallContext.idempotency_key`` (instance id + the
service task's execution id; the attempt number changes, the key does not). A connector
that changes an outside system must honour that key.

Sites add connectors through the ``flowdesk.connectors`` entry-point group; each entry
point names a :class:`Connector` subclass or instance.
"""

from .base import BpmnError, CallContext, Connector, ConnectorError, ConnectorRegistry

__all__ = ["BpmnError", "CallContext", "Connector", "ConnectorError", "ConnectorRegistry"]
