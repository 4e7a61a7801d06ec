"""Who may hold a task: the one rule behind claiming, assigning, completing and substitutes.

A user is *eligible* for a human task when the model names them for it, through a
candidate group they belong to (the lane, or ``candidateGroups``) or the task's
assignee rule (``designated_assignee``: the user the ``assignee`` expression named when
the task opened, or the starter for a task nobody is named for; anyone, when that starter
was the engine itself), and no separation-of-duties rule excludes them. The reserved names (``system``,
``anonymous``) are never eligible, and neither is an unknown or deactivated user.

Holding a task does not make anyone eligible: assignment only hands a task to someone
eligible, so a delegated task cannot leave the people the model names (before, a
manager could assign a leave approval to its requester, who handed it to a warehouse
clerk, who approved it).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..persistence.models import Membership, Task, TaskExclusion, User
from .actors import RESERVED_USERNAMES, Actor


class Ineligible(StrEnum):
    RESERVED = "reserved"
    UNKNOWN = "unknown-user"
    NOT_NAMED = "not-a-candidate"
    EXCLUDED = "separation-of-duties"


@dataclass(frozen=True)
class Eligibility:
    """The verdict for one user and one task; true when they may hold it."""

    username: str
    reason: Ineligible | None = None

    def __bool__(self) -> bool:
        return self.reason is None

    @property
    def detail(self) -> str:
        match self.reason:
            case None:
                return f"'{self.username}' may hold the task"
            case Ineligible.RESERVED:
                return f"'{self.username}' is a reserved name and cannot hold a task"
            case Ineligible.UNKNOWN:
                return f"there is no user '{self.username}'"
            case Ineligible.NOT_NAMED:
                return f"'{self.username}' is neither in a candidate group of the task nor its designated assignee"
            case _:
                return f"a separation-of-duties rule excludes '{self.username}' from the task"


def eligible_for_task(session: Session, task: Task, user: Actor | str, *,
                      excluded: Collection[str] = (), listed: bool | None = None) -> Eligibility:
    """Whether ``user`` (an actor with their groups, or a username whose active account and
    groups are read here) may hold ``task``.

    ``excluded`` adds the users a separation-of-duties rule bars as of now (the task
    service passes the ones that completions since the task opened added). The task's
    ``task_exclusions`` rows, written when it opened, are read here unless ``listed``
    already says whether one names the user."""
    return eligible(session, user, candidate_groups=task.candidate_groups or (),
                    designated_assignee=task.designated_assignee, task_id=task.id, excluded=excluded, listed=listed)


def eligible(session: Session, user: Actor | str, *, candidate_groups: Collection[str],
             designated_assignee: str | None, task_id: str | None = None, excluded: Collection[str] = (),
             listed: bool | None = None) -> Eligibility:
    """The rule itself, for a task that may not be stored yet (a substitute is chosen while
    the step that opens the task is being written): ``task_id`` None reads no exclusion rows."""
    username = user if isinstance(user, str) else user.username
    if username in RESERVED_USERNAMES:
        return Eligibility(username, Ineligible.RESERVED)
    if isinstance(user, str):
        account = session.get(User, username)
        if account is None or not account.active:
            return Eligibility(username, Ineligible.UNKNOWN)
        groups = frozenset(session.scalars(select(Membership.group_name).where(Membership.username == username)))
    else:
        groups = user.groups
    # A task the model names nobody for, in an instance the engine itself started (a timer,
    # a message), has no one to go to but whom an admin picks.
    nobody_named = not candidate_groups and (designated_assignee or "system") in RESERVED_USERNAMES
    named = nobody_named or username == designated_assignee or bool(groups.intersection(candidate_groups))
    if not named:
        return Eligibility(username, Ineligible.NOT_NAMED)
    if listed is None:
        listed = task_id is not None and bool(session.scalar(select(exists().where(
            TaskExclusion.task_id == task_id, TaskExclusion.username == username))))
    if listed or username in excluded:
        return Eligibility(username, Ineligible.EXCLUDED)
    return Eligibility(username)
