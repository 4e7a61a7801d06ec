"""A user's preferences: e-mail address, language, time zone, which notifications they
want and whether group tasks come as a digest.

Read with defaults for users who never saved any: the configured locale and time zone,
notifications on assignment, due dates and escalations, none for every group task.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from ..clock import Clock
from ..errors import FieldError, InvalidData
from ..persistence.collaboration import UserPreferences
from ..persistence.models import User

LOCALES = ("en", "zh-CN")
DEFAULT_LOCALE = "en"
DEFAULT_TIME_ZONE = "UTC"
# Which notifications a user gets unless they chose otherwise.
NOTIFICATION_KINDS = ("assigned", "group_task", "due_soon", "overdue", "escalated")
DEFAULT_NOTIFICATIONS = {"assigned": True, "group_task": False, "due_soon": True, "overdue": True,
                         "escalated": True}
DIGESTS = ("off", "hourly", "daily")
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253})\.[A-Za-z]{2,63}$")


class PreferencesView(TypedDict):
    username: str
    email: str | None
    locale: str
    time_zone: str
    notifications: dict[str, bool]
    digest: str


def valid_time_zone(name: str) -> bool:
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


class Preferences:
    """The ``user_preferences`` rows (and ``users.email``), in the caller's transaction."""

    def __init__(self, clock: Clock, default_locale: str = DEFAULT_LOCALE,
                 default_time_zone: str = DEFAULT_TIME_ZONE) -> None:
        self.clock = clock
        self.default_locale = default_locale
        self.default_time_zone = default_time_zone

    def view(self, session: Session, username: str) -> PreferencesView:
        user = session.get(User, username)
        row = session.get(UserPreferences, username)
        chosen = dict(row.notifications) if row is not None else {}
        return {
            "username": username,
            "email": user.email if user is not None else None,
            "locale": (row.locale if row is not None and row.locale else self.default_locale),
            "time_zone": (row.time_zone if row is not None and row.time_zone else self.default_time_zone),
            "notifications": {k: bool(chosen.get(k, DEFAULT_NOTIFICATIONS[k])) for k in NOTIFICATION_KINDS},
            "digest": row.digest if row is not None else "off",
        }

    def save(self, session: Session, username: str, changes: Mapping[str, Any]) -> PreferencesView:
        """Change what ``changes`` names (a whole or partial preferences document); 422 with
        every field that is wrong, and nothing changed."""
        errors = check(changes)
        if errors:
            raise InvalidData(errors)
        user = session.get(User, username)
        row = session.get(UserPreferences, username)
        if row is None:
            row = UserPreferences(username=username, locale=None, time_zone=None, notifications={}, digest="off",
                                  updated_at=self.clock.now())
            session.add(row)
        if "email" in changes and user is not None:
            user.email = (changes["email"] or "").strip() or None
        if "locale" in changes:
            row.locale = changes["locale"]
        if "time_zone" in changes:
            row.time_zone = changes["time_zone"]
        if "notifications" in changes:
            row.notifications = {**row.notifications, **{k: bool(v) for k, v in changes["notifications"].items()}}
        if "digest" in changes:
            row.digest = changes["digest"]
        row.updated_at = self.clock.now()
        session.flush()
        return self.view(session, username)


def check(changes: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(changes, Mapping):
        return [FieldError("", "must be an object")]
    known = {"email", "locale", "time_zone", "notifications", "digest", "username"}
    errors += [FieldError(f"/{k}", "is not a preference") for k in changes if k not in known]
    email = changes.get("email")
    if "email" in changes and email not in (None, "") and (
            not isinstance(email, str) or len(email) > 320 or not _EMAIL.match(email.strip())):
        errors.append(FieldError("/email", "is not an e-mail address"))
    if "locale" in changes and changes["locale"] not in LOCALES:
        errors.append(FieldError("/locale", f"must be one of {', '.join(LOCALES)}"))
    if "time_zone" in changes and not valid_time_zone(changes["time_zone"]):
        errors.append(FieldError("/time_zone", "is not an IANA time zone (e.g. Asia/Shanghai)"))
    if "digest" in changes and changes["digest"] not in DIGESTS:
        errors.append(FieldError("/digest", f"must be one of {', '.join(DIGESTS)}"))
    if "notifications" in changes:
        chosen = changes["notifications"]
        if not isinstance(chosen, Mapping):
            errors.append(FieldError("/notifications", "must be an object"))
        else:
            for kind, value in chosen.items():
                if kind not in NOTIFICATION_KINDS:
                    errors.append(FieldError(f"/notifications/{kind}",
                                             f"is not a notification (one of {', '.join(NOTIFICATION_KINDS)})"))
                elif not isinstance(value, bool):
                    errors.append(FieldError(f"/notifications/{kind}", "must be true or false"))
    return errors
