"""The audit log: every event appended to a hash chain, none ever changed."""

from . import guard  # noqa: F401  (refuses changes to written events)
from .log import AuditLog, EventRecord, StoredEvent

__all__ = ["AuditLog", "EventRecord", "StoredEvent"]
