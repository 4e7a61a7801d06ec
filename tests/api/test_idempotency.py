"""Idempotency-Key: a retried creating request (or task completion) returns the first
response instead of acting twice; the same key with a different body is refused (422).
The same holds on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.support.client import api_on_url, assert_problem, open_api
from tests.support.models import one_task_process
from tests.support.paths import LEAVE

START = "/api/v1/definitions/leave_request/instances"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api(request, template_db, tmp_path, clock):
    """The API on SQLite (a copy of the template) and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        with open_api(template_db, tmp_path, clock) as made:
            yield made
    else:
        with api_on_url(request.getfixturevalue("postgres_url"), clock) as made:
            yield made


def start(api, user="alice", key="order-1", data=LEAVE):
    return api.post(START, user, json={"data": data}, headers={"Idempotency-Key": key})


def running(api):
    return api.get("/api/v1/instances", "root", params={"status": "running"}).json()["items"]


def test_a_retry_returns_the_first_response_and_starts_nothing_new(api):
    first = start(api)
    again = start(api)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len(running(api)) == 1


def test_the_same_key_with_another_body_is_422(api):
    start(api)
    assert_problem(start(api, data={**LEAVE, "days": 7}), 422, "idempotency-key-reused")
    assert len(running(api)) == 1


def test_keys_belong_to_their_user(api):
    start(api, "alice")
    assert start(api, "carol").json()["started_by"] == "carol"
    assert len(running(api)) == 2


def test_a_failed_request_does_not_use_up_its_key(api):
    assert start(api, data={**LEAVE, "days": 0}).status_code == 422
    assert start(api).status_code == 201
    assert len(running(api)) == 1


def test_a_malformed_key_is_a_bad_request(api):
    assert_problem(start(api, key="with space"), 400)
    assert_problem(start(api, key="x" * 256), 400)


def test_deployments_messages_and_uploads_take_keys_too(api):
    process = one_task_process("expenses", lane="employees")
    files = [("files", (process.name, process.content))]
    first = api.post("/api/v1/deployments", "dave", files=files, headers={"Idempotency-Key": "deploy-1"})
    again = api.post("/api/v1/deployments", "dave", files=files, headers={"Idempotency-Key": "deploy-1"})
    assert again.json() == first.json()  # same deployment id: it ran once
    upload = {"file": ("a.txt", b"hello", "text/plain")}
    one = api.post("/api/v1/files", "alice", files=upload, headers={"Idempotency-Key": "file-1"})
    two = api.post("/api/v1/files", "alice", files=upload, headers={"Idempotency-Key": "file-1"})
    assert one.json()["id"] == two.json()["id"]
    assert_problem(api.post("/api/v1/messages", "ian", json={"name": "x"}, headers={"Idempotency-Key": "m-1"}), 404)


def complete(api, task_id, key, decision="approve", user="bob"):
    return api.post(f"/api/v1/tasks/{task_id}/complete", user, json={"data": {"decision": decision}},
                    headers={"Idempotency-Key": key})


def test_a_retried_completion_returns_the_first_response_instead_of_409(api):
    instance = start(api).json()
    task_id = instance["open_tasks"][0]["id"]
    first = complete(api, task_id, "decide-1")
    assert first.status_code == 200, first.text
    again = complete(api, task_id, "decide-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    history = api.get(f"/api/v1/instances/{instance['id']}/history", "root", params={"limit": 500}).json()["items"]
    assert [e["type"] for e in history].count("task.completed") == 1


def test_a_completion_key_reused_with_another_decision_is_422(api):
    task_id = start(api).json()["open_tasks"][0]["id"]
    assert complete(api, task_id, "decide-1").status_code == 200
    assert_problem(complete(api, task_id, "decide-1", decision="reject"), 422, "idempotency-key-reused")


def test_without_a_key_a_second_completion_is_still_409(api):
    task_id = start(api).json()["open_tasks"][0]["id"]
    assert complete(api, task_id, "decide-1").status_code == 200
    response = api.post(f"/api/v1/tasks/{task_id}/complete", "bob", json={"data": {"decision": "approve"}})
    assert_problem(response, 409)
