"""Delivering one event to one webhook: a job per delivery, HMAC-signed, retried with
exponential backoff, every attempt written to the delivery's log.

The body is fixed when the delivery is created, so every retry sends the same bytes,
the same signature and the same ``Idempotency-Key`` (the delivery id). Calls go out with
a plain HTTP client and a timeout, never inside a database transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime, timedelta

import httpx
from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from ..persistence.collaboration import TaskOwner, Webhook, WebhookDelivery
from ..persistence.models import Job, User
from ..status import JobStatus

WEBHOOK_KIND = "webhook"
ATTEMPTS = 6
BACKOFF_SECONDS = 5.0
TIMEOUT_SECONDS = 10.0
_INSERT_JOB = insert(Job.__table__)


class Interest:
    """Who listens, read at most every ``seconds`` (each step asks; a change made through
    this process applies at once, one made elsewhere within ``seconds``): the event types
    some active webhook wants, whether any user has an e-mail address at all (an
    installation without addresses pays nothing for notifications) and whether any task is
    worked on someone's behalf (else no completion looks its owner up)."""

    def __init__(self, seconds: float = 5.0) -> None:
        self.seconds = seconds
        self._types: frozenset[str] = frozenset()
        self._mail = False
        self._owners = False
        self._read_at = float("-inf")

    def _refresh(self, session: Session) -> None:
        if time.monotonic() - self._read_at < self.seconds:
            return
        types: set[str] = set()
        for events in session.scalars(select(Webhook.events).where(Webhook.active.is_(True))):
            types.update(events or ())
        self._types = frozenset(types)
        self._mail = bool(session.scalar(select(exists().where(User.email.is_not(None)))))
        self._owners = bool(session.scalar(select(exists().where(TaskOwner.task_id.is_not(None)))))
        self._read_at = time.monotonic()

    def webhook_types(self, session: Session) -> frozenset[str]:
        self._refresh(session)
        return self._types

    def anyone_mailed(self, session: Session) -> bool:
        self._refresh(session)
        return self._mail

    def anyone_delegated(self, session: Session) -> bool:
        """Whether any task is worked on someone's behalf (else its events need no lookup)."""
        self._refresh(session)
        return self._owners

    def clear(self) -> None:
        self._read_at = float("-inf")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def enqueue(session: Session, event_key: str, event: dict, at: str, now: datetime) -> int:
    """A delivery and its job for every active webhook that wants ``event`` (once per
    webhook and event key, however often this runs)."""
    made = 0
    for hook in session.scalars(select(Webhook).where(Webhook.active.is_(True))):
        if event["type"] not in hook.events and "*" not in hook.events:
            continue
        if session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == hook.id,
                                                           WebhookDelivery.event_key == event_key)):
            continue
        delivery_id = str(uuid.uuid4())
        body = json.dumps({"id": delivery_id, "event_key": event_key, "type": event["type"], "at": at,
                           "actor": event.get("actor"), "instance_id": event.get("instance_id"),
                           "definition_key": event.get("definition_key"),
                           "definition_version": event.get("definition_version"),
                           "element_id": event.get("element_id"), "task_id": event.get("task_id"),
                           "data": event.get("data") or {}}, ensure_ascii=False, sort_keys=True, default=str)
        session.add(WebhookDelivery(id=delivery_id, webhook_id=hook.id, event_key=event_key,
                                    event_type=event["type"], body=body, status="pending", attempts=0, log=[],
                                    created_at=now))
        session.flush()
        session.execute(_INSERT_JOB, {
            "id": str(uuid.uuid4()), "kind": WEBHOOK_KIND, "name": hook.id, "instance_id": None,
            "definition_id": None, "element_id": None, "task_id": None, "due_at": now,
            "status": JobStatus.WAITING, "attempts": 0, "max_attempts": ATTEMPTS, "last_error": None,
            "locked_by": None, "lock_expires_at": None, "payload": {"delivery_id": delivery_id},
            "created_at": now, "finished_at": None,
        })
        made += 1
    return made


def post(url: str, secret: str, delivery_id: str, body: str,
         timeout: float = TIMEOUT_SECONDS) -> tuple[int | None, str | None]:
    """One attempt: (status code, error); a 2xx status with no error is delivered."""
    raw = body.encode()
    headers = {"Content-Type": "application/json", "X-Flowdesk-Signature": signature(secret, raw),
               "Idempotency-Key": delivery_id, "User-Agent": "Flowdesk-Webhooks/1"}
    try:
        response = httpx.post(url, content=raw, headers=headers, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as err:
        return None, f"{type(err).__name__}: {err}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS * 2 ** max(0, attempt - 1))


def owned(session: Session, job_id: str, worker_id: str) -> Job | None:
    """The job, if this worker still holds it."""
    job = session.get(Job, job_id, with_for_update=True)
    return job if job is not None and job.status == JobStatus.RUNNING and job.locked_by == worker_id else None


def finish(job: Job, now: datetime, status: str = JobStatus.DONE) -> None:
    job.status, job.finished_at, job.locked_by, job.lock_expires_at = status, now, None, None


class WebhookSender:
    """The handler of ``webhook`` jobs: one attempt per run, retried with backoff."""

    def __init__(self, context) -> None:
        self.ctx = context

    def deliver(self, worker_id: str, job_id: str, attempt: int, payload: dict) -> None:
        with self.ctx.transaction() as session:
            if owned(session, job_id, worker_id) is None:
                return
            delivery = session.get(WebhookDelivery, payload["delivery_id"])
            hook = session.get(Webhook, delivery.webhook_id) if delivery is not None else None
            target = None if hook is None or not hook.active or delivery.status != "pending" else (
                hook.url, hook.secret, delivery.id, delivery.body)
        status_code, error = post(*target) if target is not None else (None, None)
        now = self.ctx.clock.now()
        with self.ctx.transaction() as session:
            job = owned(session, job_id, worker_id)
            if job is None:
                return
            if target is None:
                finish(job, now, JobStatus.CANCELLED)
                return
            delivery = session.get(WebhookDelivery, payload["delivery_id"])
            delivery.attempts = attempt
            delivery.last_status_code, delivery.last_error = status_code, error
            delivery.log = [*delivery.log, {"attempt": attempt, "at": now.isoformat(), "status_code": status_code,
                                            "error": error}][-50:]
            if error is None:
                delivery.status, delivery.delivered_at = "delivered", now
                finish(job, now)
            elif attempt >= job.max_attempts:
                delivery.status = "failed"
                job.last_error = error
                finish(job, now, JobStatus.FAILED)
            else:
                job.status, job.locked_by, job.lock_expires_at, job.last_error = JobStatus.WAITING, None, None, error
                job.due_at = now + backoff(attempt)
