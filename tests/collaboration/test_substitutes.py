"""Out of office and delegation: the work goes to an eligible colleague, the owner stays,
and the audit trail says on whose behalf."""

from __future__ import annotations

from tests.support.client import assert_problem


def start_errand(api, title: str = "Buy stamps") -> dict:
    return api.call("POST", "/definitions/errand/instances", "alice", expect=201, json={"data": {"title": title}})


def test_the_substitute_receives_the_absent_users_new_tasks_and_events_say_on_whose_behalf(api):
    absence = api.call("PUT", "/me/substitute", "bob", json={"username": "dan"})
    assert absence["substitute"] == "dan" and absence["active"] is True
    instance = start_errand(api)
    (task,) = instance["open_tasks"]
    assert task["assignee"] == "dan"  # the model names bob; bob is away
    created = [e for e in api.events("task.created") if e["task_id"] == task["id"]]
    assert created[0]["data"]["assignee"] == "dan" and created[0]["data"]["on_behalf_of"] == "bob"
    detail = api.call("GET", f"/tasks/{task['id']}", "dan")
    assert detail["on_behalf_of"] == "bob"
    assert [t["id"] for t in api.call("GET", "/tasks", "dan")["items"]] == [task["id"]]
    api.call("POST", f"/tasks/{task['id']}/complete", "dan", json={"data": {}})
    completed = [e for e in api.events("task.completed") if e["task_id"] == task["id"]]
    assert completed[0]["actor"] == "dan" and completed[0]["data"]["on_behalf_of"] == "bob"


def test_back_in_the_office_new_tasks_go_to_the_user_again(api):
    api.call("PUT", "/me/substitute", "bob", json={"username": "dan"})
    assert api.request("DELETE", "/api/v1/me/substitute", "bob").status_code == 204
    assert start_errand(api)["open_tasks"][0]["assignee"] == "bob"
    assert api.call("GET", "/me/substitute", "bob") is None


def test_a_substitute_who_may_not_do_the_users_tasks_is_refused(api):
    start_errand(api)  # bob holds a department manager's task now
    problem = assert_problem(api.put("/api/v1/me/substitute", "bob", json={"username": "carol"}), 422)
    assert problem["errors"][0]["path"] == "/username"
    assert api.call("GET", "/me/substitute", "bob") is None
    for body, path in (({"username": "bob"}, "/username"), ({"username": "nobody"}, "/username"),
                       ({"username": "dan", "from": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
                        "/until")):
        assert assert_problem(api.put("/api/v1/me/substitute", "bob", json=body), 422)["errors"][0]["path"] == path


def test_a_substitute_who_is_not_eligible_for_a_new_task_does_not_get_it(api):
    api.call("PUT", "/me/substitute", "bob", json={"username": "alice"})  # alice shares bob's employees group
    (task,) = start_errand(api)["open_tasks"]
    assert task["assignee"] == "bob"  # alice is not a department manager: the task waits for bob


def test_delegation_keeps_the_owner_and_is_refused_to_ineligible_colleagues(api):
    (task,) = start_errand(api)["open_tasks"]
    problem = assert_problem(api.post(f"/api/v1/tasks/{task['id']}/delegate", "bob", json={"username": "carol"}), 422)
    assert problem["errors"][0]["path"] == "/username"
    assert_problem(api.post(f"/api/v1/tasks/{task['id']}/delegate", "dan", json={"username": "dan"}), 403)
    delegated = api.call("POST", f"/tasks/{task['id']}/delegate", "bob", json={"username": "dan"})
    assert delegated["assignee"] == "dan"
    (event,) = [e for e in api.events("task.delegated") if e["task_id"] == task["id"]]
    assert event["data"] == {"from": "bob", "to": "dan", "on_behalf_of": "bob"}
    assert api.call("GET", f"/tasks/{task['id']}", "dan")["on_behalf_of"] == "bob"
    assert_problem(api.post("/api/v1/tasks/unknown/delegate", "bob", json={"username": 5}), 404)


def test_the_api_inbox_says_on_whose_behalf_a_task_is_worked(api):
    api.call("PUT", "/me/substitute", "bob", json={"username": "dan"})
    (task,) = start_errand(api)["open_tasks"]
    (listed,) = api.call("GET", "/tasks", "dan")["items"]
    assert listed["id"] == task["id"] and listed["on_behalf_of"] == "bob"
    saved = api.call("POST", "/filters", "dan", expect=201, json={"name": "Errands", "query": {"definition_key": "errand"}})
    (filtered,) = api.call("GET", "/tasks", "dan", params={"filter": saved["id"]})["items"]
    assert filtered["on_behalf_of"] == "bob"
    api.request("DELETE", "/api/v1/me/substitute", "bob")
    (own,) = start_errand(api, "Post a letter")["open_tasks"]
    assert [t["on_behalf_of"] for t in api.call("GET", "/tasks", "bob")["items"] if t["id"] == own["id"]] == [None]
