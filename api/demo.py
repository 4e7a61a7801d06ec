"""Demo users, so a newcomer can log in as each kind of user at once."""

from __future__ import annotations

from flowdesk.engine.errors import Conflict
from flowdesk.engine.process_engine import ProcessEngine

DEMO_PASSWORD = "flowdesk-demo"  # noqa: S105 - published in the README on purpose
DEMO_USERS = {
    "alice": ["employees"],
    "bob": ["employees", "department_managers"],
    "carol": ["employees", "hr"],
    "dave": ["designer"],
    "erin": ["auditor"],
    "admin": ["admin"],
}


def create_demo_users(engine: ProcessEngine) -> list[str]:
    lines = []
    for username, groups in DEMO_USERS.items():
        try:
            engine.create_user(username, DEMO_PASSWORD, groups)
            lines.append(f"demo user {username} ({', '.join(groups)}) password {DEMO_PASSWORD}")
        except Conflict:
            lines.append(f"demo user {username} exists")
    return lines
