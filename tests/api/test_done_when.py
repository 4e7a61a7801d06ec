"""The issue's done-when, through HTTP alone.

Two users in different groups log in, one starts a leave request, each sees the right
tasks in their own inbox (and not the other's), the manager claims, gets 422 with field
errors on invalid data, the requester gets 403 (separation of duties) trying to decide
on their own request, the manager completes, HR records it, and an auditor reads the full
history. The OpenAPI document lists every endpoint used.
"""

from __future__ import annotations

from tests.support.client import assert_problem
from tests.support.database import PASSWORD
from tests.support.paths import LEAVE


def login(api, username: str) -> dict[str, str]:
    response = api.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "bearer" and token["expires_in"] == 3600
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_two_users_work_a_leave_request_through_http_and_an_auditor_reads_it(api):
    c = api.client
    alice, bob, carol, erin = (login(api, name) for name in ("alice", "bob", "carol", "erin"))
    assert c.get("/api/v1/me", headers=alice).json() == {"username": "alice", "groups": ["employees"], "roles": []}

    # alice (employees) starts a leave request; the approval waits for the department managers.
    started = c.post("/api/v1/definitions/leave_request/instances", headers=alice,
                     json={"data": LEAVE, "business_key": "LEAVE-7"})
    assert started.status_code == 201, started.text
    instance = started.json()
    (approval,) = instance["open_tasks"]
    assert approval["candidate_groups"] == ["department_managers"]

    # bob (a manager) sees it; alice does not.
    assert [t["id"] for t in c.get("/api/v1/tasks", headers=bob).json()["items"]] == [approval["id"]]
    assert c.get("/api/v1/tasks", headers=alice).json()["items"] == []

    # bob claims it, and a rejection without a comment is refused field by field.
    claimed = c.post(f"/api/v1/tasks/{approval['id']}/claim", headers=bob)
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "bob"
    invalid = c.post(f"/api/v1/tasks/{approval['id']}/complete", headers=bob, json={"data": {"decision": "reject"}})
    assert assert_problem(invalid, 422)["errors"] == [{"path": "/comment", "message": "is required"}]

    # bob's own request: he may not approve it himself (separation of duties), nor see it in his inbox.
    own = c.post("/api/v1/definitions/leave_request/instances", headers=bob, json={"data": LEAVE}).json()
    own_task = own["open_tasks"][0]["id"]
    assert own_task not in [t["id"] for t in c.get("/api/v1/tasks", headers=bob).json()["items"]]
    refused = c.post(f"/api/v1/tasks/{own_task}/complete", headers=bob, json={"data": {"decision": "approve"}})
    assert_problem(refused, 403, "separation-of-duties")

    # bob approves alice's request; HR (carol) now has the record task, bob does not.
    done = c.post(f"/api/v1/tasks/{approval['id']}/complete", headers=bob, json={"data": {"decision": "approve"}})
    assert done.status_code == 200, done.text
    assert done.json()["task"]["status"] == "completed"
    (record,) = done.json()["instance"]["open_tasks"]
    assert record["element_id"] == "hr_record"
    assert [t["id"] for t in c.get("/api/v1/tasks", headers=carol).json()["items"]] == [record["id"]]
    assert record["id"] not in [t["id"] for t in c.get("/api/v1/tasks", headers=bob).json()["items"]]
    finished = c.post(f"/api/v1/tasks/{record['id']}/complete", headers=carol,
                      json={"data": {"payroll_reference": "PAY-0042"}})
    assert finished.json()["instance"]["status"] == "completed"

    # The auditor reads the whole story, in order.
    history = c.get(f"/api/v1/instances/{instance['id']}/history", headers=erin)
    assert history.status_code == 200
    types = [e["type"] for e in history.json()["items"]]
    assert types[0] == "instance.started" and types[-1] == "instance.completed"
    assert {"task.created", "task.claimed", "task.completed", "gateway.taken", "decision.evaluated"} <= set(types)
    completed = [(e["actor"], e["element_id"]) for e in history.json()["items"] if e["type"] == "task.completed"]
    assert completed == [("bob", "manager_approval"), ("carol", "hr_record")]
    denied = c.get("/api/v1/audit/events", headers=erin, params={"type": "access.denied"}).json()["items"]
    assert any(e["actor"] == "bob" and e["data"]["reason"] == "separation-of-duties" for e in denied)

    # The OpenAPI document lists all of it.
    paths = c.get("/openapi.json").json()["paths"]
    for path, method in [("/api/v1/auth/token", "post"), ("/api/v1/me", "get"),
                         ("/api/v1/definitions/{key}/instances", "post"), ("/api/v1/tasks", "get"),
                         ("/api/v1/tasks/{task_id}/claim", "post"), ("/api/v1/tasks/{task_id}/complete", "post"),
                         ("/api/v1/instances/{instance_id}/history", "get"), ("/api/v1/audit/events", "get")]:
        assert method in paths[path], (path, method)
