"""Health, incidents, jobs and metrics."""

from __future__ import annotations

from flowdesk.engine.definitions.sources import SourceFile

from tests.support.client import assert_problem
from tests.support.models import script_process
from tests.support.paths import FIXTURES


def test_health_needs_no_token(api):
    response = api.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "version": "0.1.0", "workers": "none live",
                               "live_workers": 0}


def failing_instance(api, key="broken"):
    api.deploy(script_process(key, "x = 1 / 0"))
    instance = api.post(f"/api/v1/definitions/{key}/instances", "root", json={}).json()
    assert instance["status"] == "failed"
    return instance


def test_incidents_are_listed_and_filtered(api):
    instance = failing_instance(api)
    failing_instance(api, "broken_too")
    everything = api.get("/api/v1/incidents", "dave").json()["items"]
    assert len(everything) == 2
    assert everything[0].keys() >= {"id", "instance_id", "element_id", "message", "status", "created_at"}
    mine = api.get("/api/v1/incidents", "erin", params={"instance_id": instance["id"]}).json()["items"]
    assert [(i["instance_id"], i["element_id"], i["status"]) for i in mine] == [(instance["id"], "run", "open")]
    assert api.get("/api/v1/incidents", "root", params={"status": "resolved"}).json()["items"] == []
    first = api.get("/api/v1/incidents", "root", params={"limit": 1}).json()
    rest = api.get("/api/v1/incidents", "root", params={"cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in everything]
    for user in ("alice", "ian"):
        assert_problem(api.get("/api/v1/incidents", user), 403)


def test_an_admin_retries_an_incident(api):
    instance = failing_instance(api)
    (incident,) = api.get("/api/v1/incidents", "root").json()["items"]
    assert_problem(api.post(f"/api/v1/incidents/{incident['id']}/retry", "dave"), 403)
    retried = api.post(f"/api/v1/incidents/{incident['id']}/retry", "root")
    assert retried.status_code == 200
    assert retried.json()["incident"]["status"] == "resolved"
    assert retried.json()["instance"]["id"] == instance["id"]
    assert_problem(api.post(f"/api/v1/incidents/{incident['id']}/retry", "root"), 409)
    assert_problem(api.post("/api/v1/incidents/nope/retry", "root"), 404)
    types = [e["type"] for e in api.get(f"/api/v1/instances/{instance['id']}/history", "root").json()["items"]]
    assert "incident.resolved" in types


def test_an_admin_retries_several_incidents_and_learns_the_fate_of_each(api):
    failing_instance(api)
    failing_instance(api, "broken_too")
    first, second = (i["id"] for i in api.get("/api/v1/incidents", "root").json()["items"])
    api.post(f"/api/v1/incidents/{second}/retry", "root")  # resolved already
    assert_problem(api.post("/api/v1/incidents/retry", "dave", json={"ids": [first]}), 403)
    assert_problem(api.post("/api/v1/incidents/retry", "dave", json={"ids": []}), 403)  # 403 before 422
    assert_problem(api.post("/api/v1/incidents/retry", "root", json={"ids": []}), 422)
    answer = api.post("/api/v1/incidents/retry", "root", json={"ids": [first, second, "nope", first]})
    assert answer.status_code == 200
    assert [(r["id"], r["ok"], r["status"]) for r in answer.json()["items"]] == [
        (first, True, 200), (second, False, 409), ("nope", False, 404)]
    assert answer.json()["items"][0]["instance_status"] == "failed"  # it ran again and failed again


def test_jobs_are_listed(api):
    wait = FIXTURES / "background" / "wait.bpmn"
    api.deploy(SourceFile(wait.name, wait.read_bytes()))
    instance = api.post("/api/v1/definitions/wait/instances", "root", json={}).json()
    (job,) = api.get("/api/v1/jobs", "erin", params={"instance_id": instance["id"]}).json()["items"]
    assert job.keys() >= {"id", "instance_id", "element_id", "kind", "due_at", "status", "attempts", "last_error"}
    assert (job["kind"], job["status"], job["element_id"]) == ("timer", "waiting", "pause")
    assert api.get("/api/v1/jobs", "root", params={"status": "done"}).json()["items"] == []
    assert_problem(api.get("/api/v1/jobs", "alice"), 403)
    assert_problem(api.get("/api/v1/jobs", "root", params={"status": "sleeping"}), 422)


def test_jobs_are_listed_the_most_overdue_first(api):
    wait = (FIXTURES / "background" / "wait.bpmn").read_bytes()
    api.deploy(SourceFile("wait.bpmn", wait))
    api.deploy(SourceFile("wait_long.bpmn", wait.replace(b'id="wait"', b'id="wait_long"').replace(b"PT10M", b"P3D")))
    later = api.post("/api/v1/definitions/wait_long/instances", "root", json={}).json()  # due in three days
    sooner = api.post("/api/v1/definitions/wait/instances", "root", json={}).json()  # due in ten minutes
    jobs = api.get("/api/v1/jobs", "erin", params={"status": "waiting"}).json()["items"]
    assert [j["instance_id"] for j in jobs] == [sooner["id"], later["id"]]


def test_metrics_count_instances_by_status_and_open_tasks(api):
    api.start_leave("alice")
    api.start_leave("carol")
    failing_instance(api)
    response = api.get("/metrics", "erin")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert 'flowdesk_instances{definition_key="leave_request",status="running"} 2' in lines
    assert 'flowdesk_instances{definition_key="broken",status="failed"} 1' in lines
    assert 'flowdesk_open_tasks{definition_key="leave_request"} 2' in lines
    assert "flowdesk_open_incidents 1" in lines
    assert "# TYPE flowdesk_instances gauge" in lines
    assert_problem(api.get("/metrics", "alice"), 403)
