"""A new engine (a new process, same database) resumes every instance where it was."""

from __future__ import annotations

from tests.conftest import make_engine


def test_instance_resumes_after_restart(sqlite_url, clock, leave_files):
    first = make_engine(sqlite_url, clock)
    first.deploy_paths(leave_files)
    first.create_user("alice", "password1", ["employees"])
    first.create_user("bob", "password1", ["employees", "department_managers"])
    first.create_user("carol", "password1", ["hr"])
    started = first.start_instance(
        "leave_request",
        {"leave_type": "vacation", "start_date": "2026-12-01", "end_date": "2026-12-05", "days": 5},
        first.actor("alice"),
    )
    approval = started["open_tasks"][0]
    first.complete_task(approval["id"], first.actor("bob"), {"decision": "approve"})
    first.close()

    second = make_engine(sqlite_url, clock)
    (record,) = second.inbox(second.actor("carol"))
    assert record["instance_id"] == started["id"] and record["element_id"] == "hr_record"
    done = second.complete_task(record["id"], second.actor("carol"), {"payroll_reference": "PAY-0042"})
    assert done["instance"]["status"] == "completed"
    assert done["instance"]["data"]["status"] == "approved"
    second.close()
