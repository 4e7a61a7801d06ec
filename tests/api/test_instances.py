"""Starting, reading, listing and cancelling instances; history and instance diagrams."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flowdesk.engine import values
from lxml import etree

from tests.support.client import assert_problem
from tests.support.models import AMOUNT_FORM, form_file, one_task_process, script_process
from tests.support.paths import LEAVE

START = "/api/v1/definitions/leave_request/instances"


def test_starting_returns_the_instance_with_its_first_tasks(api):
    response = api.post(START, "alice", json={"data": LEAVE, "business_key": "LEAVE-1"})
    assert response.status_code == 201
    instance = response.json()
    assert response.headers["location"] == f"/api/v1/instances/{instance['id']}"
    assert instance.keys() >= {"id", "definition_key", "definition_version", "business_key", "status", "started_by",
                               "started_at", "ended_at", "data", "open_tasks", "open_tasks_total", "active_elements",
                               "parent_instance_id"}
    assert (instance["status"], instance["started_by"], instance["business_key"]) == ("running", "alice", "LEAVE-1")
    assert instance["active_elements"] == ["manager_approval"] and instance["parent_instance_id"] is None
    assert instance["open_tasks"][0].keys() >= {"id", "name", "element_id", "instance_id", "definition_key",
                                                "business_key", "assignee", "candidate_groups", "status",
                                                "created_at", "due_at", "priority"}


def test_start_data_is_checked_against_the_start_form(api):
    problem = assert_problem(api.post(START, "alice", json={"data": {**LEAVE, "days": 0, "start_date": "2026-02-30"}}),
                             422)
    assert {e["path"] for e in problem["errors"]} == {"/days", "/start_date"}
    problem = assert_problem(api.post(START, "alice", json={"data": [], "business_key": 7}), 422)
    assert {e["path"] for e in problem["errors"]} == {"/data", "/business_key"}
    assert api.get("/api/v1/instances", "root").json()["items"] == []


def test_the_start_lane_says_who_may_start(api):
    assert_problem(api.post(START, "dan", json={"data": LEAVE}), 403)  # managers and hr, not employees
    assert_problem(api.post(START, "dan", json={"data": "invalid"}), 403)  # 403 before 422
    assert_problem(api.post(START, "erin", json={"data": LEAVE}), 403)  # auditors change nothing
    assert api.post(START, "ian", json={"data": LEAVE}).json()["started_by"] == "ian"  # integration: any process


def test_an_unknown_process_is_404_before_anything_else(api):
    assert_problem(api.post("/api/v1/definitions/nope/instances", "alice", json={"data": "invalid"}), 404)
    assert_problem(api.post(START, "alice", params={"version": 5}, json={"data": LEAVE}), 404)


def test_amounts_stay_exact_both_ways(api):
    api.deploy(one_task_process("expenses", lane="employees", form="amount"), form_file("amount", AMOUNT_FORM))
    body = b'{"data": {"amount": 0.10}}'
    started = api.post("/api/v1/definitions/expenses/instances", "alice", content=body,
                       headers={"Content-Type": "application/json"})
    assert started.status_code == 201
    task = started.json()["open_tasks"][0]["id"]
    done = api.post(f"/api/v1/tasks/{task}/complete", "alice", content=b'{"data": {"amount": 1234567890.12345678901}}',
                    headers={"Content-Type": "application/json"})
    assert b'"amount":1234567890.12345678901' in done.content
    assert values.loads(done.content)["instance"]["data"]["amount"] == Decimal("1234567890.12345678901")


def test_employees_see_what_they_started_or_worked_on_auditors_and_admins_everything(api):
    mine = api.start_leave("alice")
    carols = api.start_leave("carol")
    ids = lambda user, **q: {i["id"] for i in api.get("/api/v1/instances", user, params=q).json()["items"]}  # noqa: E731
    assert ids("alice") == {mine["id"]}
    assert ids("bob") == set()  # a candidate only, not yet involved
    api.post(f"/api/v1/tasks/{carols['open_tasks'][0]['id']}/claim", "bob")
    assert ids("bob") == {carols["id"]}  # holds a task in it now
    assert ids("erin") == ids("root") == {mine["id"], carols["id"]}
    assert ids("root", started_by="carol") == {carols["id"]}
    assert ids("root", status="completed") == set()
    assert ids("root", definition_key="leave_request", business_key="none") == set()
    assert_problem(api.get(f"/api/v1/instances/{mine['id']}", "carol"), 404)
    assert api.get(f"/api/v1/instances/{mine['id']}", "erin").json()["id"] == mine["id"]
    assert_problem(api.get("/api/v1/instances", "dave"), 403)
    assert_problem(api.get("/api/v1/instances", "root", params={"status": "sleeping"}), 422)


def test_instances_are_listed_newest_first_page_by_page(api):
    started = []
    for _ in range(5):
        started.append(api.start_leave()["id"])
        api.clock.advance(minutes=1)
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/instances", "alice", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        seen += [i["id"] for i in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == started[::-1]
    assert_problem(api.get("/api/v1/instances", "alice", params={"cursor": "garbage!"}), 400)


def test_a_starter_cancels_their_own_running_instance(api):
    instance = api.start_leave("alice")
    assert_problem(api.post(f"/api/v1/instances/{instance['id']}/cancel", "bob", json={}), 404)  # cannot see it
    cancelled = api.post(f"/api/v1/instances/{instance['id']}/cancel", "alice", json={"reason": "plans changed"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["open_tasks"] == []
    assert_problem(api.post(f"/api/v1/instances/{instance['id']}/cancel", "alice"), 409)
    assert api.get("/api/v1/tasks", "bob").json()["items"] == []


def test_an_admin_cancels_anything_but_must_say_why(api):
    instance = api.start_leave("alice")
    url = f"/api/v1/instances/{instance['id']}/cancel"
    problem = assert_problem(api.post(url, "root", json={}), 422)
    assert problem["errors"] == [{"path": "/reason", "message": "an admin cancelling an instance must give a reason"}]
    assert api.post(url, "root", json={"reason": "duplicate"}).json()["status"] == "cancelled"
    event = api.events("instance.cancelled")[-1]
    assert event["actor"] == "root" and event["data"] == {"reason": "duplicate"}


def test_who_else_may_not_cancel(api):
    instance = api.start_leave("alice")
    url = f"/api/v1/instances/{instance['id']}/cancel"
    for user in ("erin", "dave", "ian"):
        assert_problem(api.post(url, user, json={"reason": "x"}), 403)
    api.post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/claim", "bob")
    assert_problem(api.post(url, "bob", json={"reason": "x"}), 403)  # may read it, did not start it
    assert_problem(api.post(url, "alice", json={"reason": 5}), 422)


def test_history_is_in_order_page_by_page(api):
    instance = api.start_leave("alice")
    url = f"/api/v1/instances/{instance['id']}/history"
    everything = api.get(url, "erin").json()["items"]
    assert [e["seq"] for e in everything] == sorted(e["seq"] for e in everything)
    assert everything[0]["type"] == "instance.started"
    assert everything[0].keys() >= {"seq", "at", "type", "actor", "instance_id", "definition_key",
                                    "definition_version", "element_id", "task_id", "data", "hash", "prev_hash"}
    first = api.get(url, "alice", params={"limit": 2}).json()
    rest = api.get(url, "alice", params={"cursor": first["next_cursor"]}).json()
    assert [e["seq"] for e in first["items"] + rest["items"]] == [e["seq"] for e in everything]
    assert_problem(api.get(url, "carol"), 404)
    assert_problem(api.get("/api/v1/instances/nope/history", "erin"), 404)


def test_the_instance_diagram_marks_completed_active_and_failed_elements(api):
    instance = api.start_leave("alice")
    svg = etree.fromstring(api.get(f"/api/v1/instances/{instance['id']}/diagram.svg", "alice").content)
    state = {g.get("data-element-id"): g.get("class") for g in svg.iter("{http://www.w3.org/2000/svg}g")}
    assert "state-active" in state["manager_approval"]
    assert "state-completed" in state["decide_approval"]
    assert "state-" not in state["hr_record"]

    api.deploy(script_process("broken", "x = 1 / 0"))
    failed = api.post("/api/v1/definitions/broken/instances", "root", json={}).json()
    assert failed["status"] == "failed"
    svg = etree.fromstring(api.get(f"/api/v1/instances/{failed['id']}/diagram.svg", "erin").content)
    state = {g.get("data-element-id"): g.get("class") for g in svg.iter("{http://www.w3.org/2000/svg}g")}
    assert "state-failed" in state["run"]


@pytest.mark.parametrize("path", ["", "/history", "/diagram.svg"])
def test_unknown_instances_are_404(api, path):
    assert_problem(api.get(f"/api/v1/instances/not-an-instance{path}", "root"), 404)


def test_the_diagram_names_steps_in_the_accepted_language(api):
    instance = api.start_leave("alice")
    chinese = api.get(f"/api/v1/instances/{instance['id']}/diagram.svg", "alice",
                      headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "审批请假" in chinese and "Approve leave" not in chinese
    assert "Approve leave" in api.get(f"/api/v1/instances/{instance['id']}/diagram.svg", "alice").text
    definition = api.get("/api/v1/definitions/leave_request/diagram.svg", "alice",
                         headers={"Accept-Language": "zh"}).text
    assert "审批请假" in definition
