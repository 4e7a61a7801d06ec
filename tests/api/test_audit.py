"""The audit log: search and export, for auditors and admins."""

from __future__ import annotations

import csv
import io
import json

from tests.support.client import assert_problem


def test_auditors_search_events_by_instance_actor_type_and_time(api):
    first = api.start_leave("alice")
    api.clock.advance(hours=1)
    second = api.start_leave("carol")
    get = lambda **params: api.get("/api/v1/audit/events", "erin", params=params).json()["items"]  # noqa: E731
    assert {e["instance_id"] for e in get(type="instance.started")} == {first["id"], second["id"]}
    assert {e["actor"] for e in get(instance_id=second["id"])} == {"carol"}
    assert [e["instance_id"] for e in get(actor="alice", type="instance.started")] == [first["id"]]
    later = get(since=second["started_at"])
    assert later and all(e["instance_id"] in (second["id"], None) for e in later)
    assert first["id"] in {e["instance_id"] for e in get(until=second["started_at"])}
    assert get(since="2026-01-05T11:00:00+01:00", type="instance.started")[0]["instance_id"] == second["id"]


def test_events_page_in_order(api):
    api.start_leave("alice")
    everything = api.get("/api/v1/audit/events", "root", params={"limit": 500}).json()["items"]
    first = api.get("/api/v1/audit/events", "root", params={"limit": 3}).json()
    rest = api.get("/api/v1/audit/events", "root", params={"limit": 500, "cursor": first["next_cursor"]}).json()
    assert [e["seq"] for e in first["items"] + rest["items"]] == [e["seq"] for e in everything]


def test_events_export_as_csv_and_json_lines(api):
    api.start_leave("alice")
    as_csv = api.get("/api/v1/audit/events", "erin", headers={"Accept": "text/csv"}, params={"limit": 3})
    assert as_csv.headers["content-type"].startswith("text/csv") and as_csv.headers["next-cursor"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 3 and rows[0]["type"] and json.loads(rows[0]["data"]) is not None
    lines = api.get("/api/v1/audit/events", "erin", params={"format": "jsonl"}).text.splitlines()
    assert [json.loads(line)["seq"] for line in lines] == sorted(json.loads(line)["seq"] for line in lines)


def test_only_auditors_and_admins_read_the_log(api):
    for user in ("alice", "dave", "ian"):
        assert_problem(api.get("/api/v1/audit/events", user), 403)
    assert_problem(api.get("/api/v1/audit/events", "erin", params={"since": "yesterday"}), 422)
    assert_problem(api.get("/api/v1/audit/events", "erin", params={"format": "xml"}), 422)


def test_a_whole_export_streams_every_matching_event(api):
    started = api.start_leave("alice")
    api.start_leave("carol")
    listed = api.get("/api/v1/audit/events", "erin", params={"limit": 500}).json()["items"]
    with api.client.stream("GET", "/api/v1/audit/events", params={"format": "csv"},
                           headers=api.headers("erin")) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO("".join(response.iter_text()))))
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in listed]
    mine = api.get("/api/v1/audit/events", "erin", params={"format": "jsonl",
                                                            "instance_id": started["id"]}).text.splitlines()
    assert {json.loads(line)["instance_id"] for line in mine} == {started["id"]}


def test_verify_touched_instances_and_reports_are_for_their_readers(api):
    started = api.start_leave("alice")
    verified = api.get("/api/v1/audit/verify", "erin").json()
    assert verified["ok"] is True and verified["events"] > 0 and len(verified["global_head"]) == 64
    touched = api.get("/api/v1/audit/actors/alice/instances", "erin").json()["items"]
    assert [t["instance_id"] for t in touched] == [started["id"]]
    assert api.get("/api/v1/instances/" + started["id"] + "/definition", "erin").json()["sources"]
    kpis = api.get("/api/v1/reports/kpis", "erin", params={"definition_key": "leave_request"}).json()
    assert kpis["processes"][0]["started"] == 1
    for path in ("/api/v1/audit/verify", "/api/v1/audit/actors/alice/instances", "/api/v1/reports/kpis",
                 "/api/v1/reports/controls?definition_key=leave_request"):
        assert_problem(api.get(path, "alice"), 403)
    assert_problem(api.post("/api/v1/audit/retention", "erin", json={"days": 30}), 403)
    assert_problem(api.post("/api/v1/audit/retention", "root", json={"days": 0}), 422)
    assert api.post("/api/v1/audit/retention", "root", json={"days": 30}).json()["instances"] == 0
