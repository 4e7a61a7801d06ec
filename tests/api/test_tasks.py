"""The inbox, task detail, and the life of a task through HTTP."""

from __future__ import annotations

import pytest

from tests.support.client import assert_problem


def inbox(api, user, **params):
    response = api.get("/api/v1/tasks", user, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(page):
    return [t["id"] for t in page["items"]]


def approval_of(instance):
    return instance["open_tasks"][0]["id"]


def test_the_inbox_holds_my_tasks_and_my_groups_unassigned_ones(api):
    task = approval_of(api.start_leave("alice"))
    assert ids(inbox(api, "bob")) == ids(inbox(api, "dan")) == [task]
    assert ids(inbox(api, "bob", assignee="unassigned")) == [task]
    assert ids(inbox(api, "bob", assignee="me")) == []
    api.post(f"/api/v1/tasks/{task}/claim", "dan")
    assert ids(inbox(api, "dan", assignee="me")) == [task]
    assert ids(inbox(api, "bob")) == []  # claimed by someone else
    assert ids(inbox(api, "alice")) == ids(inbox(api, "carol")) == []


def test_separation_of_duties_hides_a_task_from_the_excluded_user(api):
    own = approval_of(api.start_leave("bob"))
    assert own not in ids(inbox(api, "bob"))
    assert own in ids(inbox(api, "dan"))


def test_inbox_filters(api):
    first = api.start_leave("alice")
    api.clock.advance(hours=1)
    second = api.post("/api/v1/definitions/leave_request/instances", "carol",
                      json={"data": {"leave_type": "sick", "start_date": "2026-12-01", "end_date": "2026-12-20",
                                     "days": 14}, "business_key": "LEAVE-2"}).json()
    assert ids(inbox(api, "bob", business_key="LEAVE-2")) == [approval_of(second)]
    assert ids(inbox(api, "bob", instance_id=first["id"])) == [approval_of(first)]
    assert len(ids(inbox(api, "bob", definition_key="leave_request"))) == 2
    assert ids(inbox(api, "bob", definition_key="other")) == []
    # due in two days from creation: the first is due an hour before the second
    due_first = first["open_tasks"][0]["due_at"]
    assert ids(inbox(api, "bob", due_before=second["open_tasks"][0]["due_at"])) == [approval_of(first)]
    assert ids(inbox(api, "bob", due_before=due_first)) == []


def test_inbox_sorting(api):
    short = api.start_leave("alice")  # priority 50
    api.clock.advance(minutes=5)
    long = api.start_leave("carol", days=20, end_date="2026-12-30")  # priority 70
    a, b = approval_of(short), approval_of(long)
    assert ids(inbox(api, "bob")) == [a, b]
    assert ids(inbox(api, "bob", sort="-created_at")) == [b, a]
    assert ids(inbox(api, "bob", sort="-priority")) == [b, a]
    assert ids(inbox(api, "bob", sort="priority")) == [a, b]
    assert ids(inbox(api, "bob", sort="due_at")) == [a, b]
    assert_problem(api.get("/api/v1/tasks", "bob", params={"sort": "name"}), 422)
    assert_problem(api.get("/api/v1/tasks", "bob", params={"assignee": "someone"}), 422)


@pytest.mark.parametrize("sort", ["created_at", "-created_at", "priority", "-priority", "due_at", "-due_at"])
def test_the_inbox_pages_with_a_cursor_without_repeating_or_skipping(api, sort):
    for i in range(5):
        api.start_leave("alice", days=3 + i * 4)  # priorities 50 and 70 mixed
        api.clock.advance(minutes=1 if i % 2 else 0)  # some share a creation time
    everything = ids(inbox(api, "bob", sort=sort, limit=500))
    seen, cursor = [], None
    while True:
        page = inbox(api, "bob", sort=sort, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == everything and len(seen) == 5


def test_a_cursor_from_another_sort_order_is_a_bad_request(api):
    for _ in range(3):
        api.start_leave("alice")
    cursor = inbox(api, "bob", sort="priority", limit=1)["next_cursor"]
    assert_problem(api.get("/api/v1/tasks", "bob", params={"sort": "created_at", "cursor": cursor}), 400)


def test_task_detail_has_the_form_its_hints_and_the_data_to_prefill(api):
    task = approval_of(api.start_leave("alice", reason="family"))
    detail = api.get(f"/api/v1/tasks/{task}", "bob").json()
    assert detail["name"] == "Approve leave" and detail["status"] == "open"
    assert detail["form"]["schema"]["properties"]["decision"]["enum"] == ["approve", "reject"]
    assert detail["form"]["ui"] == {}
    assert detail["data"] == {}  # the form's fields are not filled in yet; nothing else is the approver's
    full = api.get(f"/api/v1/tasks/{task}", "erin", params={"view": "all"}).json()
    assert full["data"]["reason"] == "family" and full["data"]["approval_level"] == "manager"
    assert "cannot approve your own request" in detail["documentation"]
    assert api.get(f"/api/v1/tasks/{task}", "alice").status_code == 200  # the starter may read her instance
    assert_problem(api.get(f"/api/v1/tasks/{task}", "carol"), 404)
    assert_problem(api.get("/api/v1/tasks/unknown", "bob"), 404)


def test_claim_unclaim_and_a_claim_race_loser_gets_409(api):
    task = approval_of(api.start_leave("alice"))
    claimed = api.post(f"/api/v1/tasks/{task}/claim", "bob")
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "bob"
    assert_problem(api.post(f"/api/v1/tasks/{task}/claim", "dan"), 409)
    assert_problem(api.post(f"/api/v1/tasks/{task}/unclaim", "dan"), 403)
    assert api.post(f"/api/v1/tasks/{task}/unclaim", "bob").json()["assignee"] is None
    assert api.post(f"/api/v1/tasks/{task}/claim", "dan").json()["assignee"] == "dan"
    assert_problem(api.post(f"/api/v1/tasks/{task}/claim", "alice"), 403)  # reads it, is no candidate
    assert_problem(api.post(f"/api/v1/tasks/{task}/claim", "carol"), 404)  # may not even read it


def test_assigning_is_for_admins_and_the_current_assignee(api):
    task = approval_of(api.start_leave("alice"))
    assert api.post(f"/api/v1/tasks/{task}/assign", "root", json={"username": "bob"}).json()["assignee"] == "bob"
    assert_problem(api.post(f"/api/v1/tasks/{task}/assign", "dan", json={"username": "dan"}), 403)
    delegated = api.post(f"/api/v1/tasks/{task}/assign", "bob", json={"username": "dan"})
    assert delegated.json()["assignee"] == "dan"
    assigned = [e for e in api.events("task.assigned") if e["task_id"] == task]
    assert [e["data"] for e in assigned] == [{"from": None, "to": "bob"}, {"from": "bob", "to": "dan"}]
    problem = assert_problem(api.post(f"/api/v1/tasks/{task}/assign", "root", json={"username": "ghost"}), 422)
    assert problem["errors"][0]["path"] == "/username"
    assert_problem(api.post(f"/api/v1/tasks/{task}/assign", "root", json={}), 422)
    assert_problem(api.post(f"/api/v1/tasks/{task}/assign", "erin", json={"username": "bob"}), 403)
    assert_problem(api.post("/api/v1/tasks/nope/assign", "root", json={}), 404)  # 404 before 422


def test_completing_runs_on_to_the_next_wait_state(api):
    task = approval_of(api.start_leave("alice"))
    done = api.post(f"/api/v1/tasks/{task}/complete", "bob", json={"data": {"decision": "approve"}})
    assert done.status_code == 200
    body = done.json()
    assert body["task"]["status"] == "completed" and body["task"]["completed_by"] == "bob"
    assert [t["element_id"] for t in body["instance"]["open_tasks"]] == ["hr_record"]
    assert body["instance"]["data"]["decision"] == "approve"


def test_form_errors_name_each_field(api):
    task = approval_of(api.start_leave("alice"))
    problem = assert_problem(api.post(f"/api/v1/tasks/{task}/complete", "bob",
                                      json={"data": {"decision": "maybe", "extra": 1}}), 422)
    assert {e["path"] for e in problem["errors"]} == {"/decision", "/extra"}
    problem = assert_problem(api.post(f"/api/v1/tasks/{task}/complete", "bob", json={"data": "approve"}), 422)
    assert problem["errors"][0]["path"] == "/data"
    assert api.get(f"/api/v1/tasks/{task}", "bob").json()["status"] == "open"


def test_completing_twice_is_409_and_changes_nothing(api):
    instance = api.start_leave("alice")
    task = approval_of(instance)
    api.post(f"/api/v1/tasks/{task}/complete", "bob", json={"data": {"decision": "approve"}})
    history = api.get(f"/api/v1/instances/{instance['id']}/history", "erin").json()["items"]
    assert_problem(api.post(f"/api/v1/tasks/{task}/complete", "bob", json={"data": {"decision": "reject"}}), 409)
    assert api.get(f"/api/v1/instances/{instance['id']}/history", "erin").json()["items"] == history


def test_refusals_follow_the_contracts_precedence(api):
    own = approval_of(api.start_leave("bob"))
    # separation of duties beats invalid data, in the form and in the body
    assert_problem(api.post(f"/api/v1/tasks/{own}/complete", "bob", json={"data": {"decision": "maybe"}}), 403,
                   "separation-of-duties")
    assert_problem(api.post(f"/api/v1/tasks/{own}/complete", "bob", json={"data": 1}), 403, "separation-of-duties")
    # a candidate completing a task someone else holds gets 409
    api.post(f"/api/v1/tasks/{own}/claim", "dan")
    assert_problem(api.post(f"/api/v1/tasks/{own}/complete", "root", json={"data": {}}), 403)  # admins too
    other = approval_of(api.start_leave("alice"))
    api.post(f"/api/v1/tasks/{other}/claim", "dan")
    assert_problem(api.post(f"/api/v1/tasks/{other}/complete", "bob", json={"data": {"decision": "x"}}), 409)
    # unknown or invisible before anything about the body; no token before everything
    assert_problem(api.post("/api/v1/tasks/nope/complete", "bob", json={"data": 1}), 404)
    assert_problem(api.post(f"/api/v1/tasks/{other}/complete", "carol", content=b"{not json",
                            headers={"Content-Type": "application/json"}), 400)
    assert_problem(api.post("/api/v1/tasks/nope/complete", content=b"{not json"), 401)


def test_refused_task_actions_are_audited_with_the_task(api):
    own = approval_of(api.start_leave("bob"))
    api.post(f"/api/v1/tasks/{own}/claim", "bob")
    api.post(f"/api/v1/tasks/{own}/complete", "erin", json={"data": {}})
    denied = api.events("access.denied")
    assert [(e["actor"], e["task_id"], e["data"]["reason"]) for e in denied[-2:]] == [
        ("bob", own, "separation-of-duties"), ("erin", None, "forbidden")]
    assert denied[-2]["instance_id"] is not None


def test_auditors_and_integration_accounts_have_no_inbox(api):
    for user in ("erin", "ian"):
        assert_problem(api.get("/api/v1/tasks", user), 403)


def test_task_detail_leaves_out_internal_variables_and_gives_all_data_to_auditors_and_admins_alone(api):
    task = approval_of(api.start_leave("alice", reason="family"))
    with api.engine.transaction() as session:  # what a model's helpers and SpiffWorkflow leave in the data
        from flowdesk.engine import values
        from flowdesk.engine.persistence.models import Instance, Task
        row = session.get(Instance, session.get(Task, task).instance_id)
        row.data = values.encode({**values.decode(row.data), "spiff__loop": [1], "_helper": 2, "comment": "ok?",
                                  "decision": "approve"})
    detail = api.call("GET", f"/tasks/{task}", "bob")
    assert detail["data"] == {"comment": "ok?", "decision": "approve"}  # the form's fields, nothing internal
    for user in ("erin", "root"):
        full = api.call("GET", f"/tasks/{task}", user, params={"view": "all"})["data"]
        assert full["spiff__loop"] == [1] and full["_helper"] == 2 and full["approval_level"] == "manager"
    assert_problem(api.get(f"/api/v1/tasks/{task}", "bob", params={"view": "all"}), 403)
    assert_problem(api.get(f"/api/v1/tasks/{task}", "bob", params={"view": "raw"}), 422)
