"""Request and response shapes of preferences, substitutes, delegation, comments,
attachments, drafts, saved filters, task changes and webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .schemas import NAME_PATTERN, Strict


class SavePreferences(Strict):
    email: str | None = Field(default=None, max_length=320, description="Where notifications go.")
    locale: Literal["en", "zh-CN"] | None = None
    time_zone: str | None = Field(default=None, max_length=64, description="IANA zone, e.g. Asia/Shanghai.")
    notifications: dict[str, bool] | None = Field(
        default=None, description="assigned, group_task, due_soon, overdue, escalated: true or false.")
    digest: Literal["off", "hourly", "daily"] | None = Field(
        default=None, description="Collect new group tasks into one mail per hour or day.")


class PreferencesOut(BaseModel):
    username: str
    email: str | None
    locale: str
    time_zone: str
    notifications: dict[str, bool]
    digest: str


class SetSubstitute(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    username: str = Field(pattern=NAME_PATTERN, max_length=150, description="Who takes the new tasks.")
    from_: datetime | None = Field(default=None, alias="from", description="Default: now.")
    until: datetime | None = Field(default=None, description="Default: until removed.")


class SubstituteOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    username: str
    substitute: str
    from_: str = Field(alias="from")
    until: str | None
    active: bool


class DelegateTask(Strict):
    username: str = Field(pattern=NAME_PATTERN, max_length=150, description="The colleague who works on it.")


class AddComment(Strict):
    text: str = Field(min_length=1, max_length=10_000)


class CommentOut(BaseModel):
    id: str
    instance_id: str
    task_id: str | None
    author: str
    text: str
    created_at: str
    on_behalf_of: str | None = None


class CommentPage(BaseModel):
    items: list[CommentOut]
    next_cursor: str | None = None


class AddAttachment(Strict):
    file_id: str = Field(min_length=1, max_length=36)


class AttachmentOut(BaseModel):
    id: str
    instance_id: str
    task_id: str | None
    file_id: str
    name: str
    size: int
    media_type: str
    added_by: str
    created_at: str


class AttachmentPage(BaseModel):
    items: list[AttachmentOut]
    next_cursor: str | None = None


class SaveDraft(Strict):
    data: dict[str, Any]


class DraftOut(BaseModel):
    task_id: str
    data: dict[str, Any]
    updated_at: str


class CreateFilter(Strict):
    name: str = Field(min_length=1, max_length=200)
    query: dict[str, Any] = Field(default_factory=dict, description="The parameters of GET /tasks.")
    shared_with_groups: list[str] = Field(default_factory=list, max_length=50)


class FilterOut(BaseModel):
    id: str
    name: str
    owner: str
    query: dict[str, Any]
    shared_with_groups: list[str]
    created_at: str


class FilterPage(BaseModel):
    items: list[FilterOut]
    next_cursor: str | None = None


class ChangeTask(Strict):
    due_at: datetime | None = None
    priority: int | None = Field(default=None, ge=0, le=100)
    follow_up_at: datetime | None = None


class CreateWebhook(Strict):
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://")
    events: list[str] = Field(min_length=1, max_length=100)
    secret: str = Field(min_length=16, max_length=255)


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    active: bool
    created_by: str
    created_at: str


class WebhookPage(BaseModel):
    items: list[WebhookOut]
    next_cursor: str | None = None


class DeliveryOut(BaseModel):
    id: str
    webhook_id: str
    event_key: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    log: list[dict[str, Any]]
    created_at: str
    delivered_at: str | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = None
