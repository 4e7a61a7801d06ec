"""Idempotency-Key: a retried creating request returns the first response instead of
acting twice; the same key with a different body is refused (422)."""

from __future__ import annotations

from tests.support.client import assert_problem
from tests.support.models import one_task_process
from tests.support.paths import LEAVE

START = "/api/v1/definitions/leave_request/instances"


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
