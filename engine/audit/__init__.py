"""The audit log: every event appended, none ever changed."""

from .log import AuditLog, EventRecord

__all__ = ["AuditLog", "EventRecord"]
