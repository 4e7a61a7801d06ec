"""Out of office and delegation: work done on behalf of its owner.

While a user's substitute holds (``from <= now < until``), a task that would be assigned
to the user goes to the substitute instead, if the substitute is eligible for it; the
task keeps its owner (``task_owners``), and its events say ``on_behalf_of`` the owner.
Delegating a task hands it to a colleague the same way. Who is eligible is the engine's
one rule for assignment, ``identity.eligibility``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from ..definitions.model import HumanTaskInfo
from ..history.audit import EventRecord
from ..identity.eligibility import eligible, eligible_for_task
from ..identity.users import UserStore
from ..persistence.collaboration import Substitute, TaskOwner
from ..persistence.models import Instance, Task, TaskExclusion

SUBSTITUTE, DELEGATION = "substitute", "delegation"
# Events about a task that say on whose behalf it is worked, when it has an owner.
ON_BEHALF_TYPES = frozenset({"task.created", "task.claimed", "task.unclaimed", "task.assigned", "task.completed",
                             "task.delegated", "task.updated", "comment.added", "attachment.added"})
_SESSION_OWNERS = "flowdesk.task_owners"
_INSERT_OWNER = insert(TaskOwner.__table__)


def task_exclusions(session: Session, task: Task, steps: Any, meta: HumanTaskInfo | None) -> set[str]:
    """Users separation of duties bars from an existing task: its rows, and the rule as of now."""
    barred = set(session.scalars(select(TaskExclusion.username).where(TaskExclusion.task_id == task.id)))
    instance = session.get(Instance, task.instance_id)
    if instance is not None and meta is not None:
        barred |= steps.excluded_users(session, instance, meta)
    return barred


def may_take_over(session: Session, steps: Any, task: Task, meta: HumanTaskInfo | None, username: str) -> bool:
    """The engine's one assignment rule (``identity.eligibility``), with separation of duties as of now."""
    return bool(eligible_for_task(session, task, username, excluded=task_exclusions(session, task, steps, meta)))


def active_substitute(session: Session, username: str, now: datetime) -> str | None:
    row = session.get(Substitute, username)
    if row is None or row.starts_at > now or (row.ends_at is not None and row.ends_at <= now):
        return None
    return row.substitute


def record_owner(session: Session, task_id: str, owner: str, delegate: str, reason: str, now: datetime) -> None:
    """Remember that ``delegate`` works ``task_id`` on behalf of ``owner`` (the first owner
    stays when a delegate delegates again)."""
    existing = session.get(TaskOwner, task_id)
    if existing is not None:
        existing.delegate, existing.reason = delegate, reason
        return
    session.execute(_INSERT_OWNER, {"task_id": task_id, "owner": owner, "delegate": delegate, "reason": reason,
                                    "created_at": now})
    session.info.setdefault(_SESSION_OWNERS, {})[task_id] = owner


def owners_recorded(session: Session) -> bool:
    """Whether this transaction made a task's owner known (before anyone else can see it)."""
    return bool(session.info.get(_SESSION_OWNERS))


def owners_of(session: Session, task_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    return dict(session.execute(select(TaskOwner.task_id, TaskOwner.owner).where(TaskOwner.task_id.in_(ids))).all())


class SubstitutionPolicy:
    """Asked by the step writer for every new task with an assignee: who gets it."""

    def __init__(self, users: UserStore, steps: Any, on_owner: Callable[[], None] = lambda: None) -> None:
        self.users = users
        self.steps = steps
        self.on_owner = on_owner  # a task now has an owner: its later events must look it up

    def assignee_for(self, session: Session, instance: Instance, meta: HumanTaskInfo | None, task_id: str,
                     assignee: str, candidate_groups: list[str], now: datetime) -> str:
        substitute = active_substitute(session, assignee, now)
        if substitute is None or substitute == assignee:
            return assignee
        excluded = self.steps.excluded_users(session, instance, meta)
        if not eligible(session, substitute, candidate_groups=candidate_groups, designated_assignee=assignee,
                        excluded=excluded):
            return assignee  # the task waits for its owner rather than go to someone who may not do it
        record_owner(session, task_id, assignee, substitute, SUBSTITUTE, now)
        self.on_owner()
        return substitute


def add_on_behalf_of(session: Session, records: list[EventRecord]) -> None:
    """Before events are chained: name the owner of every task event worked on their behalf."""
    relevant = [r for r in records if r.task_id and r.type in ON_BEHALF_TYPES and "on_behalf_of" not in r.payload]
    if not relevant:
        return
    known: dict[str, str] = session.info.get(_SESSION_OWNERS, {})
    missing = {r.task_id for r in relevant if r.task_id not in known and r.type != "task.created"}
    owners = {**owners_of(session, missing), **known} if missing else known
    if not owners:
        return
    for record in relevant:
        owner = owners.get(record.task_id)
        if owner is not None and owner != record.actor:
            record.payload["on_behalf_of"] = owner


def has_owner(session: Session, task_id: str) -> bool:
    return bool(session.scalar(select(exists().where(TaskOwner.task_id == task_id))))
