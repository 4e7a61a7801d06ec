"""Suspension, migration and repair over HTTP: the contract's paths, roles and statuses."""

from __future__ import annotations

from tests.support.client import assert_problem


def test_an_admin_suspends_and_resumes_an_instance_whose_task_then_refuses_work(api):
    instance = api.start_leave()
    task = instance["open_tasks"][0]
    path = f"/api/v1/instances/{instance['id']}"
    assert_problem(api.post(path + "/suspend", "alice", json={"reason": "mine"}), 403)
    assert_problem(api.post(path + "/suspend", "root", json={}), 422)
    assert_problem(api.post("/api/v1/instances/nope/suspend", "root", json={"reason": "x"}), 404)

    suspended = api.post(path + "/suspend", "root", json={"reason": "supplier dispute"})
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    assert api.get(path, "root").json()["status"] == "suspended"
    assert_problem(api.post(path + "/suspend", "root", json={"reason": "again"}), 409)
    assignee = "bob" if task["assignee"] is None else task["assignee"]
    assert_problem(api.post(f"/api/v1/tasks/{task['id']}/complete", assignee, json={"data": {}}), 409)
    listed = api.get("/api/v1/instances", "root", params={"status": "suspended"}).json()["items"]
    assert [i["id"] for i in listed] == [instance["id"]]

    resumed = api.post(path + "/resume", "root", json={"reason": "settled"})
    assert resumed.status_code == 200 and resumed.json()["status"] == "running"
    reasons = [e["data"]["reason"] for e in api.events() if e["type"] in ("instance.suspended", "instance.resumed")]
    assert reasons == ["supplier dispute", "settled"]


def test_a_designer_suspends_a_definition_and_new_instances_get_409(api):
    assert_problem(api.post("/api/v1/definitions/leave_request/suspend", "alice", json={"reason": "x"}), 403)
    assert_problem(api.post("/api/v1/definitions/leave_request/suspend", "dave",
                            json={"reason": "x", "instances": True}), 403)
    assert_problem(api.post("/api/v1/definitions/nope/suspend", "dave", json={"reason": "x"}), 404)
    answer = api.post("/api/v1/definitions/leave_request/suspend", "dave", json={"reason": "new rules"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["suspended"] is True and answer.json()["suspension"]["reason"] == "new rules"
    refused = api.post("/api/v1/definitions/leave_request/instances", "alice",
                       json={"data": {"leave_type": "vacation", "start_date": "2026-12-01",
                                      "end_date": "2026-12-08", "days": 6}})
    assert_problem(refused, 409)
    assert api.post("/api/v1/definitions/leave_request/resume", "dave", json={}).status_code == 200
    api.start_leave()
