"""The connectors every installation has, and the ones a site adds.

Built in: ``http`` and ``email``. A site adds its own through the ``flowdesk.connectors``
entry-point group or ``FLOWDESK_CONNECTORS=module:attribute,...``; the engine adds the
record connectors (over its own business records) unless a site's connector of the
same name replaces one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

from .base import ConnectorRegistry, instance_of
from .email import EmailConnector
from .http import HttpConnector
from .outbound import OutboundPolicy

log = logging.getLogger(__name__)


def default_registry(outbox_dir: Path | None = None, modules: Iterable[str] = (), *,
                     outbound_allow: Iterable[str] = (), smtp_host: str = "", smtp_port: int = 25) -> ConnectorRegistry:
    """The built-in connectors (``http`` under the outbound policy, ``email`` with the
    configured SMTP server), those installed through entry points, and those named as
    ``module:attribute`` in configuration."""
    registry = ConnectorRegistry([HttpConnector(OutboundPolicy(outbound_allow)),
                                  EmailConnector(outbox_dir, smtp_host, smtp_port)])
    for entry in entry_points(group="flowdesk.connectors"):
        try:
            registry.add(instance_of(entry.load()))
        except Exception:
            log.exception("connector entry point %s could not be loaded", entry.name)
    for spec in modules:
        module_name, _, attribute = spec.partition(":")
        try:
            registry.add(instance_of(getattr(import_module(module_name), attribute)))
        except Exception as err:
            raise ValueError(f"connector {spec!r} could not be loaded: {err}") from err
    return registry
