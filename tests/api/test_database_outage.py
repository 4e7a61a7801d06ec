"""While the database is away, requests answer 503 with ``Retry-After`` (a problem
document a client can act on, never a 500), and once it is back the same server answers
again without being restarted. The database is a private PostgreSQL cluster of this test
(never the shared one), stopped and started again while the server keeps running."""

from __future__ import annotations

import time

import pytest

from tests.support.client import api_on_url, assert_problem
from tests.support.private_services import PrivatePostgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def database():
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


def eventually_ok(call, attempts: int = 50):
    """The first 200 of up to ``attempts`` calls a quarter second apart; every other
    answer on the way must be 503."""
    for _ in range(attempts):
        response = call()
        if response.status_code == 200:
            return response
        assert_problem(response, 503, "database-unavailable")
        time.sleep(0.25)
    raise AssertionError("the server did not recover")


def test_a_stopped_database_answers_503_with_retry_after_and_the_server_recovers(database, clock):
    with api_on_url(database.url, clock) as api:
        instance = api.start_leave()
        task_id = instance["open_tasks"][0]["id"]
        inbox = api.get("/api/v1/tasks", "bob")
        assert inbox.status_code == 200
        bob, alice = api.headers("bob"), api.headers("alice")

        database.stop()
        for call in (lambda: api.client.get("/api/v1/tasks", headers=bob),
                     lambda: api.client.post(f"/api/v1/tasks/{task_id}/complete", headers=bob,
                                             json={"data": {"decision": "approve"}}),
                     lambda: api.client.post("/api/v1/definitions/leave_request/instances", headers=alice,
                                             json={"data": {"leave_type": "sick", "start_date": "2026-12-01",
                                                            "end_date": "2026-12-02", "days": 1}})):
            response = call()
            assert_problem(response, 503, "database-unavailable")
            assert int(response.headers["retry-after"]) > 0
        assert api.client.get("/api/v1/health").status_code == 503

        database.start()
        eventually_ok(lambda: api.client.get("/api/v1/tasks", headers=bob))
        done = eventually_ok(lambda: api.client.post(f"/api/v1/tasks/{task_id}/complete", headers=bob,
                                                     json={"data": {"decision": "approve"}}))
        assert done.json()["task"]["status"] == "completed"
