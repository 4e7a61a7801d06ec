"""A new engine (a new process, same database) resumes every instance where it was."""

from __future__ import annotations

from flowdesk.engine.identity import SYSTEM

from tests.support.engines import make_engine


def test_instance_resumes_after_restart(sqlite_url, clock, leave_files):
    first = make_engine(sqlite_url, clock)
    first.repository.deploy(leave_files, by=SYSTEM)
    first.identity.create_user("alice", "password1", ["employees"], by=SYSTEM)
    first.identity.create_user("bob", "password1", ["employees", "department_managers"], by=SYSTEM)
    first.identity.create_user("carol", "password1", ["hr"], by=SYSTEM)
    started = first.instances.start_instance(
        "leave_request", {"leave_type": "vacation", "start_date": "2026-12-01", "end_date": "2026-12-05", "days": 5}, by=first.identity.actor("alice"))
    approval = started["open_tasks"][0]
    first.tasks.complete_task(approval["id"], {"decision": "approve"}, by=first.identity.actor("bob"))
    first.close()

    second = make_engine(sqlite_url, clock)
    (record,) = second.tasks.inbox(by=second.identity.actor("carol")).items
    assert record["instance_id"] == started["id"] and record["element_id"] == "hr_record"
    done = second.tasks.complete_task(record["id"], {"payroll_reference": "PAY-0042"}, by=second.identity.actor("carol"))
    assert done["instance"]["status"] == "completed"
    assert done["instance"]["data"]["status"] == "approved"
    second.close()
