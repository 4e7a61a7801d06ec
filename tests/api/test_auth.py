"""Logging in, bearer tokens, throttled failures, and who am I."""

from __future__ import annotations

import jwt
import pytest
from flowdesk.engine.clock import FakeClock

from tests.support.client import assert_problem, make_api
from tests.support.database import PASSWORD

TOKEN = "/api/v1/auth/token"


def login(api, username="alice", password=PASSWORD):
    return api.client.post(TOKEN, data={"username": username, "password": password})


def test_the_password_form_gives_an_expiring_bearer_token(api):
    response = login(api)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"username": "alice", "groups": ["employees"], "roles": []}


def test_me_names_roles_apart_from_business_groups(api):
    assert api.get("/api/v1/me", "root").json() == {"username": "root", "groups": ["admin"], "roles": ["admin"]}
    assert api.get("/api/v1/me", "bob").json()["roles"] == []


@pytest.mark.parametrize("username,password", [("alice", "wrong-password"), ("nobody", PASSWORD)])
def test_a_wrong_password_or_unknown_user_is_401_and_audited(api, username, password):
    response = login(api, username, password)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    denied = api.events("access.denied")
    assert denied[-1]["actor"] == "anonymous"
    assert denied[-1]["data"]["username"] == username and denied[-1]["data"]["reason"] == "invalid-credentials"


def test_the_token_form_is_validated(api):
    assert_problem(api.client.post(TOKEN, data={"username": "alice"}), 422)
    assert_problem(api.client.post(TOKEN, data={"username": "alice", "password": "x", "grant_type": "code"}), 422)


def test_repeated_failures_lock_the_username_for_a_while(api):
    for _ in range(5):
        assert login(api, password="wrong-password").status_code == 401
    locked = login(api)  # even the right password waits until the lock ends
    assert_problem(locked, 429, "too-many-attempts")
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert login(api, "bob").status_code == 200  # other users are not affected
    api.clock.advance(minutes=15, seconds=1)
    assert login(api).status_code == 200


def test_failures_are_counted_in_the_database_across_server_processes(api, tmp_path):
    other = make_api(tmp_path / "flowdesk.db", api.clock)  # a second server on the same database
    for server in (api, other, api, other, api):
        assert login(server, password="wrong-password").status_code == 401
    assert login(other).status_code == 429
    other.engine.close()


def test_a_success_clears_earlier_failures(api):
    for _ in range(4):
        login(api, password="wrong-password")
    assert login(api).status_code == 200
    for _ in range(4):
        login(api, password="wrong-password")
    assert login(api).status_code == 200


def test_every_endpoint_but_health_and_login_needs_a_token(api):
    assert api.get("/api/v1/health").status_code == 200
    body = assert_problem(api.get("/api/v1/tasks"), 401, "unauthorized")
    assert "Bearer" in body["detail"]
    assert_problem(api.get("/api/v1/tasks", headers={"Authorization": "Basic YWxpY2U6eA=="}), 401)
    assert_problem(api.get("/metrics"), 401)


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature broken
    lambda t: "not-a-jwt",
    lambda t: jwt.encode({"sub": "root", "iss": "flowdesk", "iat": 1, "exp": 2**40}, "a-guessed-secret-that-is-long-enough-0123",
                         algorithm="HS256"),
    lambda t: jwt.encode({"sub": "root", "iss": "flowdesk", "iat": 1, "exp": 2**40}, None, algorithm="none"),
])
def test_a_forged_or_broken_token_is_401_and_audited(api, mangle):
    token = login(api).json()["access_token"]
    response = api.get("/api/v1/me", headers={"Authorization": f"Bearer {mangle(token)}"})
    assert_problem(response, 401)
    assert api.events("access.denied")[-1]["data"]["path"] == "/api/v1/me"


def test_a_token_expires_after_its_lifetime(api):
    headers = {"Authorization": f"Bearer {login(api).json()['access_token']}"}
    api.clock.advance(minutes=59)
    assert api.client.get("/api/v1/me", headers=headers).status_code == 200
    api.clock.advance(minutes=1)
    assert "expired" in assert_problem(api.client.get("/api/v1/me", headers=headers), 401)["detail"]


def test_tokens_survive_a_restart_because_the_generated_key_is_kept_in_a_key_file(api, tmp_path):
    token = login(api).json()["access_token"]
    restarted = make_api(tmp_path / "flowdesk.db", FakeClock())
    assert restarted.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    restarted.engine.close()


def test_a_configured_secret_key_signs_instead(api, tmp_path):
    configured = make_api(tmp_path / "flowdesk.db", api.clock, secret_key="from-the-environment-" + "x" * 32)
    token = login(configured).json()["access_token"]
    assert jwt.decode(token, "from-the-environment-" + "x" * 32, algorithms=["HS256"],
                      options={"verify_exp": False})["sub"] == "alice"
    assert_problem(api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)
    configured.engine.close()


def test_group_changes_take_effect_without_a_new_token(api):
    headers = {"Authorization": f"Bearer {login(api).json()['access_token']}"}
    assert api.put("/api/v1/users/alice/groups", "root", json={"groups": ["employees", "hr"]}).status_code == 200
    assert api.client.get("/api/v1/me", headers=headers).json()["groups"] == ["employees", "hr"]
