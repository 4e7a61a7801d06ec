"""The web app's boundaries: CSRF tokens bound to the session, Secure cookies on demand,
and /docs and /redoc served from Flowdesk's own assets under a Content-Security-Policy."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from flowdesk.api.app import create_app

from tests.support.browser import Browser
from tests.support.database import PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser(engine, tmp_path) -> Browser:
    return Browser(TestClient(create_app(engine)), engine, tmp_path / "outbox")


def test_a_csrf_token_from_another_session_is_refused(api, tmp_path):
    alice, bob = browser(api.engine, tmp_path), browser(api.engine, tmp_path)
    alice.login("alice", PASSWORD)
    bob.login("bob", PASSWORD)
    bobs_token = CSRF.search(bob.client.get("/").text).group(1)
    # the attacker also plants their own nonce cookie: the token still names bob's session
    alice.client.cookies.set("flowdesk_csrf", bob.client.cookies.get("flowdesk_csrf"))
    refused = alice.client.post("/logout", data={"csrf_token": bobs_token}, follow_redirects=False)
    assert refused.status_code == 403
    own = CSRF.search(alice.client.get("/").text).group(1)
    assert alice.client.post("/logout", data={"csrf_token": own}, follow_redirects=False).status_code == 303


def test_a_token_from_before_logging_in_is_worth_nothing_after(api, tmp_path):
    alice = browser(api.engine, tmp_path)
    before = CSRF.search(alice.client.get("/login").text).group(1)
    alice.login("alice", PASSWORD)
    assert alice.client.post("/logout", data={"csrf_token": before}, follow_redirects=False).status_code == 403


@pytest.mark.parametrize(("forced", "secure"), [(True, True), (None, False)])
def test_secure_cookies_can_be_forced_behind_a_tls_proxy(api, tmp_path, forced, secure):
    api.engine.settings = replace(api.engine.settings, secure_cookies=forced)
    alice = browser(api.engine, tmp_path)  # plain HTTP, as behind a proxy that ends TLS
    cookies = alice.client.get("/login").headers.get_list("set-cookie")
    assert cookies and all(("; secure" in c.lower()) is secure for c in cookies)


@pytest.mark.parametrize(("page", "asset"), [("/docs", "/api-docs-assets/swagger/swagger-ui-bundle.js"),
                                             ("/redoc", "/api-docs-assets/redoc/redoc.standalone.js")])
def test_the_api_docs_load_nothing_from_elsewhere_and_carry_a_csp(api, page, asset):
    response = api.client.get(page)
    assert response.status_code == 200
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", response.text), "no CDN, no other origin"
    assert asset in response.text and api.client.get(asset).status_code == 200
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in policy


def test_the_vendored_assets_carry_their_licences():
    from pathlib import Path

    import flowdesk.api

    assets = Path(next(iter(flowdesk.api.__path__))) / "docs_assets"
    for folder in ("swagger", "redoc"):
        assert (assets / folder / "LICENSE.txt").read_text().strip()
