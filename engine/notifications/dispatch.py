"""Running notification jobs: fanning a step's events out to users (and webhooks), and
sending each mail through the ``email`` connector (SMTP, or the outbox folder).

A ``notify`` job turns events into ``notifications`` rows, each with a key that is the
same however often the job runs (``UNIQUE``), and one ``mail`` job per mail to send; a
group task for a user who chose a digest waits in the table for the digest's mail job.
A ``mail`` job sends with the notification's key as Message-ID and outbox file name, so
the retry of a job whose worker died after sending sends the same message again at most.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, defer

from .. import values
from ..collaboration.preferences import Preferences
from ..collaboration.substitutes import owners_of
from ..connectors import CallContext, ConnectorError
from ..definitions.model import process_info
from ..persistence.collaboration import Notification
from ..persistence.models import Definition, Job, Membership, Task, TaskExclusion, User
from ..status import JobStatus, TaskStatus
from ..webhooks.delivery import enqueue as enqueue_webhooks
from ..webhooks.delivery import finish, owned
from . import texts
from .reactions import NOTIFY_KIND

MAIL_KIND = "mail"
DUE_SOON = timedelta(hours=24)
DIGEST_PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}
MAIL_ATTEMPTS = 5
MAIL_BACKOFF_SECONDS = 30.0
# A group task notifies at most this many members (the rest see it in their inbox).
MAX_GROUP_RECIPIENTS = 500
_INSERT_JOB = insert(Job.__table__)


def new_job(session: Session, kind: str, due_at: datetime, payload: dict, now: datetime, name: str | None = None,
            max_attempts: int = MAIL_ATTEMPTS) -> None:
    session.execute(_INSERT_JOB, {
        "id": str(uuid.uuid4()), "kind": kind, "name": name, "instance_id": None, "definition_id": None,
        "element_id": None, "task_id": None, "due_at": due_at, "status": JobStatus.WAITING, "attempts": 0,
        "max_attempts": max_attempts, "last_error": None, "locked_by": None, "lock_expires_at": None,
        "payload": values.encode(payload), "created_at": now, "finished_at": None,
    })


class Notifier:
    """The handlers of ``notify`` and ``mail`` jobs (the job executor calls them)."""

    def __init__(self, context: Any, outbox_dir: Any = None) -> None:
        self.ctx = context
        self.outbox_dir = outbox_dir or context.settings.outbox_dir
        self.clock = context.clock
        default_tz = context.settings.time_zone
        self.preferences = Preferences(context.clock, default_time_zone=default_tz)

    # -- notify: events -> notifications ------------------------------------------------------
    def notify(self, worker_id: str, job_id: str, payload: dict) -> None:
        now = self.clock.now()
        with self.ctx.transaction() as session:
            job = owned(session, job_id, worker_id)
            if job is None:
                return
            if "due" in payload:
                self._due(session, payload)
            else:
                self._events(session, job.id, payload, now)
            finish(job, now)

    def _events(self, session: Session, job_id: str, payload: dict, now: datetime) -> None:
        events = payload.get("events") or []
        escalation = any(e["type"] == "timer.fired" for e in events)
        for index, event in enumerate(events):
            key = f"{job_id}:{index}"
            kind = event["type"]
            enqueue_webhooks(session, key, event, payload.get("at") or now.isoformat(), now)
            task = session.get(Task, event["task_id"]) if event.get("task_id") else None
            if task is None or task.status != TaskStatus.OPEN:
                continue
            if kind == "task.created":
                if task.assignee:
                    self._notify(session, task.assignee, "escalated" if escalation else "assigned", task, key)
                else:
                    for member in self._group_members(session, task):
                        self._notify(session, member, "escalated" if escalation else "group_task", task, key)
                self._schedule_due(session, task, now)
            elif kind in ("task.assigned", "task.delegated"):
                to = (event.get("data") or {}).get("to")
                if to and to == task.assignee and to != event.get("actor"):
                    self._notify(session, to, "assigned", task, key)
            elif kind == "task.updated" and "due_at" in ((event.get("data") or {}).get("changes") or {}):
                self._schedule_due(session, task, now)

    def _group_members(self, session: Session, task: Task) -> list[str]:
        if not task.candidate_groups:
            return []
        barred = select(TaskExclusion.username).where(TaskExclusion.task_id == task.id)
        return list(session.scalars(
            select(Membership.username).join(User, User.username == Membership.username)
            .where(Membership.group_name.in_(list(task.candidate_groups)), User.active.is_(True),
                   Membership.username.not_in(barred))
            .distinct().order_by(Membership.username).limit(MAX_GROUP_RECIPIENTS)))

    def _schedule_due(self, session: Session, task: Task, now: datetime) -> None:
        if task.due_at is None or task.due_at <= now:
            return
        due = task.due_at.isoformat()
        new_job(session, NOTIFY_KIND, max(now, task.due_at - DUE_SOON),
                {"due": "due_soon", "task_id": task.id, "due_at": due}, now)
        new_job(session, NOTIFY_KIND, task.due_at, {"due": "overdue", "task_id": task.id, "due_at": due}, now)

    def _due(self, session: Session, payload: dict) -> None:
        task = session.get(Task, payload["task_id"])
        if task is None or task.status != TaskStatus.OPEN or task.due_at is None \
                or task.due_at.isoformat() != payload["due_at"]:
            return  # done, or its due date moved (a job for the new date exists)
        key = f"{payload['due']}:{task.id}:{payload['due_at']}"
        recipients = [task.assignee] if task.assignee else self._group_members(session, task)
        for username in recipients:
            self._notify(session, username, payload["due"], task, key)

    def _notify(self, session: Session, username: str, kind: str, task: Task, key: str) -> None:
        key = f"{key}:{kind}:{username}"[:255]
        if session.scalar(select(Notification.id).where(Notification.key == key)):
            return
        prefs = self.preferences.view(session, username)
        if not prefs["notifications"].get(kind):
            return
        digest = kind == "group_task" and prefs["digest"] in DIGEST_PERIODS
        status = "skipped" if not prefs["email"] else ("queued" if digest else "pending")
        owner = owners_of(session, [task.id]).get(task.id)
        notification = Notification(
            id=str(uuid.uuid4()), key=key, username=username, kind=kind, task_id=task.id,
            instance_id=task.instance_id, status=status, created_at=self.clock.now(), sent_at=None,
            data={"on_behalf_of": owner if owner and owner != username else None})
        session.add(notification)
        session.flush()
        now = self.clock.now()
        if status == "pending":
            new_job(session, MAIL_KIND, now, {"notification_id": notification.id}, now)
        elif status == "queued" and not session.scalar(select(Job.id).where(
                Job.kind == MAIL_KIND, Job.name == f"digest:{username}", Job.status == JobStatus.WAITING)):
            new_job(session, MAIL_KIND, now + DIGEST_PERIODS[prefs["digest"]], {"digest": username}, now,
                    name=f"digest:{username}")

    # -- mail: notifications -> e-mail --------------------------------------------------------
    def mail(self, worker_id: str, job_id: str, attempt: int, payload: dict) -> None:
        with self.ctx.transaction() as session:
            if owned(session, job_id, worker_id) is None:
                return
            message = self._digest(session, payload["digest"]) if "digest" in payload \
                else self._message(session, payload["notification_id"])
        error = None
        if message is not None:
            error = self._send(message, attempt)
        now = self.clock.now()
        with self.ctx.transaction() as session:
            job = owned(session, job_id, worker_id)
            if job is None:
                return
            if error is None or job.attempts >= job.max_attempts:
                finish(job, now, JobStatus.DONE if error is None else JobStatus.FAILED)
                if message is not None:
                    session.execute(update(Notification).where(Notification.id.in_(message["ids"]))
                                    .values(status="sent" if error is None else "failed",
                                            sent_at=now if error is None else None))
                job.last_error = error
                return
            job.status, job.locked_by, job.lock_expires_at, job.last_error = JobStatus.WAITING, None, None, error
            job.due_at = now + timedelta(seconds=MAIL_BACKOFF_SECONDS * 2 ** max(0, attempt - 1))

    def _message(self, session: Session, notification_id: str) -> dict | None:
        note = session.get(Notification, notification_id)
        if note is None or note.status != "pending":
            return None
        task = session.get(Task, note.task_id)
        prefs = self.preferences.view(session, note.username)
        if task is None or not prefs["email"]:
            return None
        locale = prefs["locale"]
        words = self._task_words(session, task, locale, prefs["time_zone"])
        owner = (note.data or {}).get("on_behalf_of")
        subject, body = texts.render(note.kind, locale, user=self._display_name(session, note.username),
                                     on_behalf=texts.ON_BEHALF.get(locale, texts.ON_BEHALF["en"]).format(owner=owner)
                                     if owner else "", **words)
        return {"ids": [note.id], "key": f"notification-{note.id}", "to": prefs["email"], "locale": locale,
                "subject": subject, "body": body}

    def _digest(self, session: Session, username: str) -> dict | None:
        notes = list(session.scalars(select(Notification).where(Notification.username == username,
                                                                Notification.status == "queued")
                                     .order_by(Notification.created_at).limit(200)))
        prefs = self.preferences.view(session, username)
        if not notes or not prefs["email"]:
            return None
        locale = prefs["locale"]
        lines = []
        for note in notes:
            task = session.get(Task, note.task_id)
            if task is not None:
                words = self._task_words(session, task, locale, prefs["time_zone"])
                lines.append(f"- {words['task']} ({words['process']} {words['business_key']}) {words['link']}")
        subject, body = texts.render("digest", locale, user=self._display_name(session, username),
                                     count=len(lines), lines="\n".join(lines))
        return {"ids": [n.id for n in notes], "key": f"digest-{notes[0].id}", "to": prefs["email"],
                "locale": locale, "subject": subject, "body": body}

    def _task_words(self, session: Session, task: Task, locale: str, time_zone: str) -> dict[str, str]:
        definition = session.scalar(select(Definition).where(Definition.key == task.definition_key,
                                                             Definition.version == task.definition_version)
                                    .options(defer(Definition.spec)))
        process, name = task.definition_key, task.name
        if definition is not None:
            info = process_info(definition)
            process = info.name_i18n.get(locale) or info.name or process
            meta = info.human_tasks.get(task.element_id)
            if meta is not None:
                name = meta.name_i18n.get(locale) or name
        due = texts.NO_DUE_DATE.get(locale, texts.NO_DUE_DATE["en"])
        if task.due_at is not None:
            due = task.due_at.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M ") + time_zone
        base = self.ctx.settings.public_url.rstrip("/") if getattr(self.ctx.settings, "public_url", "") else ""
        return {"task": name, "process": process, "business_key": task.business_key or "", "due": due,
                "link": f"{base}/tasks/{task.id}"}

    @staticmethod
    def _display_name(session: Session, username: str) -> str:
        user = session.get(User, username)
        return (user.display_name if user is not None and user.display_name else username)

    def _send(self, message: dict, attempt: int) -> str | None:
        connector = self.ctx.connectors.get("email")
        if connector is None:
            return "no email connector is installed"
        settings = self.ctx.settings
        params: dict[str, Any] = {"to": message["to"], "subject": message["subject"], "body": message["body"],
                                  "subject_i18n": {message["locale"]: message["subject"]},
                                  "body_i18n": {message["locale"]: message["body"]},
                                  "language": message["locale"],
                                  "sender": getattr(settings, "mail_sender", "") or "flowdesk@localhost"}
        if getattr(settings, "smtp_host", ""):
            params.update(smtp_host=settings.smtp_host, smtp_port=int(settings.smtp_port))
        try:
            connector.call(params, CallContext(message["key"], attempt, "", "", self.outbox_dir))
        except ConnectorError as err:
            return str(err)[:500]
        except OSError as err:
            return f"{type(err).__name__}: {err}"[:500]
        return None
