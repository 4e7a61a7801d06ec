"""The ``flowdesk`` command, run as a user would: each call is a new Python process on the
same database, so the scenario below also shows that instances survive restarts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import FIXTURES, leave_request_files

LEAVE = {"leave_type": "vacation", "start_date": "2026-12-01", "end_date": "2026-12-08", "days": 6}


@pytest.fixture
def flowdesk(tmp_path: Path):
    env = {**os.environ, "FLOWDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    env.pop("FLOWDESK_DEFINITIONS", None)

    def run(*args: str, expect: int = 0) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "flowdesk", *args], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == expect, (args, result.returncode, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        return result

    return run


def as_json(result: subprocess.CompletedProcess):
    return json.loads(result.stdout)


def test_two_users_work_a_process_through_the_cli(flowdesk):
    paths = [str(p) for p in leave_request_files()]
    flowdesk("db", "upgrade")
    deployed = as_json(flowdesk("deploy", *paths, "--json"))
    assert {"key": "leave_request", "version": 1, "new": True} in deployed["definitions"]
    flowdesk("users", "create", "alice", "--password", "alice-pass", "--groups", "employees")
    flowdesk("users", "create", "bob", "--password", "bob-pass1", "--groups", "employees,department_managers")
    flowdesk("users", "create", "carol", "--password", "carol-pass", "--groups", "hr")

    started = as_json(flowdesk("instances", "start", "leave_request", "--user", "bob", "--json",
                               "--business-key", "LEAVE-7", "--data", json.dumps(LEAVE)))
    own = started["open_tasks"][0]["id"]
    refused = flowdesk("tasks", "complete", own, "--user", "bob", "--data", '{"decision": "approve"}', expect=1)
    assert "separation-of-duties" in refused.stderr or "may not work on" in refused.stderr

    started = as_json(flowdesk("instances", "start", "leave_request", "--user", "alice", "--json",
                               "--data", json.dumps(LEAVE)))
    inbox = as_json(flowdesk("tasks", "list", "--user", "bob", "--json"))
    approval = next(t for t in inbox if t["instance_id"] == started["id"])
    assert approval["element_id"] == "manager_approval"
    assert as_json(flowdesk("tasks", "list", "--user", "alice", "--json")) == []

    invalid = flowdesk("tasks", "complete", approval["id"], "--user", "bob", "--data", '{"decision": "reject"}',
                       expect=1)
    assert "/comment: is required" in invalid.stderr

    flowdesk("tasks", "complete", approval["id"], "--user", "bob", "--data", '{"decision": "approve"}')
    (record,) = as_json(flowdesk("tasks", "list", "--user", "carol", "--json"))
    done = as_json(flowdesk("tasks", "complete", record["id"], "--user", "carol", "--json",
                            "--data", '{"payroll_reference": "PAY-0042"}'))
    assert done["instance"]["status"] == "completed"

    history = as_json(flowdesk("instances", "history", started["id"], "--json"))
    who_did_what = [(e["type"], e["actor"]) for e in history if e["type"].startswith(("instance.", "task.completed"))]
    assert who_did_what == [("instance.started", "alice"), ("task.completed", "bob"),
                            ("task.completed", "carol"), ("instance.completed", "carol")]


def test_validate_reports_file_and_line_and_exits_1(flowdesk, tmp_path):
    broken = tmp_path / "broken.bpmn"
    text = (FIXTURES / "camunda_purchase.bpmn").read_text().replace("${level != \"none\"", "${level !=== \"none\"")
    broken.write_text(text)
    result = flowdesk("validate", str(broken), *(str(p) for p in FIXTURES.glob("camunda_*.yaml")),
                      str(FIXTURES / "camunda_purchase_level.dmn"), expect=1)
    line = next(i for i, text_line in enumerate(text.splitlines(), 1) if "!==" in text_line)
    assert f"broken.bpmn:{line}: condition" in result.stderr


def test_validate_accepts_good_files(flowdesk):
    result = flowdesk("validate", *(str(p) for p in FIXTURES.glob("camunda_*")), "--json")
    assert as_json(result) == [{"key": "camunda_purchase", "name": "Purchase (Camunda)", "file": "camunda_purchase.bpmn"}]


def test_wrong_usage_exits_2(flowdesk):
    flowdesk("tasks", "complete", expect=2)
    flowdesk("no-such-command", expect=2)


def test_bad_json_data_is_a_clear_error(flowdesk):
    flowdesk("deploy", *(str(p) for p in leave_request_files()))
    result = flowdesk("instances", "start", "leave_request", "--data", "{not json", expect=1)
    assert "--data is not valid JSON" in result.stderr


def test_unknown_user_and_unknown_task_are_clear_errors(flowdesk):
    assert "does not exist" in flowdesk("tasks", "list", "--user", "nobody", expect=1).stderr
    flowdesk("users", "create", "zed", "--password", "zed-password")
    assert "no task" in flowdesk("tasks", "complete", "nope", "--user", "zed", expect=1).stderr
