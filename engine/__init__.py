"""The Flowdesk engine: definitions in, durable instances, tasks and history out.

Data flows one way through the sub-packages:
``definitions`` (load, translate dialects, validate, hash) -> ``repository`` (versioned
deployments) -> ``runtime`` (the one place that touches SpiffWorkflow) -> ``steps``
(one transaction per step, via ``persistence``) -> ``audit`` (the append-only log).
:class:`ProcessEngine` wires it together; the HTTP API and the CLI use nothing else.
"""
