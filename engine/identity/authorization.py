"""Who may do what: the contract's permission table as functions of (actor, resource).

Both the HTTP API and the CLI go through :class:`~flowdesk.engine.process_engine.ProcessEngine`,
which calls these functions, so both give the same answers. The order of the checks is
the contract's precedence:

1. an endpoint the caller's *role* may not use at all answers 403 (``require_*``), and
   reveals nothing about the object asked for;
2. an object the caller may not *read* answers 404, exactly as an unknown id does
   (``check_*_visible``);
3. reading but not allowed to act answers 403, then separation of duties 403
   (checked by the task service), then the object's state 409, then the content 422.

Roles are groups (``admin``, ``designer``, ``auditor``, ``integration``). Everybody with a
business group, or with no role group at all, is an *employee*. A user with several
groups may do whatever any of them allows. The engine itself (``SYSTEM``, what the CLI
acts as unless told ``--user``) may do everything.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select, true
from sqlalchemy.orm import Session

from ..definitions.model import ProcessInfo
from ..errors import FieldError, Forbidden, InvalidData, NotFound
from ..persistence.collaboration import Attachment
from ..persistence.models import FileAttachment, Instance, StoredFile, Task
from ..records.attachments import referenced_files
from .actors import ROLE_GROUPS, SYSTEM, Actor

ADMIN, DESIGNER, AUDITOR, INTEGRATION = "admin", "designer", "auditor", "integration"


def is_system(actor: Actor) -> bool:
    # Identity, not equality: a user who happened to be called "system" is not the engine.
    return actor is SYSTEM


def has_role(actor: Actor, *roles: str) -> bool:
    return is_system(actor) or bool(actor.groups.intersection(roles))


def business_groups(actor: Actor) -> frozenset[str]:
    return actor.groups - ROLE_GROUPS


def is_employee(actor: Actor) -> bool:
    """Works in the business: has a business group, or no role group at all."""
    return is_system(actor) or bool(business_groups(actor)) or not actor.roles


def _refuse(actor: Actor, what: str) -> Forbidden:
    roles = ", ".join(sorted(actor.roles)) or "employee"
    return Forbidden(f"'{actor.username}' ({roles}) may not {what}")


# -- endpoint level (403) ------------------------------------------------------------------------
def require_admin(actor: Actor, what: str) -> None:
    if not has_role(actor, ADMIN):
        raise _refuse(actor, what)


def require_deployer(actor: Actor) -> None:
    if not has_role(actor, ADMIN, DESIGNER):
        raise _refuse(actor, "deploy definitions (designers and admins do)")


def require_task_worker(actor: Actor) -> None:
    """Inbox, task detail, claim, unclaim, complete: employees, designers and admins."""
    if not (is_employee(actor) or has_role(actor, ADMIN, DESIGNER)):
        raise _refuse(actor, "work on tasks")


def require_task_assigner(actor: Actor) -> None:
    """Assigning: admins (any task) and employees (the task they hold, to delegate it)."""
    if not (is_employee(actor) or has_role(actor, ADMIN)):
        raise _refuse(actor, "assign tasks")


def require_starter_role(actor: Actor) -> None:
    if not (is_employee(actor) or has_role(actor, ADMIN, DESIGNER, INTEGRATION)):
        raise _refuse(actor, "start process instances")


def require_instance_reader(actor: Actor) -> None:
    if not (is_employee(actor) or has_role(actor, ADMIN, AUDITOR, INTEGRATION)):
        raise _refuse(actor, "read process instances")


def require_canceller(actor: Actor) -> None:
    if not (is_employee(actor) or has_role(actor, ADMIN)):
        raise _refuse(actor, "cancel process instances")


def require_messenger(actor: Actor) -> None:
    if not has_role(actor, ADMIN, INTEGRATION):
        raise _refuse(actor, "send messages or signals (admins and integration accounts do)")


def require_auditor(actor: Actor) -> None:
    if not has_role(actor, ADMIN, AUDITOR):
        raise _refuse(actor, "read the audit log (auditors and admins do)")


def require_operations_reader(actor: Actor) -> None:
    """Incidents, jobs and metrics: designers, auditors and admins."""
    if not has_role(actor, ADMIN, AUDITOR, DESIGNER):
        raise _refuse(actor, "read incidents, jobs or metrics")


def may_read_directory(actor: Actor) -> bool:
    """Who is who and in which groups: admins manage it; auditors (who trace who did what)
    and designers (who name groups in models) read it."""
    return has_role(actor, ADMIN, AUDITOR, DESIGNER)


def require_directory_reader(actor: Actor) -> None:
    if not may_read_directory(actor):
        raise _refuse(actor, "read other users and their groups (admins, auditors and designers do)")


def require_instance_suspender(actor: Actor) -> None:
    """Suspending and resuming an instance: admins."""
    if not has_role(actor, ADMIN):
        raise _refuse(actor, "suspend or resume process instances (admins do)")


def require_definition_suspender(actor: Actor, with_instances: bool) -> None:
    """Suspending and resuming a definition (new instances refused): designers and admins;
    suspending its running instances with it: admins."""
    if with_instances:
        require_instance_suspender(actor)
    elif not has_role(actor, ADMIN, DESIGNER):
        raise _refuse(actor, "suspend or resume process definitions (designers and admins do)")


def require_migrator(actor: Actor, dry_run: bool) -> None:
    """Migrating instances between versions: admins; a dry run (which changes nothing) also
    designers, who prepare the new version."""
    if has_role(actor, ADMIN) or (dry_run and has_role(actor, DESIGNER)):
        return
    raise _refuse(actor, "migrate process instances (admins do; designers may make a dry run)")


def require_uploader(actor: Actor) -> None:
    """Uploading files for forms: whoever may fill in a form (everybody but read-only auditors)."""
    if not (is_employee(actor) or has_role(actor, ADMIN, DESIGNER, INTEGRATION)):
        raise _refuse(actor, "upload files")


# -- starting ------------------------------------------------------------------------------------
def check_may_start(actor: Actor, info: ProcessInfo) -> None:
    """The start lane's group (or no lane) for employees, designers and admins; integration
    accounts start any process on behalf of outside systems."""
    require_starter_role(actor)
    if is_system(actor) or has_role(actor, INTEGRATION):
        return
    if info.start_lane and info.start_lane not in actor.groups:
        raise Forbidden(f"starting '{info.key}' is for members of '{info.start_lane}'")


# -- instances -----------------------------------------------------------------------------------
def sees_all_instances(actor: Actor) -> bool:
    return has_role(actor, ADMIN, AUDITOR)


def may_read_all_task_data(actor: Actor) -> bool:
    """Whether a task page may show the instance's raw data (engine variables, ids, helper
    lists) beside its summary: auditors and admins, who check what the process did; the
    person doing the task sees the facts the process declared for it."""
    return has_role(actor, ADMIN, AUDITOR)


def require_all_task_data_reader(actor: Actor) -> None:
    if not may_read_all_task_data(actor):
        raise _refuse(actor, "read a task's raw process data")


def involved(username: str) -> ColumnElement[bool]:
    """Instances a user holds or held a task in (assignee now, or completed it)."""
    return exists().where(Task.instance_id == Instance.id,
                          or_(Task.assignee == username, Task.completed_by == username))


def visible_instances(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause over ``Instance`` selecting what the actor may read."""
    if sees_all_instances(actor):
        return true()
    mine = Instance.started_by == actor.username
    if is_employee(actor):
        return or_(mine, involved(actor.username))
    return mine  # integration accounts: the instances they started


