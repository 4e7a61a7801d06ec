"""Request and response shapes of account administration (see :mod:`.routers.accounts`)."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictBool

from .schemas import NAME_PATTERN, Strict, UserOut


class UpdateUser(Strict):
    active: StrictBool | None = Field(default=None, description="false deactivates the user, true reactivates them.")
    email: str | None = Field(default=None, max_length=320)
    display_name: str | None = Field(default=None, max_length=255)
    reassign_to: str | None = Field(default=None, pattern=NAME_PATTERN, max_length=150,
                                    description="Who takes over the deactivated user's open tasks "
                                                "(default: back to their candidate groups).")


class SetPassword(Strict):
    password: str = Field(min_length=8, max_length=1024)


class ChangePassword(Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    password: str = Field(min_length=8, max_length=1024)


class CreateApiKey(Strict):
    name: str = Field(min_length=1, max_length=150, description="What the key is for, e.g. 'ERP connector'.")


class MovedTask(BaseModel):
    id: str
    name: str
    instance_id: str
    assignee: str | None
    candidate_groups: list[str]


class UpdatedUser(UserOut):
    tasks_moved: list[MovedTask]


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    username: str
    created_at: str
    created_by: str
    last_used_at: str | None
    revoked_at: str | None
    active: bool


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself, shown only in this answer.")


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]
