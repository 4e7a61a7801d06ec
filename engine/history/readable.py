"""A history people read: what happened in words of their language, the steps by their
names, people by their display names.

The audit events keep the raw facts (``type``, ``element_id``, ``actor``) for auditors and
tools; :func:`readable` adds beside them ``title`` (the event type as a phrase, English or
Chinese), ``element_name`` (the step's name in the reader's language, from the model),
``actor_name`` (the user's display name) and ``on_behalf_of`` (the owner a substitute or
delegate acted for, by display name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..persistence.models import User

# Event type -> (English, Chinese). Types not listed read as their raw type.
PHRASES: dict[str, tuple[str, str]] = {
    "instance.started": ("Request started", "申请已发起"),
    "instance.completed": ("Request completed", "申请已完成"),
    "instance.cancelled": ("Request cancelled", "申请已取消"),
    "instance.migrated": ("Moved to another version", "已迁移到其他版本"),
    "instance.modified": ("Request modified by an operator", "操作员已修改申请"),
    "instance.suspended": ("Request suspended", "申请已暂停"),
    "instance.resumed": ("Request resumed", "申请已恢复"),
    "task.created": ("Task created", "任务已创建"),
    "task.claimed": ("Task claimed", "任务已认领"),
    "task.unclaimed": ("Task given back", "任务已退回"),
    "task.assigned": ("Task assigned", "任务已分配"),
    "task.delegated": ("Task delegated", "任务已委派"),
    "task.updated": ("Task changed", "任务已更改"),
    "task.completed": ("Task completed", "任务已完成"),
    "task.cancelled": ("Task cancelled", "任务已取消"),
    "gateway.taken": ("Path chosen", "已选择路径"),
    "decision.evaluated": ("Decision table evaluated", "已执行决策表"),
    "service.completed": ("Service call done", "服务调用完成"),
    "service.failed": ("Service call failed", "服务调用失败"),
    "timer.fired": ("Timer fired", "定时器触发"),
    "message.correlated": ("Message received", "已收到消息"),
    "message.sent": ("Message sent", "已发送消息"),
    "signal.received": ("Signal received", "已收到信号"),
    "call.started": ("Sub-process started", "子流程已启动"),
    "call.completed": ("Sub-process completed", "子流程已完成"),
    "data.changed": ("Data changed", "数据已更改"),
    "comment.added": ("Comment added", "已添加评论"),
    "attachment.added": ("Attachment added", "已添加附件"),
    "draft.saved": ("Draft saved", "草稿已保存"),
    "incident.opened": ("Incident opened", "已创建事故"),
    "incident.resolved": ("Incident resolved", "事故已解决"),
    "access.denied": ("Access refused", "访问被拒绝"),
}


def phrase(event_type: str, locale: str | None) -> str:
    """The event type as a phrase in ``locale`` (Chinese for ``zh…``, else English)."""
    found = PHRASES.get(event_type)
    if found is None:
        return event_type
    return found[1] if (locale or "").lower().startswith("zh") else found[0]


# The engine itself (timers, services, the steps nobody in particular runs).
_ENGINE_ACTOR = "system"
_ENGINE_NAME = ("System", "系统")


def display_names(session: Session, usernames: set[str]) -> dict[str, str]:
    """Username -> display name, for the users who have one."""
    if not usernames:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(sorted(usernames))))
    return {username: name for username, name in rows if name}


def readable(session: Session, events: list[dict[str, Any]], element_names: Mapping[str, str],
             locale: str | None) -> list[dict[str, Any]]:
    """The events with ``title``, ``element_name``, ``actor_name`` and ``on_behalf_of`` added."""
    owners = {e["data"].get("on_behalf_of") for e in events if isinstance(e.get("data"), dict)}
    people = display_names(session, {e["actor"] for e in events if e.get("actor")}
                           | {o for o in owners if isinstance(o, str)})
    people.setdefault(_ENGINE_ACTOR, _ENGINE_NAME[1] if (locale or "").lower().startswith("zh") else _ENGINE_NAME[0])
    shown: list[dict[str, Any]] = []
    for event in events:
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        owner = data.get("on_behalf_of") if isinstance(data.get("on_behalf_of"), str) else None
        element = event.get("element_id")
        shown.append({**event, "title": phrase(event["type"], locale),
                      "element_name": element_names.get(element) if element else None,
                      "actor_name": people.get(event["actor"], event["actor"]),
                      "on_behalf_of": people.get(owner, owner) if owner else None})
    return shown
