"""``flowdesk instances suspend|resume`` and ``flowdesk definitions suspend|resume``, run as a
user would (each call a new process on the same database)."""

from __future__ import annotations

import json

from tests.cli.test_cli import flowdesk  # noqa: F401  (the fixture)
from tests.support.paths import FIXTURES


def test_an_admin_suspends_and_resumes_from_the_command_line(flowdesk):  # noqa: F811
    flowdesk("db", "upgrade")
    flowdesk("deploy", str(FIXTURES / "operations" / "review_v1.bpmn"))
    flowdesk("users", "create", "ada", "--password", "ada-pass1", "--groups", "admin")
    flowdesk("users", "create", "cleo", "--password", "cleo-pass", "--groups", "clerks")
    started = json.loads(flowdesk("instances", "start", "review", "--user", "cleo", "--json").stdout)

    refused = flowdesk("instances", "suspend", started["id"], "--reason", "x", "--user", "cleo", expect=1)
    assert "may not suspend" in refused.stderr
    done = flowdesk("instances", "suspend", started["id"], "--reason", "supplier dispute", "--user", "ada")
    assert "suspended" in done.stdout
    task = started["open_tasks"][0]["id"]
    blocked = flowdesk("tasks", "complete", task, "--user", "cleo", expect=1)
    assert "suspended" in blocked.stderr
    assert json.loads(flowdesk("instances", "resume", started["id"], "--user", "ada", "--json").stdout)[
        "status"] == "running"

    flowdesk("definitions", "suspend", "review", "--reason", "new rules", "--instances")
    assert json.loads(flowdesk("instances", "show", started["id"], "--json").stdout)["status"] == "suspended"
    assert "is suspended" in flowdesk("instances", "start", "review", "--user", "cleo", expect=1).stderr
    resumed = flowdesk("definitions", "resume", "review", "--reason", "in place")
    assert "resumed 1 instance(s)" in resumed.stdout


def test_instances_migrate_reports_a_dry_run_then_moves_them(flowdesk):  # noqa: F811
    flowdesk("db", "upgrade")
    flowdesk("deploy", str(FIXTURES / "operations" / "review_v1.bpmn"))
    started = json.loads(flowdesk("instances", "start", "review", "--json").stdout)
    flowdesk("deploy", str(FIXTURES / "operations" / "review_v2.bpmn"))

    refused = flowdesk("instances", "migrate", "review", "--from", "1", "--to", "2", expect=1)
    assert "check" in refused.stdout and "would move 0 of 1" in refused.stdout
    dry = flowdesk("instances", "migrate", "review", "--from", "1", "--to", "2", "--map", "check=verify")
    assert "would move 1 of 1" in dry.stdout
    assert json.loads(flowdesk("instances", "show", started["id"], "--json").stdout)["definition_version"] == 1
    flowdesk("instances", "migrate", "review", "--from", "1", "--to", "2", "--map", "check=verify", "--execute")
    moved = json.loads(flowdesk("instances", "show", started["id"], "--json").stdout)
    assert moved["definition_version"] == 2 and moved["open_tasks"][0]["element_id"] == "verify"

    repaired = flowdesk("instances", "modify", started["id"], "--reason", "skip the check", "--cancel", "verify",
                        "--start-before", "approve", "--json")
    assert [t["element_id"] for t in json.loads(repaired.stdout)["open_tasks"]] == ["approve"]
