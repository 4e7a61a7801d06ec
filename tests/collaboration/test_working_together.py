"""Comments, attachments, drafts, saved filters and task changes, as the contract says."""

from __future__ import annotations

from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import Settings
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.process_engine import ProcessEngine

from tests.support.client import assert_problem
from tests.support.engines import make_engine
from tests.support.models import one_task_process


def leave_task(api) -> tuple[dict, dict]:
    instance = api.start_leave("alice")
    return instance, instance["open_tasks"][0]  # the department managers' approval


def test_comments_show_to_those_who_may_read_the_instance_and_are_404_to_others(api, clock):
    instance, task = leave_task(api)
    added = api.call("POST", f"/tasks/{task['id']}/comments", "bob", expect=201, json={"text": "Cover arranged?"})
    clock.advance(seconds=1)
    assert added["author"] == "bob" and added["task_id"] == task["id"]
    api.call("POST", f"/instances/{instance['id']}/comments", "alice", expect=201, json={"text": "Yes, by Dan."})
    texts = [c["text"] for c in api.call("GET", f"/instances/{instance['id']}/comments", "erin")["items"]]
    assert texts == ["Cover arranged?", "Yes, by Dan."]
    assert [c["text"] for c in api.call("GET", f"/tasks/{task['id']}/comments", "alice")["items"]] == \
        ["Cover arranged?"]
    assert_problem(api.get(f"/api/v1/instances/{instance['id']}/comments", "carol"), 404)  # hr, not involved yet
    assert_problem(api.post(f"/api/v1/instances/{instance['id']}/comments", "carol", json={"text": "hi"}), 404)
    assert_problem(api.post(f"/api/v1/tasks/{task['id']}/comments", "bob", json={"text": ""}), 422)
    (event,) = api.events("comment.added")[:1]
    assert event["actor"] == "bob" and event["data"]["text"] == "Cover arranged?"


def test_attachments_are_listed_with_the_task_and_instance_and_readable_only_by_its_readers(api):
    instance, task = leave_task(api)
    uploaded = api.call("POST", "/files", "bob", expect=201,
                        files={"file": ("roster.pdf", b"%PDF-1.4 roster", "application/pdf")})
    assert_problem(api.post(f"/api/v1/tasks/{task['id']}/attachments", "alice",
                            json={"file_id": uploaded["id"]}), 422)  # not a file alice uploaded
    attached = api.call("POST", f"/tasks/{task['id']}/attachments", "bob", expect=201,
                        json={"file_id": uploaded["id"]})
    assert attached["name"] == "roster.pdf"
    assert [a["file_id"] for a in api.call("GET", f"/instances/{instance['id']}/attachments", "alice")["items"]] \
        == [uploaded["id"]]
    assert [a["file_id"] for a in api.call("GET", f"/tasks/{task['id']}", "bob")["attachments"]] == [uploaded["id"]]
    assert api.get(f"/api/v1/files/{uploaded['id']}", "alice").content == b"%PDF-1.4 roster"
    assert_problem(api.get(f"/api/v1/files/{uploaded['id']}", "carol"), 404)
    assert_problem(api.get(f"/api/v1/instances/{instance['id']}/attachments", "carol"), 404)
    assert api.events("attachment.added")[0]["data"]["file_id"] == uploaded["id"]


def test_a_draft_is_visible_to_its_author_alone(api):
    _, task = leave_task(api)
    api.call("PUT", f"/tasks/{task['id']}/draft", "bob", json={"data": {"decision": "appr", "comment": 0.10}})
    assert api.call("GET", f"/tasks/{task['id']}", "bob")["draft"]["data"] == {"decision": "appr", "comment": 0.10}
    assert api.call("GET", f"/tasks/{task['id']}", "dan")["draft"] is None  # a fellow candidate sees no draft
    assert_problem(api.put(f"/api/v1/tasks/{task['id']}/draft", "carol", json={"data": {}}), 404)
    assert_problem(api.put(f"/api/v1/tasks/{task['id']}/draft", "bob", json={"data": "x" * 10}), 422)
    assert_problem(api.put(f"/api/v1/tasks/{task['id']}/draft", "bob",
                           json={"data": {"big": "x" * 300_000}}), 413)


def test_a_saved_filter_returns_the_same_tasks_as_its_query(api):
    for days in (2, 4, 6):
        api.start_leave("alice", days=days)
    api.start_leave("carol")
    query = {"definition_key": "leave_request", "candidate_group": "department_managers", "sort": "-created_at"}
    saved = api.call("POST", "/filters", "bob", expect=201, json={"name": "Leave to approve", "query": query,
                                                                  "shared_with_groups": ["department_managers"]})
    direct = api.call("GET", "/tasks", "bob", params=query)["items"]
    through = api.call("GET", "/tasks", "bob", params={"filter": saved["id"]})["items"]
    assert [t["id"] for t in through] == [t["id"] for t in direct] and len(direct) >= 3
    assert [f["id"] for f in api.call("GET", "/filters", "dan")["items"]] == [saved["id"]]  # shared with dan's group
    assert api.call("GET", "/filters", "alice")["items"] == []
    assert_problem(api.get("/api/v1/tasks", "alice", params={"filter": saved["id"]}), 404)
    assert_problem(api.request("DELETE", f"/api/v1/filters/{saved['id']}", "dan"), 403)
    problem = assert_problem(api.post("/api/v1/filters", "bob", json={"name": "x", "query": {"colour": "red"}}), 422)
    assert problem["errors"][0]["path"] == "/query/colour"
    assert api.request("DELETE", f"/api/v1/filters/{saved['id']}", "bob").status_code == 204


