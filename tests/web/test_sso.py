"""Signing in with an OpenID Connect provider: against a stand-in provider served on
127.0.0.1 (tests/support/oidc_provider.py), over real HTTP, with real signed ID tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from flowdesk.api.app import create_app
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import OidcSettings
from flowdesk.engine.identity import SYSTEM
from flowdesk.web.session import SESSION_COOKIE
from joserfc.jwk import RSAKey

from tests.support.database import copy_database
from tests.support.engines import open_engine
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

MAPPING = (("Finance", "finance_controllers"), ("Finance", "employees"), ("IT-Admins", "admin"))


@pytest.fixture
def provider() -> Iterator[Provider]:
    clock = FakeClock()
    with running_provider(lambda: clock.now().timestamp()) as made:
        made.clock = clock
        yield made


@pytest.fixture
def flowdesk(template_db: Path, tmp_path: Path, provider: Provider) -> Iterator[TestClient]:
    oidc = OidcSettings(issuer=provider.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                        group_mapping=MAPPING)
    engine = open_engine(copy_database(template_db, tmp_path / "flowdesk.db"), provider.clock, oidc=oidc)
    with TestClient(create_app(engine)) as client:
        yield client
    engine.close()


def sign_in(client: TestClient, next_page: str = "/") -> httpx.Response:
    """What a browser does: Flowdesk -> provider -> Flowdesk's callback."""
    start = client.get("/login/sso", params={"next": next_page}, follow_redirects=False)
    assert start.status_code == 303, start.text
    assert start.headers["location"].startswith(client.app.state.engine.settings.oidc.issuer + "/authorize?")
    at_provider = httpx.get(start.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    return client.get(at_provider.headers["location"], follow_redirects=False)


def signed_in_as(client: TestClient) -> str | None:
    token = client.cookies.get(SESSION_COOKIE)
    return client.app.state.engine.identity.verify_token(token) if token else None


def test_a_first_sign_in_makes_the_account_with_the_mapped_groups(flowdesk, provider):
    provider.user = {"sub": "u-1", "preferred_username": "olga", "email": "olga@example.com", "name": "Olga K",
                     "groups": ["Finance", "Unmapped"]}

    answer = sign_in(flowdesk, "/tasks")

    assert answer.status_code == 303 and answer.headers["location"] == "/tasks"
    assert signed_in_as(flowdesk) == "olga"
    engine = flowdesk.app.state.engine
    user = engine.identity.get_user("olga", by=SYSTEM)
    assert user["groups"] == ["employees", "finance_controllers"] and user["email"] == "olga@example.com"
    assert flowdesk.get("/").status_code == 200
    with pytest.raises(Exception, match="wrong username or password"):
        engine.identity.login("olga", "!sso")  # an account made by sign-on has no password


def test_the_provider_owns_group_membership_at_every_sign_in(flowdesk, provider):
    provider.user = {"sub": "u-1", "preferred_username": "olga", "groups": ["Finance"]}
    sign_in(flowdesk)
    provider.user = {**provider.user, "groups": ["IT-Admins"]}
    flowdesk.cookies.clear()

    assert sign_in(flowdesk).status_code == 303
    assert flowdesk.app.state.engine.identity.get_user("olga", by=SYSTEM)["groups"] == ["admin"]


def test_a_deactivated_account_cannot_sign_in_through_the_provider(flowdesk, provider):
    engine = flowdesk.app.state.engine
    engine.accounts.deactivate("bob", by=SYSTEM)
    provider.user = {"sub": "u-2", "preferred_username": "bob", "groups": ["Finance"]}

    answer = sign_in(flowdesk)

    assert answer.status_code == 401 and "deactivated" in answer.text
    assert signed_in_as(flowdesk) is None


def test_an_id_token_not_signed_by_the_providers_published_key_is_refused(flowdesk, provider):
    provider.user = {"sub": "u-1", "preferred_username": "olga", "groups": ["Finance"]}
    provider.rogue_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})

    answer = sign_in(flowdesk)

    assert answer.status_code == 401 and "ID token is not valid" in answer.text
    assert signed_in_as(flowdesk) is None


def test_an_answer_for_another_sign_in_is_refused(flowdesk, provider):
    provider.user = {"sub": "u-1", "preferred_username": "olga"}
    start = flowdesk.get("/login/sso", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    forged = back.replace("state=", "state=x")

    assert flowdesk.get(forged, follow_redirects=False).status_code == 401
    assert provider.token_requests == 0  # the code was never even exchanged
    flowdesk.cookies.clear()
    assert flowdesk.get(back, follow_redirects=False).status_code == 401  # no pending sign-in in this browser


def test_the_login_page_offers_sign_on_only_when_it_is_configured(flowdesk, template_db, tmp_path):
    assert 'href="/login/sso' in flowdesk.get("/login").text
    engine = open_engine(copy_database(template_db, tmp_path / "plain.db"))
    try:
        with TestClient(create_app(engine)) as plain:
            assert 'href="/login/sso' not in plain.get("/login").text
            assert plain.get("/login/sso", follow_redirects=False).status_code == 404
    finally:
        engine.close()
