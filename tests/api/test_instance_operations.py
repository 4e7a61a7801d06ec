"""Suspension, migration and repair over HTTP: the contract's paths, roles and statuses."""

from __future__ import annotations

from tests.instances.operations_support import OPERATIONS
from tests.support.client import assert_problem, upload


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
    assert api.get(f"/api/v1/tasks/{task['id']}", assignee).json()["instance_status"] == "suspended"
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


def deploy(api, name):
    response = api.post("/api/v1/deployments", "dave", files=upload(OPERATIONS / name))
    assert response.status_code == 201, response.text


def test_a_migration_is_dry_run_by_default_then_executed_by_an_admin(api):
    deploy(api, "review_v1.bpmn")
    started = api.post("/api/v1/definitions/review/instances", "ian", json={"data": {}})
    assert started.status_code == 201, started.text
    instance = started.json()
    deploy(api, "review_v2.bpmn")
    body = {"definition_key": "review", "from_version": 1, "to_version": 2, "instance_ids": None,
            "mapping": {"check": "verify"}}

    assert_problem(api.post("/api/v1/migrations", "alice", json=body), 403)
    assert_problem(api.post("/api/v1/migrations", "alice", json={"nonsense": 1}), 403)
    assert_problem(api.post("/api/v1/migrations", "root", json={**body, "mapping": {"check": "gone"}}), 422)
    assert_problem(api.post("/api/v1/migrations", "root", json={**body, "to_version": 9}), 404)
    dry = api.post("/api/v1/migrations", "dave", json=body)
    assert dry.status_code == 200, dry.text
    assert dry.json()["instances"] == [{"id": instance["id"], "ok": True, "problems": []}]
    assert dry.json()["migrated"] == 0
    assert api.get(f"/api/v1/instances/{instance['id']}", "root").json()["definition_version"] == 1
    assert_problem(api.post("/api/v1/migrations", "dave", json={**body, "dry_run": False}), 403)

    done = api.post("/api/v1/migrations", "root", json={**body, "dry_run": False})
    assert done.status_code == 200 and done.json()["migrated"] == 1
    moved = api.get(f"/api/v1/instances/{instance['id']}", "root").json()
    assert moved["definition_version"] == 2 and moved["open_tasks"][0]["element_id"] == "verify"
    (event,) = api.events("instance.migrated")
    assert event["data"]["mapping"] == {"check": "verify"} and event["data"]["from_version"] == 1


def test_an_admin_repairs_an_instance(api):
    instance = api.start_leave()
    path = f"/api/v1/instances/{instance['id']}/modify"
    element = instance["open_tasks"][0]["element_id"]
    body = {"reason": "wrongly routed", "instructions": [{"cancel": element}, {"start_before": element}]}
    assert_problem(api.post(path, "alice", json=body), 403)
    assert_problem(api.post("/api/v1/instances/nope/modify", "root", json=body), 404)
    assert_problem(api.post(path, "root", json={"reason": "x", "instructions": [{"jump": element}]}), 422)
    assert_problem(api.post(path, "root", json={"instructions": "all"}), 422)
    repaired = api.post(path, "root", json=body)
    assert repaired.status_code == 200, repaired.text
    assert [t["element_id"] for t in repaired.json()["open_tasks"]] == [element]
    assert repaired.json()["open_tasks"][0]["id"] != instance["open_tasks"][0]["id"]
    assert [e["data"]["reason"] for e in api.events("instance.modified")] == ["wrongly routed"]
