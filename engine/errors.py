"""Typed errors of the engine.

Every error a caller can cause has its own class, so the HTTP layer and the CLI can turn
it into a problem document or an exit code without parsing messages. Each class carries
the HTTP status it maps to; the engine itself never imports anything HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file, located by file and line where known."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line if self.line is not None else 0}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "message": self.message}


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with submitted data, located by a JSON Pointer into the body."""

    path: str
    message: str
    # The message in other languages, by locale, when the form gave them (x-rules' message_i18n).
    translations: dict[str, str] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict:
        found = {"path": self.path, "message": self.message}
        if self.translations:
            found["translations"] = dict(self.translations)
        return found


class FlowdeskError(Exception):
    """Base of every error the engine raises on purpose."""

    status: int = 500
    slug: str = "error"
    title: str = "Internal error"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class AuditLogIsAppendOnly(FlowdeskError):
    """A bug: Flowdesk's own code tried to change or delete a written event."""

    status = 500
    slug = "audit-log-append-only"
    title = "The audit log is append-only"


class NotFound(FlowdeskError):
    status, slug, title = 404, "not-found", "Not found"


class Forbidden(FlowdeskError):
    status, slug, title = 403, "forbidden", "Forbidden"


class SeparationOfDutiesViolation(Forbidden):
    """The user would complete a task that a separation-of-duties rule bars them from."""

    slug, title = "separation-of-duties", "Separation of duties"


class Unauthorized(FlowdeskError):
    status, slug, title = 401, "unauthorized", "Not authenticated"


class Conflict(FlowdeskError):
    """The state moved: the task is no longer open, someone else holds it, or another
    writer changed the instance first."""

    status, slug, title = 409, "conflict", "Conflict"


class ConcurrentModification(Conflict):
    slug, title = "concurrent-modification", "Concurrent modification"


class BadRequest(FlowdeskError):
    status, slug, title = 400, "bad-request", "Bad request"


class InvalidData(FlowdeskError):
    """Submitted data does not satisfy a form or a request schema."""

    status, slug, title = 422, "invalid-data", "Invalid data"

    def __init__(self, errors: Iterable[FieldError], detail: str | None = None) -> None:
        self.errors = list(errors)
        first = "; ".join(f"{e.path or '/'}: {e.message}" for e in self.errors[:3])
        super().__init__(detail or f"The data is not valid: {first}")


class DefinitionInvalid(FlowdeskError):
    """One or more definition files are wrong; every problem found is listed."""

    status, slug, title = 422, "invalid-definition", "Invalid definition"

    def __init__(self, problems: Iterable[Problem], detail: str | None = None) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.message))
        count = len(self.problems)
        super().__init__(detail or f"{count} problem{'s' if count != 1 else ''} in the definitions")


class ExecutionFailed(FlowdeskError):
    """A step of an instance failed at run time (a script error, a sandbox refusal);
    the instance is marked failed and an incident is opened."""

    status, slug, title = 422, "execution-failed", "Execution failed"


# -- HTTP API -------------------------------------------------------------------------------------
class TooManyAttempts(FlowdeskError):
    """Logins for a username are locked for a while after repeated failures."""

    status, slug, title = 429, "too-many-attempts", "Too many attempts"

    def __init__(self, detail: str | None = None, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class DatabaseUnavailable(FlowdeskError):
    """The database cannot be reached for now (restarting, network, no pooled connection
    in time): nothing was saved, and the same request may be retried after a while."""

    status, slug, title = 503, "database-unavailable", "Database unavailable"

    def __init__(self, detail: str | None = None, retry_after: int = 2) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PayloadTooLarge(FlowdeskError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(FlowdeskError):
    """A body in another format than the one asked for (JSON, multipart)."""

    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class IdempotencyKeyReused(FlowdeskError):
    """An ``Idempotency-Key`` sent again with a different request (the content differs,
    so 422, like any other body that does not fit; 409 is for a key still in flight)."""

    status, slug, title = 422, "idempotency-key-reused", "Idempotency key reused"

