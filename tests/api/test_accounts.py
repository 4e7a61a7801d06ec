"""Account administration: deactivation, passwords and API keys, through the HTTP API."""

from __future__ import annotations

from tests.support.client import assert_problem
from tests.support.database import PASSWORD


def login(api, username: str, password: str = PASSWORD):
    return api.client.post("/api/v1/auth/token", data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def approval_of(api, instance: dict) -> str:
    return instance["open_tasks"][0]["id"]


def test_a_deactivated_user_cannot_log_in_and_their_old_token_gets_401(api):
    old_token = login(api, "bob").json()["access_token"]
    assert api.client.get("/api/v1/me", headers=bearer(old_token)).status_code == 200

    answer = api.request("PATCH", "/api/v1/users/bob", "root", json={"active": False})
    assert answer.status_code == 200, answer.text
    assert answer.json()["active"] is False

    assert_problem(login(api, "bob"), 401)
    assert_problem(api.client.get("/api/v1/me", headers=bearer(old_token)), 401)
    assert api.events("user.deactivated")[-1]["data"]["username"] == "bob"

    assert api.request("PATCH", "/api/v1/users/bob", "root", json={"active": True}).json()["active"] is True
    assert login(api, "bob").status_code == 200
    assert api.events("user.reactivated")[-1]["data"] == {"username": "bob"}


def test_deactivating_hands_open_tasks_back_to_their_groups(api):
    task = approval_of(api, api.start_leave("alice"))
    assert api.post(f"/api/v1/tasks/{task}/claim", "bob").json()["assignee"] == "bob"

    answer = api.request("PATCH", "/api/v1/users/bob", "root", json={"active": False}).json()

    assert [t["id"] for t in answer["tasks_moved"]] == [task]
    detail = api.get(f"/api/v1/tasks/{task}", "dan").json()
    assert detail["assignee"] is None and "department_managers" in detail["candidate_groups"]
    assert api.post(f"/api/v1/tasks/{task}/claim", "dan").json()["assignee"] == "dan"
    unclaimed = [e for e in api.events("task.unclaimed") if e["task_id"] == task][-1]
    assert unclaimed["actor"] == "root" and unclaimed["data"]["reason"] == "user deactivated"


def test_deactivating_can_hand_open_tasks_to_a_named_user(api):
    task = approval_of(api, api.start_leave("alice"))
    api.post(f"/api/v1/tasks/{task}/claim", "bob")

    answer = api.request("PATCH", "/api/v1/users/bob", "root", json={"active": False, "reassign_to": "dan"})

    assert answer.status_code == 200 and answer.json()["tasks_moved"][0]["assignee"] == "dan"
    assert api.get(f"/api/v1/tasks/{task}", "dan").json()["assignee"] == "dan"
    problem = assert_problem(api.request("PATCH", "/api/v1/users/carol", "root",
                                         json={"active": False, "reassign_to": "ghost"}), 422)
    assert problem["errors"][0]["path"] == "/reassign_to"
    assert login(api, "carol").status_code == 200  # the refused deactivation changed nothing


def test_user_changes_are_for_admins_in_the_contracts_precedence(api):
    assert_problem(api.request("PATCH", "/api/v1/users/bob", "dan", json={"active": False}), 403)
    assert_problem(api.request("PATCH", "/api/v1/users/bob", "dan", json={"active": "no"}), 403)
    assert_problem(api.request("PATCH", "/api/v1/users/ghost", "root", json={"active": False}), 404)
    assert_problem(api.request("PATCH", "/api/v1/users/root", "root", json={"active": False}), 409)
    problem = assert_problem(api.request("PATCH", "/api/v1/users/bob", "root", json={"active": "no"}), 422)
    assert problem["errors"][0]["path"] == "/active"
    assert login(api, "bob").status_code == 200


def test_admins_set_passwords_and_users_change_their_own_with_the_current_one(api):
    assert api.post("/api/v1/users/bob/password", "root", json={"password": "a-new-secret"}).status_code == 204
    assert_problem(login(api, "bob"), 401)
    assert login(api, "bob", "a-new-secret").status_code == 200
    assert_problem(api.post("/api/v1/users/bob/password", "dan", json={"password": "a-new-secret"}), 403)
    assert_problem(api.post("/api/v1/users/bob/password", "root", json={"password": "short"}), 422)

    wrong = assert_problem(api.post("/api/v1/me/password", "bob",
                                    json={"current_password": "not-it-at-all", "password": "another-one"}), 422)
    assert wrong["errors"][0]["path"] == "/current_password"
    changed = api.post("/api/v1/me/password", "bob", json={"current_password": "a-new-secret",
                                                             "password": "another-one"})
    assert changed.status_code == 204
    assert login(api, "bob", "another-one").status_code == 200
    assert [e["type"] for e in api.events() if e["type"].startswith("user.password")] == [
        "user.password_set", "user.password_changed"]


def test_an_api_key_works_until_it_is_revoked(api):
    created = api.post("/api/v1/users/ian/api-keys", "root", json={"name": "ERP connector"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith("fdk_") and created.json()["name"] == "ERP connector"

    me = api.client.get("/api/v1/me", headers=bearer(key))
    assert me.status_code == 200 and me.json()["username"] == "ian"

    listed = api.get("/api/v1/users/ian/api-keys", "root").json()["items"]
    assert [k["id"] for k in listed] == [created.json()["id"]]
    assert "key" not in listed[0]
    with api.engine.transaction() as session:  # stored hashed, never as sent
        from flowdesk.engine.persistence.models import ApiKey
        assert session.get(ApiKey, listed[0]["id"]).key_hash != key

    revoked = api.request("DELETE", f"/api/v1/users/ian/api-keys/{listed[0]['id']}", "root")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert_problem(api.client.get("/api/v1/me", headers=bearer(key)), 401)
    assert [e["type"] for e in api.events() if e["type"].startswith("api_key.")] == [
        "api_key.created", "api_key.revoked"]


def test_an_api_key_stops_working_when_its_account_is_deactivated(api):
    key = api.post("/api/v1/users/ian/api-keys", "root", json={"name": "CRM"}).json()["key"]
    api.request("PATCH", "/api/v1/users/ian", "root", json={"active": False})
    assert_problem(api.client.get("/api/v1/me", headers=bearer(key)), 401)


def test_api_keys_are_for_integration_accounts_and_admins_make_them(api):
    assert_problem(api.post("/api/v1/users/bob/api-keys", "root", json={"name": "x"}), 409)
    assert_problem(api.post("/api/v1/users/ian/api-keys", "ian", json={"name": "x"}), 403)
    assert_problem(api.post("/api/v1/users/ghost/api-keys", "root", json={"name": "x"}), 404)
    assert_problem(api.post("/api/v1/users/ian/api-keys", "root", json={"name": ""}), 422)
    assert_problem(api.request("DELETE", "/api/v1/users/ian/api-keys/nope", "root"), 404)
    assert_problem(api.client.get("/api/v1/me", headers=bearer("fdk_made-up-key")), 401)


def test_changing_ones_password_ends_ones_other_sessions_and_keeps_the_current_one(api, clock):
    other = login(api, "bob").json()["access_token"]  # e.g. a laptop left logged in
    current = login(api, "bob").json()["access_token"]
    carols = login(api, "carol").json()["access_token"]
    clock.advance(seconds=1)
    changed = api.client.post("/api/v1/me/password", headers=bearer(current),
                              json={"current_password": PASSWORD, "password": "a-brand-new-one"})
    assert changed.status_code == 204, changed.text
    assert api.client.get("/api/v1/me", headers=bearer(current)).status_code == 200
    assert_problem(api.client.get("/api/v1/me", headers=bearer(other)), 401)
    assert api.client.get("/api/v1/me", headers=bearer(carols)).status_code == 200  # only bob's sessions end
    fresh = login(api, "bob", "a-brand-new-one").json()["access_token"]
    assert api.client.get("/api/v1/me", headers=bearer(fresh)).status_code == 200


def test_an_admin_setting_a_password_ends_every_session_of_that_user(api, clock):
    old = login(api, "bob").json()["access_token"]
    clock.advance(seconds=1)
    assert api.post("/api/v1/users/bob/password", "root", json={"password": "a-new-secret"}).status_code == 204
    assert_problem(api.client.get("/api/v1/me", headers=bearer(old)), 401)
    fresh = login(api, "bob", "a-new-secret").json()["access_token"]
    assert api.client.get("/api/v1/me", headers=bearer(fresh)).status_code == 200
