"""The engine's field error messages in the reader's language.

The engine words its validation messages in plain English (``engine/forms/messages.py``);
the web app and the API (by ``Accept-Language``) give each in the reader's language: the
form's or rule's own translation (``x-pattern-message-i18n``, ``message_i18n``), else the
known patterns', so the numbers and values in them survive. An unknown message is shown
as the engine wrote it.
"""

# Chinese text uses full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import re

_TYPES_ZH = {"a string": "文本", "a number": "数字", "a whole number": "整数", "a boolean": "是或否",
             "an object": "对象", "an array": "列表", "null": "空值"}

_ZH: list[tuple[re.Pattern[str], str]] = [(re.compile(p), r) for p, r in (
    (r"^is required$", "必填"),
    (r"^must not be empty$", "不能为空"),
    (r"^must be a valid date \(YYYY-MM-DD\)$", "必须是有效日期（YYYY-MM-DD）"),
    (r"^must be a valid date and time .*$", "必须是有效的日期和时间（带时区）"),
    (r"^must be a valid email address.*$", "必须是有效的电子邮件地址"),
    (r"^must be at least (\d+) characters long$", r"至少需要 \1 个字符"),
    (r"^must be at most (\d+) characters? long$", r"最多 \1 个字符"),
    (r"^must have at least (\d+) items?$", r"至少需要 \1 项"),
    (r"^must have at most (\d+) items?$", r"最多 \1 项"),
    (r"^must be at least (.+)$", r"不能小于 \1"),
    (r"^must be at most (.+)$", r"不能大于 \1"),
    (r"^must be greater than (.+)$", r"必须大于 \1"),
    (r"^must be less than (.+)$", r"必须小于 \1"),
    (r"^must be a multiple of (.+)$", r"必须是 \1 的整数倍"),
    (r"^must match the pattern (.+)$", r"必须符合格式 \1"),
    (r"^must be one of: (.+)$", r"必须是以下之一：\1"),
    (r"^must not contain the same item twice$", "不能包含重复项"),
    (r"^is not allowed here$", "此处不允许"),
    (r"^is not an allowed value$", "不是允许的值"),
    (r"^is not valid$", "无效"),
)]
_MUST_BE = re.compile(r"^must be ((?:a string|a number|a whole number|a boolean|an object|an array|null)"
                      r"(?: or (?:a string|a number|a whole number|a boolean|an object|an array|null))*)$")


def field_message(message: str, locale: str, translations: dict[str, str] | None = None) -> str:
    """``message`` in ``locale``: the form's own translation (x-rules' ``message_i18n``), else
    a known pattern's, else unchanged."""
    for candidate in (locale.replace("_", "-"), locale.split("_")[0].split("-")[0]):
        if translations and translations.get(candidate):
            return translations[candidate]
    if not locale.startswith("zh"):
        return message
    typed = _MUST_BE.match(message)
    if typed:
        return "必须是" + "或".join(_TYPES_ZH[t] for t in typed.group(1).split(" or "))
    for pattern, replacement in _ZH:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message
