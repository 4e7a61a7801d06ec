"""Health split into liveness and readiness, request ids in answers, logs and audit events,
and the latency histograms on /metrics."""

from __future__ import annotations

import io
import json
import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest
from flowdesk.engine.histograms import Histogram
from flowdesk.engine.logs import JsonFormatter, RequestIdFilter
from flowdesk.engine.persistence.models import WorkerHeartbeat

from tests.support.client import open_api


def test_liveness_asks_nothing_but_the_process(api):
    answer = api.get("/api/v1/health/live")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_readiness_reports_the_database_and_the_workers(api):
    answer = api.get("/api/v1/health/ready")
    assert answer.status_code == 200
    assert answer.json() | {"version": None} == {"status": "ok", "database": "ok", "workers": "none live",
                                                  "live_workers": 0, "version": None}
    assert api.get("/api/v1/health").json() == answer.json()  # the contract's health is readiness


def beat(api, seconds_ago: float) -> None:
    with api.engine.transaction() as session:
        now = api.clock.now()
        session.merge(WorkerHeartbeat(worker_id="w1", kind="embedded", started_at=now,
                                      seen_at=now - timedelta(seconds=seconds_ago), jobs_done=0))


def test_readiness_can_require_live_workers(template_db: Path, tmp_path: Path, clock):
    with open_api(template_db, tmp_path, clock, health_min_workers=1) as api:
        missing = api.get("/api/v1/health/ready")
        assert missing.status_code == 503 and missing.json()["workers"] == "0 live, 1 required"
        beat(api, seconds_ago=5)
        assert api.get("/api/v1/health/ready").json()["workers"] == "ok"
        beat(api, seconds_ago=120)  # its heartbeat stopped: it is presumed dead
        assert api.get("/api/v1/health/ready").status_code == 503
        assert api.get("/api/v1/health/live").status_code == 200


def test_an_unreachable_broker_makes_the_server_not_ready(template_db: Path, tmp_path: Path, clock):
    with open_api(template_db, tmp_path, clock, broker_url="redis://127.0.0.1:1/0") as api:
        answer = api.get("/api/v1/health/ready")
        assert answer.status_code == 503 and answer.json()["broker"].startswith("unavailable")


@pytest.mark.skipif(not os.environ.get("FLOWDESK_TEST_REDIS_URL"), reason="FLOWDESK_TEST_REDIS_URL not set")
def test_a_reachable_broker_is_ready(template_db: Path, tmp_path: Path, clock):
    with open_api(template_db, tmp_path, clock, broker_url=os.environ["FLOWDESK_TEST_REDIS_URL"]) as api:
        answer = api.get("/api/v1/health/ready")
        assert answer.status_code == 200 and answer.json()["broker"] == "ok"


def test_a_request_id_is_taken_or_made_and_always_returned(api):
    assert api.get("/api/v1/me", "alice", headers={"X-Request-Id": "req-42"}).headers["x-request-id"] == "req-42"
    made = api.get("/api/v1/me", "alice").headers["x-request-id"]
    assert len(made) == 32
    hostile = api.get("/api/v1/me", "alice", headers={"X-Request-Id": "x\" forged=\"log line" + "a" * 200})
    assert len(hostile.headers["x-request-id"]) == 32
    assert api.get("/api/v1/tasks", headers={"X-Request-Id": "req-401"}).headers["x-request-id"] == "req-401"


def test_audit_events_carry_the_request_id_beside_their_data(api):
    started = api.post("/api/v1/definitions/leave_request/instances", "alice", headers={"X-Request-Id": "req-7"},
                       json={"data": {"leave_type": "vacation", "start_date": "2026-12-01",
                                      "end_date": "2026-12-08", "days": 6}})
    assert started.status_code == 201
    event = next(e for e in api.events("instance.started") if e["instance_id"] == started.json()["id"])
    assert event["context"] == {"request_id": "req-7"}
    assert "_context" not in event["data"]
    assert api.get("/api/v1/audit/verify", "erin").json()["ok"] is True


def test_json_log_lines_carry_the_request_id(api):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    requests_log = logging.getLogger("flowdesk.requests")
    level = requests_log.level
    requests_log.addHandler(handler)
    requests_log.setLevel(logging.INFO)
    try:
        api.get("/api/v1/me", "alice", headers={"X-Request-Id": "req-log"})
    finally:
        requests_log.removeHandler(handler)
        requests_log.setLevel(level)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["request_id"] == "req-log" and line["route"] == "/api/v1/me" and line["status"] == 200
    assert line["level"] == "info" and "duration_ms" in line and "time" in line


def test_metrics_have_request_and_step_histograms_by_template_and_definition(api):
    instance = api.start_leave("alice")
    task = instance["open_tasks"][0]["id"]
    api.get(f"/api/v1/tasks/{task}", "bob")
    text = api.get("/metrics", "erin").text
    assert 'flowdesk_http_request_duration_seconds_count{method="GET",route="/api/v1/tasks/{task_id}",' \
           'status="2xx"}' in text
    assert task not in text  # ids never become labels
    assert 'flowdesk_step_duration_seconds_count{definition_key="leave_request"}' in text
    assert "# TYPE flowdesk_job_lateness_seconds histogram" in text


def test_a_histogram_counts_into_cumulative_buckets():
    histogram = Histogram("h", "help", ("kind",), buckets=(1.0, 5.0))
    for seconds in (0.5, 2, 2, 10):
        histogram.observe(seconds, "timer")
    lines = list(histogram.lines())
    assert 'h_bucket{kind="timer",le="1"} 1' in lines
    assert 'h_bucket{kind="timer",le="5"} 3' in lines
    assert 'h_bucket{kind="timer",le="+Inf"} 4' in lines
    assert 'h_sum{kind="timer"} 14.500000' in lines and 'h_count{kind="timer"} 4' in lines


def test_spiffworkflow_task_chatter_stays_out_of_the_logs_at_info() -> None:
    from flowdesk.engine.logs import log_config

    config = log_config("json", "INFO")
    assert config["loggers"]["spiff"]["level"] == "WARNING"  # spiff.task, spiff.workflow: a line per state change
    assert config["root"]["level"] == "INFO"