def may_read_instance(session: Session, actor: Actor, instance: Instance) -> bool:
    if sees_all_instances(actor):
        return True
    if instance.started_by == actor.username:
        return True
    if not is_employee(actor):
        return False
    return bool(session.scalar(select(involved(actor.username)).where(Instance.id == instance.id)))


def check_instance_visible(session: Session, actor: Actor, instance: Instance) -> None:
    if not may_read_instance(session, actor, instance):
        raise NotFound(f"no instance with id '{instance.id}'")


def check_may_cancel(session: Session, actor: Actor, instance: Instance) -> None:
    """Admins cancel any instance, giving a reason; employees cancel the ones they started."""
    require_canceller(actor)
    if has_role(actor, ADMIN):
        return
    check_instance_visible(session, actor, instance)
    if instance.started_by != actor.username:
        raise Forbidden(f"only the starter or an admin may cancel instance '{instance.id}'")


# -- tasks ---------------------------------------------------------------------------------------
def is_candidate(actor: Actor, task: Task) -> bool:
    return task.assignee == actor.username or actor.in_any(task.candidate_groups)


def check_task_visible(session: Session, actor: Actor, task: Task) -> None:
    """A task is visible to its assignee, its candidates (even when a separation-of-duties
    rule bars them: they get 403 for that, not 404) and whoever may read its instance."""
    if is_system(actor) or is_candidate(actor, task):
        return
    instance = session.get(Instance, task.instance_id)
    if instance is None or not may_read_instance(session, actor, instance):
        raise NotFound(f"no task with id '{task.id}'")


