"""The users and groups pages: admins find users, change their groups, deactivate and
reactivate them, set passwords and manage API keys; everybody else is refused exactly as
the API refuses them (``authorization.require_admin``)."""

from __future__ import annotations

import re

from flowdesk.api.demo import DEMO_PASSWORD
from flowdesk.engine.identity import SYSTEM

from tests.support.browser import Browser

LEAVE = {"leave_type": "vacation", "start_date": "2026-12-01", "end_date": "2026-12-08", "days": 6}


def test_an_admin_finds_a_user_and_changes_their_groups(browser: Browser) -> None:
    browser.login("admin")
    listing = browser.get("/users").text
    assert 'href="/users"' in listing  # the admin navigation links to the page
    assert 'href="/users/bob"' in listing and "Department managers, Employees" in listing
    found = browser.get("/users?q=MANAGERS").text  # any case, any part of a group, name or e-mail
    assert 'href="/users/bob"' in found and 'href="/users/alice"' not in found
    assert "No user matches." in browser.get("/users?q=nobody-here").text

    page = "/users/bob"
    forged = browser.client.post(page + "/groups", data={"groups": "admin"}, follow_redirects=False)
    assert forged.status_code == 403  # no CSRF token: refused like every other form
    answer = browser.post(page + "/groups", {"groups": "employees, purchasing", "role.auditor": "on"},
                          csrf_from=page)
    assert answer.status_code == 303 and answer.headers["location"] == "/users/bob?notice=groups"
    assert "The groups were saved." in browser.get(answer.headers["location"]).text
    bob = browser.engine.identity.get_user("bob", by=SYSTEM)
    assert bob["groups"] == ["auditor", "employees", "purchasing"]

    refused = browser.post(page + "/groups", {"groups": "employees, not a/group"}, csrf_from=page)
    assert refused.status_code == 422 and 'value="employees, not a/group"' in refused.text
    assert browser.engine.identity.get_user("bob", by=SYSTEM)["groups"] == ["auditor", "employees", "purchasing"]

    browser.get("/locale?to=zh-CN&next=/")
    assert "保存组" in browser.get(page).text and "用户" in browser.get("/users").text


def test_a_deactivated_user_cannot_log_in_and_their_tasks_go_where_the_admin_chose(browser: Browser) -> None:
    engine = browser.engine
    bob = engine.identity.actor("bob")
    instance = engine.instances.start_instance("leave_request", LEAVE, by=engine.identity.actor("alice"))
    task_id = instance["open_tasks"][0]["id"]
    engine.tasks.claim_task(task_id, by=bob)

    browser.login("admin")
    page = "/users/bob"
    unknown = browser.post(page + "/deactivate", {"tasks": "user", "reassign_to": "nobody"}, csrf_from=page)
    assert unknown.status_code == 422 and "is not an active user" in unknown.text
    done = browser.post(page + "/deactivate", {"tasks": "user", "reassign_to": "sven"}, csrf_from=page)
    assert done.status_code == 303
    shown = browser.get(done.headers["location"]).text
    assert "The user was deactivated." in shown and "Reactivate bob" in shown
    assert engine.tasks.get_task(task_id, by=SYSTEM)["assignee"] == "sven"

    refused = browser.post("/login", {"username": "bob", "password": DEMO_PASSWORD, "next": "/"})
    assert refused.status_code == 401

    browser.login("admin")
    browser.post(page + "/reactivate", csrf_from=page)
    browser.login("bob")
    assert "<strong>bob</strong>" in browser.get("/").text


def test_an_admin_sets_a_password_typed_twice(browser: Browser) -> None:
    browser.login("admin")
    page = "/users/alice"
    differ = browser.post(page + "/password", {"password": "a-new-password", "password_again": "another"},
                          csrf_from=page)
    assert differ.status_code == 422 and "The two passwords differ." in differ.text
    short = browser.post(page + "/password", {"password": "short", "password_again": "short"}, csrf_from=page)
    assert short.status_code == 422
    done = browser.post(page + "/password", {"password": "a-new-password", "password_again": "a-new-password"},
                        csrf_from=page)
    assert done.status_code == 303
    browser.login("alice", "a-new-password")


def test_an_auditor_reads_users_and_groups_but_changes_nothing_as_by_the_api(browser: Browser) -> None:
    browser.login("erin")
    assert 'href="/users"' in browser.get("/audit").text
    assert "bob" in browser.get("/users").text
    page = browser.get("/users/bob")
    assert page.status_code == 200 and "Department managers" in page.text
    assert "/users/bob/groups" not in page.text and "/users/bob/deactivate" not in page.text
    refused = browser.post("/users/bob/groups", {"groups": "auditor"}, csrf_from="/audit")
    assert refused.status_code == 403
    assert browser.post("/users/bob/deactivate", {"tasks": "groups"}, csrf_from="/audit").status_code == 403
    assert browser.engine.identity.get_user("bob", by=SYSTEM)["groups"] == ["department_managers", "employees"]
    assert browser.engine.identity.get_user("bob", by=SYSTEM)["active"]


def test_an_employee_reads_only_their_own_account_and_changes_nothing(browser: Browser) -> None:
    browser.login("alice")
    assert 'href="/users"' not in browser.get("/").text
    for path in ("/users", "/users/bob"):
        assert browser.get(path).status_code == 403, path
    own = browser.get("/users/alice")  # as GET /api/v1/users/alice: everybody reads themselves
    assert own.status_code == 200 and "/users/alice/groups" not in own.text
    for action, data in (("groups", {"groups": "admin"}), ("password", {"password": "x" * 12, "password_again": "x" * 12}),
                         ("deactivate", {"tasks": "groups"}), ("api-keys", {"name": "mine"})):
        assert browser.post(f"/users/alice/{action}", data, csrf_from="/").status_code == 403, action
    assert browser.engine.identity.get_user("alice", by=SYSTEM)["groups"] == ["employees"]


def test_an_api_key_is_shown_once_then_only_its_start(browser: Browser) -> None:
    browser.login("admin")
    page = "/users/ian"
    created = browser.post(page + "/api-keys", {"name": "ERP connector"}, csrf_from=page)
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    key = re.search(r'<code class="api-key">(fdk_[A-Za-z0-9_-]+)</code>', created.text).group(1)
    assert "shown only this once" in created.text

    later = browser.get(page).text
    assert key not in later and "ERP connector" in later and key[:12] in later
    me = browser.client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["username"] == "ian"

    key_id = re.search(r'action="/users/ian/api-keys/([0-9a-f-]{36})/revoke"', later).group(1)
    assert browser.post(f"{page}/api-keys/{key_id}/revoke", csrf_from=page).status_code == 303
    assert "The API key was revoked." in browser.get(page + "?notice=revoked").text
    assert browser.client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert "Create API key" not in browser.get("/users/alice").text  # keys are for integration accounts