def test_more_inbox_filters(api):
    api.start_leave("alice")
    assert len(api.call("GET", "/tasks", "bob", params={"priority_min": 50})["items"]) == 1
    assert api.call("GET", "/tasks", "bob", params={"priority_min": 51})["items"] == []
    assert api.call("GET", "/tasks", "bob", params={"candidate_group": "hr"})["items"] == []
    assert api.call("GET", "/tasks", "bob", params={"overdue": "true"})["items"] == []


def test_due_date_priority_and_follow_up_are_changed_by_admins_and_audited(api):
    _, task = leave_task(api)
    assert_problem(api.request("PATCH", f"/api/v1/tasks/{task['id']}", "bob", json={"priority": 90}), 403)
    changed = api.call("PATCH", f"/tasks/{task['id']}", "root", json={
        "priority": 90, "due_at": "2027-01-05T10:00:00+08:00", "follow_up_at": "2027-01-04T09:00:00Z"})
    assert changed["priority"] == 90 and changed["due_at"].startswith("2027-01-05T02:00:00")
    assert changed["follow_up_at"].startswith("2027-01-04T09:00:00")
    (event,) = api.events("task.updated")
    assert event["actor"] == "root" and event["data"]["changes"]["priority"] == {"from": 50, "to": 90}
    assert_problem(api.request("PATCH", f"/api/v1/tasks/{task['id']}", "root", json={"priority": 101}), 422)
    assert_problem(api.request("PATCH", "/api/v1/tasks/nope", "root", json={"priority": 101}), 404)
    # the assignee sets their own follow-up date
    api.call("POST", f"/tasks/{task['id']}/claim", "bob")
    api.call("PATCH", f"/tasks/{task['id']}", "bob", json={"follow_up_at": "2027-01-03T09:00:00Z"})
    assert api.call("GET", f"/tasks/{task['id']}", "bob")["follow_up_at"].startswith("2027-01-03T09:00:00")


def test_the_processs_supervisors_change_its_tasks_and_others_may_not(api):
    (task,) = api.call("POST", "/definitions/errand/instances", "alice", expect=201,
                       json={"data": {"title": "Post a letter"}})["open_tasks"]
    changed = api.call("PATCH", f"/tasks/{task['id']}", "carol", json={"priority": 80})  # hr supervises errands
    assert changed["priority"] == 80
    assert_problem(api.request("PATCH", f"/api/v1/tasks/{task['id']}", "bob", json={"priority": 10}), 403)


def test_a_completed_tasks_drafts_are_gone_everyones_not_only_the_completers(api):
    _, task = leave_task(api)
    api.call("PUT", f"/tasks/{task['id']}/draft", "bob", json={"data": {"decision": "appr"}})
    api.call("PUT", f"/tasks/{task['id']}/draft", "dan", json={"data": {"decision": "rej"}})
    api.call("POST", f"/tasks/{task['id']}/claim", "bob")
    api.call("POST", f"/tasks/{task['id']}/complete", "bob", json={"data": {"decision": "approve"}})
    assert api.call("GET", f"/tasks/{task['id']}", "bob")["draft"] is None
    assert api.call("GET", f"/tasks/{task['id']}", "dan")["draft"] is None
    assert api.events("draft.saved") and not api.events("draft.deleted")  # gone with the task, no event of its own


def test_a_cancelled_tasks_drafts_are_gone(api):
    instance, task = leave_task(api)
    api.call("PUT", f"/tasks/{task['id']}/draft", "bob", json={"data": {"decision": "appr"}})
    api.call("POST", f"/instances/{instance['id']}/cancel", "alice", json={"reason": "plans changed"})
    detail = api.call("GET", f"/tasks/{task['id']}", "bob")
    assert detail["status"] == "cancelled" and detail["draft"] is None


def test_a_draft_saved_through_another_server_process_goes_with_its_task(tmp_path):
    """Two engines on one database (two server processes): a draft saved through one is
    deleted when the other completes the task, at once (no per-process knowledge of drafts)."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = make_engine(url, FakeClock())
    second = ProcessEngine(Settings(database_url=url, definitions=()), clock=FakeClock(), migrate=False)
    try:
        first.identity.create_user("bob", "password1", ["clerks"], by=SYSTEM)
        first.repository.deploy([one_task_process()], by=SYSTEM)
        (task,) = first.instances.start_instance("one_task", {}, by=SYSTEM)["open_tasks"]
        bob = first.identity.actor("bob")
        first.collaboration.save_draft(task["id"], {"note": "half done"}, by=bob)
        second.tasks.complete_task(task["id"], {}, by=second.identity.actor("bob"))
        assert first.collaboration.task_extras(task["id"], by=bob)["draft"] is None
    finally:
        first.close()
        second.close()
