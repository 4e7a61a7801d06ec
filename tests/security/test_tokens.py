"""The signing key lives outside the database, and logging out revokes a token."""

from __future__ import annotations

import stat

from flowdesk.engine.persistence.models import Setting
from sqlalchemy import select

from tests.support.client import assert_problem, make_api
from tests.support.database import PASSWORD


def login(api, username="alice"):
    response = api.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_the_generated_key_is_in_a_private_file_not_in_the_database(api, tmp_path, caplog):
    caplog.set_level("WARNING")
    login(api)
    key_file = tmp_path / "flowdesk.db.key"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "generated a token signing key" in caplog.text
    with api.engine.transaction() as session:
        assert session.scalars(select(Setting.key)).all().count("token_signing_key") == 0


def test_a_key_the_database_held_moves_into_the_file_and_its_tokens_stay_valid(tmp_path, template_db, clock):
    from tests.support.database import copy_database

    db = copy_database(template_db, tmp_path / "old.db")
    old_key = "an-old-key-kept-in-the-database-" + "k" * 16
    first = make_api(db, clock)
    with first.engine.transaction() as session:
        session.merge(Setting(key="token_signing_key", value=old_key))
    first.engine.close()
    upgraded = make_api(db, clock)
    headers = login(upgraded)
    assert (tmp_path / "old.db.key").read_text().strip() == old_key
    assert upgraded.client.get("/api/v1/me", headers=headers).status_code == 200
    with upgraded.engine.transaction() as session:
        assert session.get(Setting, "token_signing_key") is None
    upgraded.engine.close()


def test_a_configured_key_file_is_used(tmp_path, template_db, clock):
    from tests.support.database import copy_database

    key_file = tmp_path / "secrets" / "signing.key"
    key_file.parent.mkdir()
    key_file.write_text("k" * 48)
    configured = make_api(copy_database(template_db, tmp_path / "c.db"), clock, secret_key_file=key_file)
    assert configured.engine.identity.token_secret() == "k" * 48
    configured.engine.close()


def test_logout_revokes_the_token_at_once(api):
    headers = login(api)
    other = login(api)
    assert api.client.get("/api/v1/me", headers=headers).status_code == 200
    assert api.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert "revoked" in assert_problem(api.client.get("/api/v1/me", headers=headers), 401)["detail"]
    assert_problem(api.client.post("/api/v1/auth/logout", headers=headers), 401)
    assert api.client.get("/api/v1/me", headers=other).status_code == 200  # only that token
    assert api.events("user.logged_out")[-1]["actor"] == "alice"


def test_a_logout_through_another_server_applies_within_the_cache_time(api, tmp_path):
    headers = login(api)
    assert api.client.get("/api/v1/me", headers=headers).status_code == 200  # this process read the list
    other = make_api(tmp_path / "flowdesk.db", api.clock, auth_cache_seconds=0)
    assert other.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert_problem(other.client.get("/api/v1/me", headers=headers), 401)
    other.engine.close()


def test_the_web_logout_revokes_the_session_token(api):
    headers = login(api)
    token = headers["Authorization"].split()[1]
    api.client.cookies.set("flowdesk_session", token)
    page = api.client.get("/")
    assert page.status_code == 200
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    api.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert_problem(api.client.get("/api/v1/me", headers=headers), 401)
