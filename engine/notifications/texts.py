"""The texts of notification mails, in every shipped language."""
# ruff: noqa: RUF001  (Chinese punctuation in the zh-CN texts)

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "assigned": {
        "en": ("Task for you: {task}",
               "Hello {user},\n\nthe task \"{task}\" of {process} {business_key} is assigned to you{on_behalf}.\n"
               "Due: {due}\n\nOpen it: {link}\n"),
        "zh-CN": ("您有新任务：{task}",
                  "{user}，您好：\n\n{process} {business_key} 的任务「{task}」已分配给您{on_behalf}。\n"
                  "到期时间：{due}\n\n打开任务：{link}\n"),
    },
    "group_task": {
        "en": ("New task for your group: {task}",
               "Hello {user},\n\nthe task \"{task}\" of {process} {business_key} waits for someone of your group.\n"
               "Due: {due}\n\nOpen it: {link}\n"),
        "zh-CN": ("您所在组有新任务：{task}",
                  "{user}，您好：\n\n{process} {business_key} 的任务「{task}」正等待您所在组的成员处理。\n"
                  "到期时间：{due}\n\n打开任务：{link}\n"),
    },
    "due_soon": {
        "en": ("Due soon: {task}",
               "Hello {user},\n\nthe task \"{task}\" of {process} {business_key} is due {due}.\n\nOpen it: {link}\n"),
        "zh-CN": ("即将到期：{task}",
                  "{user}，您好：\n\n{process} {business_key} 的任务「{task}」将于 {due} 到期。\n\n打开任务：{link}\n"),
    },
    "overdue": {
        "en": ("Overdue: {task}",
               "Hello {user},\n\nthe task \"{task}\" of {process} {business_key} was due {due} and is still open.\n\n"
               "Open it: {link}\n"),
        "zh-CN": ("已逾期：{task}",
                  "{user}，您好：\n\n{process} {business_key} 的任务「{task}」已于 {due} 到期，目前仍未完成。\n\n"
                  "打开任务：{link}\n"),
    },
    "escalated": {
        "en": ("Escalated: {task}",
               "Hello {user},\n\nthe task \"{task}\" of {process} {business_key} was escalated because a deadline "
               "passed.\nDue: {due}\n\nOpen it: {link}\n"),
        "zh-CN": ("已升级：{task}",
                  "{user}，您好：\n\n由于已超过期限，{process} {business_key} 的任务「{task}」已升级。\n"
                  "到期时间：{due}\n\n打开任务：{link}\n"),
    },
    "digest": {
        "en": ("{count} new tasks for your groups",
               "Hello {user},\n\nthese tasks wait for someone of your groups:\n\n{lines}\n"),
        "zh-CN": ("您所在组有 {count} 个新任务",
                  "{user}，您好：\n\n以下任务正等待您所在组的成员处理：\n\n{lines}\n"),
    },
}
ON_BEHALF = {"en": " on behalf of {owner}", "zh-CN": "（代 {owner} 处理）"}
NO_DUE_DATE = {"en": "no due date", "zh-CN": "无到期时间"}


def render(kind: str, locale: str, **values: Any) -> tuple[str, str]:
    """Subject and body of a ``kind`` mail in ``locale`` (English when it has no translation)."""
    texts = TEXTS[kind]
    subject, body = texts.get(locale) or texts["en"]
    return subject.format(**values), body.format(**values)