# -- files ---------------------------------------------------------------------------------------
def may_read_file(session: Session, actor: Actor, stored: StoredFile) -> bool:
    """The uploader, admins and auditors, and whoever may read an instance the file was
    legitimately submitted to (see ``records.attachments``)."""
    if has_role(actor, ADMIN, AUDITOR) or stored.uploaded_by == actor.username:
        return True
    readable = select(Instance.id).where(visible_instances(actor))
    return bool(session.scalar(select(exists().where(
        FileAttachment.file_id == stored.id, FileAttachment.instance_id.in_(readable))))) or attached_to(
            session, actor, stored.id)


def attached_to(session: Session, actor: Actor, file_id: str) -> bool:
    """Whether the file is attached to a task of an instance the actor may read."""
    readable = select(Instance.id).where(visible_instances(actor))
    return bool(session.scalar(select(exists().where(Attachment.file_id == file_id,
                                                     Attachment.instance_id.in_(readable)))))


def check_may_attach(session: Session, actor: Actor, data) -> list[StoredFile]:
    """The stored files ``data`` names, when the submitter may read each already; 422 at
    the value's path otherwise (the same answer as for an id that names no file)."""
    files, refused = [], []
    for pointer, stored in referenced_files(session, data):
        if is_system(actor) or may_read_file(session, actor, stored):
            files.append(stored)
        else:
            refused.append(FieldError(pointer, f"there is no file with id '{stored.id}' you may use"))
    if refused:
        raise InvalidData(refused)
    return files


def check_may_assign(actor: Actor, task: Task) -> None:
    """Admins assign any task; the current assignee may hand theirs on (delegation)."""
    if not (has_role(actor, ADMIN) or task.assignee == actor.username):
        raise Forbidden("only an admin or the current assignee can assign a task")


# -- records -------------------------------------------------------------------------------------
def require_record_reader(actor: Actor) -> None:
    """Employees, auditors, admins and integration accounts read records; designers do not."""
    if not (has_role(actor, ADMIN, AUDITOR, INTEGRATION) or is_employee(actor)):
        raise _refuse(actor, "read business records")


def visible_records(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause over ``Record``: everything for auditors, admins and integration
    accounts; for employees, the records linked to an instance they may read."""
    from ..persistence.models import Record, RecordLink

    if has_role(actor, ADMIN, AUDITOR, INTEGRATION):
        return true()
    readable = select(Instance.id).where(visible_instances(actor))
    return exists().where(RecordLink.record_id == Record.id, RecordLink.instance_id.in_(readable))


def require_external_worker(actor: Actor) -> None:
    """External-task workers are integration accounts (or admins)."""
    if not has_role(actor, ADMIN, INTEGRATION):
        raise _refuse(actor, "work on external tasks (integration accounts and admins do)")


def require_report_reader(actor: Actor) -> None:
    """KPI reports: auditors, admins, and managers (``*_managers``, ``*_directors``, ``cfo``)."""
    if has_role(actor, ADMIN, AUDITOR):
        return
    if any(g.endswith(("_managers", "_directors")) or g == "cfo" for g in actor.groups):
        return
    raise _refuse(actor, "read KPI reports (managers, directors, the CFO, auditors and admins do)")
