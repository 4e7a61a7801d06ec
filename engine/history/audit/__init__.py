"""The audit log: every event appended to a hash chain, none ever changed."""

from .log import AuditLog, EventRecord, StoredEvent

__all__ = ["AuditLog", "EventRecord", "StoredEvent"]
