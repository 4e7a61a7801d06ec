"""Demo users and reference data, so a newcomer can walk every process at once.

Every business group has its own person (separation-of-duties rules need different
people for buyer, goods receipt and invoice posting); everyone is also an employee so
they can start requests. All share one published password.
"""

from __future__ import annotations

from flowdesk.engine.errors import Conflict
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.process_engine import ProcessEngine

DEMO_PASSWORD = "flowdesk-demo"  # noqa: S105 - published in the README on purpose
DEMO_USERS = {
    "alice": ["employees"],
    "bob": ["employees", "department_managers"],
    "carol": ["employees", "hr"],
    "frank": ["employees", "finance_controllers"],
    "cora": ["employees", "cfo"],
    "paul": ["employees", "purchasing"],
    "wanda": ["employees", "warehouse"],
    "aaron": ["employees", "accounts_payable"],
    "tracy": ["employees", "treasury"],
    "hank": ["employees", "hiring_managers"],
    "rita": ["employees", "recruiters"],
    "ivan": ["employees", "it"],
    "fiona": ["employees", "facilities"],
    "pam": ["employees", "payroll"],
    "petra": ["employees", "planners"],
    "otto": ["employees", "production"],
    "quinn": ["employees", "quality"],
    "sam": ["employees", "sales"],
    "mia": ["employees", "sales_managers"],
    "dirk": ["employees", "sales_directors"],
    "rob": ["employees", "accounts_receivable"],
    "agnes": ["employees", "service_agents"],
    "sven": ["employees", "service_supervisors"],
    "dave": ["designer"],
    "erin": ["auditor"],
    "ian": ["integration"],
    "admin": ["admin"],
}
# In the demo a day of process time (payment terms, probation, reminders) passes in a minute.
DEMO_TIME_SCALE = 1 / 1440


def create_demo_users(engine: ProcessEngine) -> list[str]:
    created, existing = [], 0
    for username, groups in DEMO_USERS.items():
        try:
            engine.identity.create_user(username, DEMO_PASSWORD, groups, by=SYSTEM)
            created.append(f"{username} ({', '.join(groups)})")
        except Conflict:
            existing += 1
    lines = [f"demo users, password {DEMO_PASSWORD}: " + "; ".join(created)] if created else []
    if existing:
        lines.append(f"{existing} demo users already existed")
    return lines


def load_demo_data(engine: ProcessEngine) -> list[str]:
    changed = engine.records.load_seed(by=SYSTEM)
    return [f"reference data: {changed} records loaded or refreshed"]
