"""Users and groups, managed by admins."""

from __future__ import annotations

import pytest

from tests.support.client import assert_problem
from tests.support.database import USERS


def test_an_admin_creates_a_user_who_can_then_log_in(api):
    created = api.post("/api/v1/users", "root",
                       json={"username": "frank", "password": "long-enough", "groups": ["purchasing", "admin"]})
    assert created.status_code == 201 and created.headers["location"] == "/api/v1/users/frank"
    assert created.json()["groups"] == ["admin", "purchasing"]
    token = api.client.post("/api/v1/auth/token", data={"username": "frank", "password": "long-enough"})
    assert token.status_code == 200
    assert api.events("user.created")[-1]["data"] == {"username": "frank", "groups": ["admin", "purchasing"]}


def test_an_existing_username_is_a_conflict(api):
    assert_problem(api.post("/api/v1/users", "root", json={"username": "alice", "password": "long-enough"}), 409)


@pytest.mark.parametrize("body,path", [
    ({"username": "fr ank", "password": "long-enough"}, "/username"),
    ({"username": "frank", "password": "short"}, "/password"),
    ({"username": "frank", "password": "long-enough", "groups": "admin"}, "/groups"),
    ({"username": "frank", "password": "long-enough", "role": "admin"}, "/role"),
    ({"password": "long-enough"}, "/username"),
])
def test_an_invalid_user_is_422_naming_the_field(api, body, path):
    problem = assert_problem(api.post("/api/v1/users", "root", json=body), 422)
    assert path in [e["path"] for e in problem["errors"]]


@pytest.mark.parametrize("name", ["system", "anonymous"])
def test_reserved_names_cannot_be_taken(api, name):
    assert_problem(api.post("/api/v1/users", "root", json={"username": name, "password": "long-enough"}), 400)


def test_only_admins_manage_users(api):
    assert_problem(api.post("/api/v1/users", "dave", json={"username": "x", "password": "long-enough"}), 403)
    assert_problem(api.post("/api/v1/users", "dave", json={"username": "bad name"}), 403)  # 403 before 422
    assert api.get("/api/v1/users", "erin").status_code == 200  # auditors read the directory
    assert_problem(api.put("/api/v1/users/alice/groups", "erin", json={"groups": ["auditor"]}), 403)
    assert_problem(api.get("/api/v1/users", "bob"), 403)
    assert_problem(api.put("/api/v1/users/alice/groups", "bob", json={"groups": ["admin"]}), 403)
    assert api.get("/api/v1/me", "bob").json()["groups"] == ["department_managers", "employees"]


def test_users_are_listed_page_by_page(api):
    first = api.get("/api/v1/users", "root", params={"limit": 3}).json()
    assert [u["username"] for u in first["items"]] == sorted(USERS)[:3]
    assert first["items"][0].keys() >= {"username", "groups", "roles", "active", "created_at"}
    names = [u["username"] for u in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get("/api/v1/users", "root", params={"limit": 3, "cursor": cursor}).json()
        names += [u["username"] for u in page["items"]]
        cursor = page["next_cursor"]
    assert names == sorted(USERS)


def test_users_are_found_by_any_part_of_their_name_e_mail_or_group(api):
    api.request("PATCH", "/api/v1/users/carol", "root", json={"email": "Carol.Li@example.com", "display_name": "Carol Li"})

    def found(search: str) -> list[str]:
        return [u["username"] for u in api.get("/api/v1/users", "root", params={"search": search}).json()["items"]]

    assert found("MANAGERS") == ["bob", "dan"]
    assert found("example.COM") == ["carol"] and found("li") == ["alice", "carol"]
    assert found("%") == [] and found("e_p") == []  # plain characters, not LIKE wildcards ("emp")
    assert found("t_m") == ["bob", "dan"]  # department_managers
    assert found("") == sorted(USERS)
    assert_problem(api.get("/api/v1/users", "bob", params={"search": "a"}), 403)


def test_an_admin_replaces_a_users_groups(api):
    response = api.put("/api/v1/users/alice/groups", "root", json={"groups": ["finance", "employees"]})
    assert response.status_code == 200 and response.json()["groups"] == ["employees", "finance"]
    change = api.events("user.groups_changed")[-1]
    assert change["actor"] == "root" and change["data"]["from"] == ["employees"]
    assert_problem(api.put("/api/v1/users/nobody/groups", "root", json={"groups": []}), 404)
    assert_problem(api.put("/api/v1/users/nobody/groups", "root", json={"groups": "x"}), 404)  # 404 before 422
    assert_problem(api.put("/api/v1/users/alice/groups", "root", json={"groups": "x"}), 422)


def test_a_user_is_read_by_an_admin_or_by_themselves(api):
    location = api.post("/api/v1/users", "root", json={"username": "frank", "password": "long-enough"}).headers[
        "location"]
    assert api.get(location, "root").json()["username"] == "frank"
    assert api.get("/api/v1/users/alice", "alice").json()["groups"] == ["employees"]
    assert_problem(api.get("/api/v1/users/alice", "bob"), 403)
    assert_problem(api.get("/api/v1/users/nobody", "root"), 404)
