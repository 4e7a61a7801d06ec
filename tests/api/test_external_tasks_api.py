"""External-task workers over HTTP: fetch-and-lock, complete, fail, BPMN error."""

from __future__ import annotations

from pathlib import Path

import pytest
from flowdesk.engine.definitions.sources import SourceFile

from tests.support.client import assert_problem

CREDIT = Path(__file__).resolve().parents[1] / "fixtures" / "background" / "credit.bpmn"


@pytest.fixture
def credit(api):
    api.deploy(SourceFile("credit.bpmn", CREDIT.read_bytes()))
    started = api.post("/api/v1/definitions/credit/instances", "ian", json={"data": {"customer": "ACME"}})
    assert started.status_code == 201, started.text
    return started.json()


def test_a_worker_fetches_locks_and_completes(api, credit):
    locked = api.post("/api/v1/external-tasks/fetch-and-lock", "ian",
                      json={"worker_id": "erp-1", "topics": ["credit_check"], "lock_seconds": 60})
    assert locked.status_code == 200, locked.text
    (task,) = locked.json()["items"]
    assert task["instance_id"] == credit["id"] and task["attempt"] == 1
    done = api.post(f"/api/v1/external-tasks/{task['id']}/complete", "ian",
                    json={"worker_id": "erp-1", "variables": {"credit_ok": True}})
    assert done.status_code == 200 and done.json() == {"id": task["id"], "status": "completed"}
    instance = api.get(f"/api/v1/instances/{credit['id']}", "ian").json()
    assert instance["status"] == "completed" and instance["data"]["credit_ok"] is True
    assert_problem(api.post(f"/api/v1/external-tasks/{task['id']}/complete", "ian",
                            json={"worker_id": "erp-1", "variables": {}}), 409)


def test_bpmn_error_and_failure(api, credit):
    (task,) = api.post("/api/v1/external-tasks/fetch-and-lock", "ian",
                       json={"worker_id": "w", "topics": ["credit_check"]}).json()["items"]
    assert_problem(api.post(f"/api/v1/external-tasks/{task['id']}/failure", "ian",
                            json={"worker_id": "someone-else", "error": "x"}), 409)
    refused = api.post(f"/api/v1/external-tasks/{task['id']}/bpmn-error", "ian",
                       json={"worker_id": "w", "code": "credit_refused"})
    assert refused.status_code == 200
    assert api.get(f"/api/v1/instances/{credit['id']}", "ian").json()["data"]["credit_status"] == "blocked"


def test_only_integration_accounts_and_admins_work_external_tasks(api, credit):
    body = {"worker_id": "w", "topics": ["credit_check"]}
    assert_problem(api.post("/api/v1/external-tasks/fetch-and-lock", "alice", json=body), 403)
    assert_problem(api.post("/api/v1/external-tasks/fetch-and-lock", None, json=body), 401)
    assert_problem(api.post("/api/v1/external-tasks/fetch-and-lock", "ian", json={"topics": []}), 422)
    assert_problem(api.post("/api/v1/external-tasks/nope/complete", "ian", json={"worker_id": "w"}), 404)
