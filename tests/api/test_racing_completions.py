"""Two clients complete the same task at the same moment: exactly one gets 200, the other
409 (never a 500), and the instance moves on once. Half the rounds start with the
workflow cache empty, so the loser restores the state from the database, the path on
which it may find the winner's state already committed."""

from __future__ import annotations

import threading

import pytest
from flowdesk.engine.runtime.cache import WORKFLOWS

from tests.support.client import api_on_url, open_api

ROUNDS = 12


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api(request, template_db, tmp_path, clock):
    if request.param == "sqlite":
        with open_api(template_db, tmp_path, clock) as made:
            yield made
    else:
        with api_on_url(request.getfixturevalue("postgres_url"), clock) as made:
            yield made


def race(api, task_id: str, users: tuple[str, str]) -> list[int]:
    """Both users complete ``task_id`` at once; their status codes."""
    barrier = threading.Barrier(len(users))
    statuses: list[int] = [0] * len(users)
    headers = [api.headers(user) for user in users]

    def complete(i: int) -> None:
        barrier.wait()
        response = api.client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers[i],
                                   json={"data": {"decision": "approve"}})
        statuses[i] = response.status_code

    threads = [threading.Thread(target=complete, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_racing_completions_answer_409_to_the_loser_and_advance_the_instance_once(api):
    for round_ in range(ROUNDS):
        instance = api.start_leave()
        task_id = instance["open_tasks"][0]["id"]
        if round_ % 2 == 0:
            WORKFLOWS.clear()  # a cache miss: both restore the stored state
        statuses = race(api, task_id, ("bob", "dan"))
        assert sorted(statuses) == [200, 409], (round_, statuses)
        history = api.call("GET", f"/instances/{instance['id']}/history", "root", params={"limit": 500})["items"]
        assert [e["type"] for e in history].count("task.completed") == 1
        after = api.call("GET", f"/instances/{instance['id']}", "root")
        assert [t["name"] for t in after["open_tasks"]] == [t["name"] for t in after["open_tasks"][:1]]
        assert after["open_tasks"] and after["open_tasks"][0]["id"] != task_id
