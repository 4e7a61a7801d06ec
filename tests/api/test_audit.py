"""The audit log: search and export, for auditors and admins."""

from __future__ import annotations

import csv
import io
import json

from .conftest import assert_problem


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
