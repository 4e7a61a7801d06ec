"""Times on pages are in the user's zone, forms take wall-clock times in it, and the web
session slides while the user works and ends after the idle time.

Babel writes English times with a narrow no-break space before AM/PM (CLDR), hence the
``\u202f`` in the expected texts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from flowdesk.api.app import create_app
from flowdesk.engine.process_engine import ProcessEngine
from flowdesk.web import forms
from flowdesk.web.i18n import Formatter

from tests.support.browser import Browser, task_ids
from tests.support.database import copy_database
from tests.support.engines import open_engine
from tests.support.paths import LEAVE

SESSION = "flowdesk_session"


def _prefer(engine: ProcessEngine, username: str, **changes: str) -> None:
    engine.people.save_preferences(changes, by=engine.identity.actor(username))


def _leave_at_two_in_the_morning_utc(engine: ProcessEngine) -> str:
    engine.clock.advance(hours=17)  # 2026-01-06 02:00 UTC = 10:00 in Shanghai
    started = engine.instances.start_instance("leave_request", {**LEAVE, "reason": "Family visit"},
                                              by=engine.identity.actor("alice"))
    return started["id"]


def _session_set(response) -> bool:
    return any(c.startswith(SESSION + "=") for c in response.headers.get_list("set-cookie"))


# -- times in the user's zone ------------------------------------------------------------------------
def test_a_shanghai_user_sees_a_task_created_at_two_utc_as_ten_oclock(browser: Browser) -> None:
    _prefer(browser.engine, "bob", time_zone="Asia/Shanghai")
    _leave_at_two_in_the_morning_utc(browser.engine)
    browser.login("bob")
    inbox = browser.get("/?process=leave_request").text
    assert "10:00\u202fAM CST" in inbox and "2:00\u202fAM" not in inbox
    (task_id,) = task_ids(inbox)
    task_page = browser.get(f"/tasks/{task_id}").text
    assert "Jan 6, 2026, 10:00:00\u202fAM CST" in task_page


def test_a_user_who_chose_no_zone_reads_the_configured_one_utc_by_default(browser: Browser) -> None:
    instance_id = _leave_at_two_in_the_morning_utc(browser.engine)
    browser.login("alice")
    page = browser.get(f"/instances/{instance_id}").text
    assert "Jan 6, 2026, 2:00:00\u202fAM UTC" in page


def test_the_history_shows_the_readers_zone_and_keeps_the_exact_moment(browser: Browser) -> None:
    _prefer(browser.engine, "alice", time_zone="America/New_York", locale="zh-CN")
    instance_id = _leave_at_two_in_the_morning_utc(browser.engine)
    browser.login("alice")
    browser.client.cookies.set("flowdesk_locale", "zh_CN")
    page = browser.get(f"/instances/{instance_id}").text
    assert "2026年1月5日 21:00:00 EST" in page  # the evening before, in New York
    assert 'datetime="2026-01-06T02:00:00' in page  # machine-readable, still UTC


def test_a_zone_without_an_abbreviation_shows_its_offset(browser: Browser) -> None:
    _prefer(browser.engine, "alice", time_zone="Asia/Kathmandu")
    instance_id = _leave_at_two_in_the_morning_utc(browser.engine)
    browser.login("alice")
    assert "7:45:00\u202fAM +05:45" in browser.get(f"/instances/{instance_id}").text


def _browser_with(template: Path, folder: Path, **settings) -> Iterator[Browser]:
    engine = open_engine(copy_database(template, folder / "flowdesk.db"), **settings)
    with TestClient(create_app(engine)) as client:
        yield Browser(client, engine, folder / "outbox")
    engine.close()


def test_flowdesk_time_zone_is_the_zone_of_users_who_chose_none(web_template_db: Path, tmp_path: Path) -> None:
    for browser in _browser_with(web_template_db, tmp_path, time_zone="Asia/Shanghai"):
        instance_id = _leave_at_two_in_the_morning_utc(browser.engine)
        browser.login("alice")
        assert "Jan 6, 2026, 10:00:00\u202fAM CST" in browser.get(f"/instances/{instance_id}").text


def test_moments_in_form_data_are_shown_in_the_readers_zone_and_plain_dates_as_written() -> None:
    fmt = Formatter("zh_CN", ZoneInfo("Asia/Shanghai"))
    assert fmt.is_instant("2026-01-06T02:00:00+00:00") and fmt.is_instant("2026-01-06T02:00:00.5Z")
    assert not fmt.is_instant("2026-01-06") and not fmt.is_instant("2026-01-06T10:00")
    assert fmt.datetime("2026-01-06T02:00:00Z", "short") == "2026/1/6 10:00 CST"


# -- the preferences page ----------------------------------------------------------------------------
def test_the_time_zone_select_offers_the_common_zones_first_then_all(browser: Browser) -> None:
    browser.login("alice")
    page = browser.get("/preferences").text
    options = re.findall(r'<option value="([A-Za-z_/+-]+)"', page.split('id="time_zone"')[1].split("</select>")[0])
    assert options[:4] == ["Asia/Shanghai", "UTC", "Europe/Berlin", "America/New_York"]
    assert "Africa/Abidjan" in options and len(options) > 300 and len(options) == len(set(options))
    assert "Asia/Shanghai (UTC+08:00)" in page


def test_saving_a_zone_shows_the_pages_in_it_and_an_unknown_zone_is_refused(browser: Browser) -> None:
    browser.login("bob")
    refused = browser.post("/preferences", {"locale": "en", "time_zone": "Mars/Olympus", "digest": "off"},
                           csrf_from="/preferences")
    assert refused.status_code == 422 and 'id="tz-error"' in refused.text
    saved = browser.post("/preferences", {"locale": "en", "time_zone": "Asia/Shanghai", "digest": "off"},
                         csrf_from="/preferences")
    assert saved.status_code == 303
    _leave_at_two_in_the_morning_utc(browser.engine)
    browser.login("bob")
    assert "10:00\u202fAM CST" in browser.get("/?process=leave_request").text


def test_a_date_time_field_takes_and_shows_the_users_wall_clock_time() -> None:
    schema = {"type": "object", "properties": {"meet_at": {"type": "string", "format": "date-time"}}}
    shanghai = ZoneInfo("Asia/Shanghai")
    posted = forms.parse(schema, None, {"f.meet_at": "2026-01-06T10:00"}, zone=shanghai)
    assert posted == {"meet_at": "2026-01-06T02:00:00Z"}  # the engine gets UTC
    assert forms.raw_from_data(schema, posted, zone=shanghai) == {"f.meet_at": "2026-01-06T10:00:00"}
    assert forms.raw_from_data(schema, {"meet_at": "2026-01-06T03:00:00+01:00"}, zone=shanghai) == {
        "f.meet_at": "2026-01-06T10:00:00"}


# -- the session -------------------------------------------------------------------------------------
def test_working_renews_the_session_and_idling_ends_it(browser: Browser) -> None:
    clock = browser.engine.clock
    browser.login("bob")
    clock.advance(minutes=20)
    early = browser.get("/")
    assert early.status_code == 200 and not _session_set(early)  # before half-life: the same cookie
    clock.advance(minutes=15)
    renewed = browser.get("/")
    assert renewed.status_code == 200 and _session_set(renewed)
    clock.advance(minutes=50)  # 85 minutes after logging in, 50 after the last request
    assert browser.get("/", follow_redirects=False).status_code == 200
    clock.advance(minutes=61)
    expired = browser.get("/", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"].startswith("/login")


def test_a_form_shown_before_a_renewal_is_accepted_after_it(browser: Browser) -> None:
    browser.login("alice")
    form = browser.get("/preferences").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    browser.engine.clock.advance(minutes=40)
    assert _session_set(browser.get("/"))
    response = browser.client.post("/preferences", data={"csrf_token": token, "locale": "en", "time_zone": "UTC",
                                                         "digest": "off"}, follow_redirects=False)
    assert response.status_code == 303


def test_logging_out_ends_the_session_with_every_token_it_had(browser: Browser) -> None:
    browser.login("bob")
    first = browser.client.cookies.get(SESSION)
    browser.engine.clock.advance(minutes=31)
    assert _session_set(browser.get("/"))
    assert browser.client.cookies.get(SESSION) != first
    assert browser.post("/logout", csrf_from="/").status_code == 303
    browser.client.cookies.clear()
    browser.client.cookies.set(SESSION, first)  # the token from before the renewal, still unexpired
    assert browser.get("/", follow_redirects=False).status_code == 303


@pytest.fixture
def short_sessions(web_template_db: Path, tmp_path: Path) -> Iterator[Browser]:
    yield from _browser_with(web_template_db, tmp_path, session_idle_minutes=5)


def test_the_idle_time_is_configurable(short_sessions: Browser) -> None:
    short_sessions.login("bob")
    short_sessions.engine.clock.advance(minutes=4)
    assert short_sessions.get("/", follow_redirects=False).status_code == 200
    short_sessions.engine.clock.advance(minutes=5, seconds=1)  # renewed at 4: ends at 9
    assert short_sessions.get("/", follow_redirects=False).status_code == 303


def test_api_tokens_keep_their_fixed_lifetime(browser: Browser) -> None:
    token = browser.client.post("/api/v1/auth/token", data={"username": "bob", "password": "flowdesk-demo"})
    assert token.status_code == 200 and token.json()["expires_in"] == 3600


def test_changing_the_password_elsewhere_ends_the_web_session(browser: Browser, other_browser: Browser) -> None:
    browser.login("bob")
    other_browser.login("alice")
    browser.engine.clock.advance(seconds=1)
    token = browser.client.post("/api/v1/auth/token", data={"username": "bob", "password": "flowdesk-demo"})
    changed = browser.client.post("/api/v1/me/password", headers={"Authorization": "Bearer " + token.json()["access_token"]},
                                  json={"current_password": "flowdesk-demo", "password": "a-brand-new-one"})
    assert changed.status_code == 204, changed.text
    ended = browser.get("/", follow_redirects=False)
    assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    assert other_browser.get("/", follow_redirects=False).status_code == 200  # alice's session is not bob's
