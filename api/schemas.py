"""Request and response shapes, for validation and for the OpenAPI document.

Request models validate bodies (strictly: unknown fields are refused where a typo would
silently change the meaning). Response models only document: routes return
:class:`~flowdesk.api.responses.ExactJSONResponse` themselves so that decimals stay exact.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

NAME_PATTERN = r"^[A-Za-z0-9_.@-]{1,150}$"
Name = Field(pattern=NAME_PATTERN, min_length=1, max_length=150)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ------------------------------------------------------------------------------------
class StartInstance(Strict):
    data: dict[str, Any] = Field(default_factory=dict, description="Start data, checked against the start form.")
    business_key: str | None = Field(default=None, min_length=1, max_length=255,
                                     description="A key from the business, e.g. PO-1001.")


class CancelInstance(Strict):
    reason: str | None = Field(default=None, max_length=2000,
                               description="Why; required when an admin cancels.")


class CompleteTask(Strict):
    data: dict[str, Any] = Field(default_factory=dict, description="Form data, checked against the task's form.")


class AssignTask(Strict):
    username: str = Field(pattern=NAME_PATTERN, max_length=150, description="Who takes the task over.")


class CreateUser(Strict):
    username: str = Field(pattern=NAME_PATTERN, max_length=150)
    password: str = Field(min_length=8, max_length=1024)
    groups: list[str] = Field(default_factory=list, max_length=200)


class SetGroups(Strict):
    groups: list[str] = Field(max_length=200)


class SendMessage(Strict):
    name: str = Field(min_length=1, max_length=255)
    correlation: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)


class SendSignal(Strict):
    name: str = Field(min_length=1, max_length=255)
    data: dict[str, Any] = Field(default_factory=dict)


# -- responses (documentation) -------------------------------------------------------------------
class ProblemError(BaseModel):
    path: str | None = Field(default=None, description="JSON Pointer into the submitted data.")
    file: str | None = None
    line: int | None = None
    message: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemError] | None = None


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


class Me(BaseModel):
    username: str
    groups: list[str]
    roles: list[str]


class UserOut(Me):
    active: bool
    created_at: str
    email: str | None = None
    display_name: str | None = None


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None


class DeployedDefinition(BaseModel):
    key: str
    version: int
    created: bool = Field(description="False when the content equalled the latest version.")


class DeploymentWarning(BaseModel):
    file: str
    line: int | None = None
    message: str


class DeploymentOut(BaseModel):
    id: str
    deployed_at: str
    definitions: list[DeployedDefinition]
    warnings: list[DeploymentWarning] = Field(
        default_factory=list, description="What was accepted but is inert or approximated (a form named but "
                                          "not supplied, a task without implementation, ...).")


class DefinitionSummary(BaseModel):
    key: str
    name: str
    version: int
    deployed_at: str
    name_i18n: dict[str, str] = Field(default_factory=dict, description="Translated names by locale (zh-CN, ...)")
    documentation: str | None = None
    documentation_i18n: dict[str, str] = Field(default_factory=dict)
    started_by_people: bool = Field(
        default=True, description="Whether people start it by hand: false for a process only a message, a timer "
        "or another process (a call without a start form) starts, or one deployed to be viewed.")


class DefinitionPage(BaseModel):
    items: list[DefinitionSummary]
    next_cursor: str | None


class FormOut(BaseModel):
    name: str
    schema_: dict[str, Any] = Field(alias="schema")
    ui: dict[str, Any]


class UserTaskOut(BaseModel):
    element_id: str
    name: str
    lane: str | None
    candidate_groups: list[str]
    form: str | None
    documentation: str | None
    name_i18n: dict[str, str] = Field(default_factory=dict)
    documentation_i18n: dict[str, str] = Field(default_factory=dict)


class DefinitionOut(DefinitionSummary):
    versions: list[int]
    deployment_id: str
    start_form: FormOut | None
    start_lane: str | None
    lanes: list[str]
    user_tasks: list[UserTaskOut]


class TaskSummary(BaseModel):
    id: str
    name: str
    element_id: str
    instance_id: str
    definition_key: str
    definition_version: int
    business_key: str | None
    assignee: str | None
    candidate_groups: list[str]
    status: Literal["open", "completed", "cancelled"]
    created_at: str
    due_at: str | None
    priority: int = Field(ge=0, le=100)
    form: str | None
    completed_at: str | None
    completed_by: str | None
    on_behalf_of: str | None = Field(default=None, description="The task's owner when a substitute or a delegate "
                                     "works it for them (out of office, delegation); None for one's own tasks.")


class TaskPage(BaseModel):
    items: list[TaskSummary]
    next_cursor: str | None


class TaskDetail(TaskSummary):
    documentation: str | None
    form: FormOut | None  # type: ignore[assignment]
    data: dict[str, Any]
    summary: list[dict[str, Any]] = Field(
        default_factory=list, description="The business facts the task needs, as its process declares them "
        "(`summary:`): label, kind (text, money, list, table), value, currency, columns and rows.")
    requester: str | None = Field(default=None, description="Who started the request.")
    instance_status: str | None = Field(
        default=None, description='The instance\'s status; "suspended": claim and completion answer 409 until resumed.')


class ChildInstance(BaseModel):
    id: str
    definition_key: str
    definition_version: int
    status: Literal["running", "completed", "cancelled", "failed", "suspended"]
    started_at: str
    ended_at: str | None
    open_incidents: int = Field(description="Open incidents of the child: one that failed shows here.")


class InstanceOut(BaseModel):
    id: str
    definition_key: str
    definition_version: int
    business_key: str | None
    status: Literal["running", "completed", "cancelled", "failed", "suspended"]
    started_by: str | None
    withdrawn: bool = Field(default=False, description="Cancelled by its own starter: withdrawn, not done and not "
                            "stopped by someone else (status is cancelled).")
    started_at: str
    ended_at: str | None
    data: dict[str, Any]
    open_tasks: list[TaskSummary] = Field(
        description="The instance's open tasks, oldest first: at most 50; `open_tasks_total` says how many "
                    "are open, `GET /api/v1/tasks?instance_id=` pages through all of them.")
    open_tasks_total: int = Field(description="How many tasks of the instance are open.")
    active_elements: list[str]
    parent_instance_id: str | None = Field(
        description="The instance whose call activity started this one (a called process runs as an "
                    "instance of its own), or null.")
    children: list[ChildInstance] | None = Field(
        default=None, description="Only on `GET /api/v1/instances/{id}`: the instances its call activities "
                                  "started, oldest first, with their status and open incidents.")


class InstancePage(BaseModel):
    items: list[InstanceOut]
    next_cursor: str | None


class CompletedTask(BaseModel):
    task: TaskSummary
    instance: InstanceOut


class EventOut(BaseModel):
    seq: int
    at: str
    type: str
    actor: str
    instance_id: str | None
    definition_key: str | None
    definition_version: int | None
    element_id: str | None
    task_id: str | None
    data: dict[str, Any] | None = Field(description="The event's payload; null once retention or an erasure removed it")
    erased: bool = False
    chain_id: str = Field(description="The hash chain the event belongs to: its instance, or `global`")
    chain_seq: int
    payload_hash: str = Field(description="SHA-256 of the payload's canonical JSON (RFC 8785)")
    hash: str = Field(description="SHA-256 over the event's fields, payload_hash and prev_hash")
    prev_hash: str
    # An instance's history reads as people say it, in the language of Accept-Language:
    title: str | None = Field(default=None, description='The event type as a phrase ("Task completed", "任务已完成")')
    element_name: str | None = Field(default=None, description="The step's name in the reader's language")
    actor_name: str | None = Field(default=None, description="The actor's display name")
    on_behalf_of: str | None = Field(default=None, description="The owner a substitute or delegate acted for "
                                     "(display name)")


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str | None


class FileOut(BaseModel):
    id: str
    name: str
    size: int
    sha256: str
    media_type: str
    uploaded_by: str
    uploaded_at: str


class MessageResult(BaseModel):
    correlated_instances: list[str]
    started_instances: list[str]


class SignalResult(BaseModel):
    instances: list[str]


class CallerOut(BaseModel):
    instance_id: str
    definition_key: str


class IncidentOut(BaseModel):
    id: str
    instance_id: str
    element_id: str | None
    task_id: str | None
    kind: str
    message: str
    status: Literal["open", "resolved"]
    created_at: str
    resolved_at: str | None
    called_by: list[CallerOut] = Field(default_factory=list,
                                       description="In lists: the instances that called this one, nearest first")


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    next_cursor: str | None


class RetriedIncident(BaseModel):
    incident: IncidentOut
    instance: InstanceOut


class RetryIncidents(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[Annotated[str, Field(max_length=36)]] = Field(min_length=1, max_length=500)


class IncidentRetryResult(BaseModel):
    id: str
    ok: bool
    status: int
    instance_status: str | None = None
    detail: str | None = None


class RetriedIncidents(BaseModel):
    items: list[IncidentRetryResult]


class JobOut(BaseModel):
    id: str
    instance_id: str | None
    element_id: str | None
    kind: str = Field(description="timer, service, message, ...")
    due_at: str | None
    status: str = Field(description="waiting, running, done, failed, cancelled")
    attempts: int
    last_error: str | None


class JobPage(BaseModel):
    items: list[JobOut]
    next_cursor: str | None


class Health(BaseModel):
    status: str
    database: str
    version: str
    broker: str | None = Field(default=None, description="Only when a broker is configured.")
    workers: str | None = None
    live_workers: int | None = None


class Liveness(BaseModel):
    status: str
    version: str
