"""User tasks inside a called process (call activity) keep what the called process says
about them: form (shown and enforced), candidate groups, priority, due date and
separation-of-duties rules, through the HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flowdesk.engine.clock import FakeClock

from tests.support.client import ApiClient, assert_problem, open_api

CALLED = Path(__file__).parent / "called"


@pytest.fixture
def api(template_db: Path, tmp_path: Path) -> Iterator[ApiClient]:
    with open_api(template_db, tmp_path, FakeClock(), CALLED) as made:
        yield made


def open_task(api: ApiClient, iid: str, element_id: str) -> dict:
    instance = api.get(f"/api/v1/instances/{iid}", "erin").json()
    assert instance["status"] == "running", instance
    found = [t for t in instance["open_tasks"] if t["element_id"] == element_id]
    assert len(found) == 1, [t["element_id"] for t in instance["open_tasks"]]
    return found[0]


def refused(api: ApiClient, task: dict, user: str, data: dict) -> None:
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", user, json={"data": data})
    assert_problem(response, 403, "separation-of-duties")
    assert any(e["actor"] == user and e["task_id"] == task["id"] and e["data"]["reason"] == "separation-of-duties"
               for e in api.events("access.denied"))


def test_a_called_process_user_task_keeps_its_form_groups_and_separation_of_duties(api):
    started = api.post("/api/v1/definitions/outer_request/instances", "bob", json={"data": {"subject": "Laptop"}})
    assert started.status_code == 201, started.text
    iid = started.json()["id"]
    prepare = open_task(api, iid, "prepare")
    assert api.post(f"/api/v1/tasks/{prepare['id']}/complete", "bob", json={"data": {}}).status_code == 200

    # the call activity runs inner_review as a child instance of its own
    (child,) = api.get("/api/v1/instances", "erin", params={"parent_instance_id": iid}).json()["items"]
    assert child["definition_key"] == "inner_review" and child["parent_instance_id"] == iid
    cid = child["id"]
    review = open_task(api, cid, "review")
    assert review["candidate_groups"] == ["department_managers"] and review["name"] == "Review the request"
    assert review["priority"] == 80 and review["due_at"] is not None
    detail = api.get(f"/api/v1/tasks/{review['id']}", "dan").json()
    assert detail["form"]["name"] == "inner_decision"
    assert detail["documentation"] == "Check the request against the team's budget before approving."
    assert detail["form"]["schema"]["properties"]["decision"]["enum"] == ["approve", "reject"]

    # bob started the instance: the called process's `separate_from: [starter]` refuses him
    refused(api, review, "bob", {"decision": "approve"})
    # the called process's form is enforced at completion
    invalid = api.post(f"/api/v1/tasks/{review['id']}/complete", "dan", json={"data": {"decision": "reject"}})
    assert [e["path"] for e in assert_problem(invalid, 422, "invalid-data")["errors"]] == ["/comment"]
    assert api.post(f"/api/v1/tasks/{review['id']}/complete", "dan",
                    json={"data": {"decision": "approve"}}).status_code == 200

    countersign = open_task(api, cid, "countersign")
    assert countersign["candidate_groups"] == ["hr"]
    refused(api, countersign, "dan", {"decision": "approve"})  # dan reviewed: separate_from [review]
    assert api.post(f"/api/v1/tasks/{countersign['id']}/complete", "carol",
                    json={"data": {"decision": "approve"}}).status_code == 200
    assert api.get(f"/api/v1/instances/{cid}", "erin").json()["status"] == "completed"
    wrap_up = open_task(api, iid, "wrap_up")
    assert wrap_up["candidate_groups"] == ["employees"]  # the caller's own task, from the caller's lane
