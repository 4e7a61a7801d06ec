""""Today" is the acting user's own date: a receipt dated the local today is accepted in
Shanghai while it is still yesterday in UTC, a date after it is refused, and the engine's
clock stays UTC. The API user's preference decides, as the web user's does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import Settings
from flowdesk.engine.errors import BadRequest

from tests.support.client import ApiClient, assert_problem, open_api
from tests.support.paths import FIXTURES


@pytest.fixture
def api(template_db: Path, tmp_path: Path, clock: FakeClock) -> Iterator[ApiClient]:
    with open_api(template_db, tmp_path, clock, definitions=FIXTURES / "time_zones") as made:
        yield made


def _delivery_task(api: ApiClient, user: str) -> str:
    started = api.call("POST", "/definitions/delivery/instances", user, expect=201,
                       json={"data": {"supplier": "Nordic Steel"}})
    (task,) = started["open_tasks"]
    return task["id"]


def _late_evening_in_utc(clock: FakeClock) -> None:
    clock.advance(hours=14, minutes=30)  # 2026-01-05 23:30 UTC = 2026-01-06 07:30 in Shanghai
    assert clock.now().isoformat() == "2026-01-05T23:30:00+00:00"


def test_the_local_today_is_accepted_in_shanghai_while_utc_is_still_on_the_day_before(api, clock):
    api.call("PUT", "/me/preferences", "alice", json={"time_zone": "Asia/Shanghai"})
    task_id = _delivery_task(api, "alice")
    _late_evening_in_utc(clock)
    done = api.call("POST", f"/tasks/{task_id}/complete", "alice", json={"data": {"received_on": "2026-01-06"}})
    instance = api.call("GET", f"/instances/{done['instance']['id']}", "alice")
    assert instance["data"]["recorded_on"] == "2026-01-06"  # the script's local_today(), in her zone too
    assert instance["started_at"].startswith("2026-01-05T09:00")  # the engine's own times stay UTC


def test_a_date_after_the_local_today_is_refused_as_in_the_future(api, clock):
    api.call("PUT", "/me/preferences", "alice", json={"time_zone": "Asia/Shanghai"})
    task_id = _delivery_task(api, "alice")
    _late_evening_in_utc(clock)
    response = api.post(f"/api/v1/tasks/{task_id}/complete", "alice", json={"data": {"received_on": "2026-01-07"}})
    problem = assert_problem(response, 422)
    assert [(e["path"], e["message"]) for e in problem["errors"]] == [("/received_on", "may not be in the future")]


def test_a_user_in_utc_may_not_date_a_receipt_on_shanghais_today(api, clock):
    task_id = _delivery_task(api, "bob")  # bob chose no zone: the configured one, UTC
    _late_evening_in_utc(clock)
    response = api.post(f"/api/v1/tasks/{task_id}/complete", "bob", json={"data": {"received_on": "2026-01-06"}})
    assert_problem(response, 422)
    api.call("POST", f"/tasks/{task_id}/complete", "bob", json={"data": {"received_on": "2026-01-05"}})


def test_the_configured_zone_is_the_default_of_users_who_chose_none(template_db, tmp_path, clock):
    with open_api(template_db, tmp_path, clock, definitions=FIXTURES / "time_zones",
                  time_zone="Asia/Shanghai") as api:
        assert api.call("GET", "/me/preferences", "bob")["time_zone"] == "Asia/Shanghai"
        task_id = _delivery_task(api, "bob")
        _late_evening_in_utc(clock)
        api.call("POST", f"/tasks/{task_id}/complete", "bob", json={"data": {"received_on": "2026-01-06"}})


def test_an_unknown_time_zone_is_refused_at_its_field(api):
    for zone in ("Mars/Olympus", "../etc/passwd", "", "Asia/Shanghai "):
        problem = assert_problem(api.put("/api/v1/me/preferences", "alice", json={"time_zone": zone}), 422)
        assert [e["path"] for e in problem["errors"]] == ["/time_zone"]
    assert api.call("GET", "/me/preferences", "alice")["time_zone"] == "UTC"


def test_the_zone_and_the_idle_time_come_from_the_environment_and_are_checked():
    assert (Settings.from_env({}).time_zone, Settings.from_env({}).session_idle_minutes) == ("UTC", 60)
    configured = Settings.from_env({"FLOWDESK_TIME_ZONE": "Asia/Shanghai", "FLOWDESK_SESSION_IDLE_MINUTES": "15"})
    assert (configured.time_zone, configured.session_idle_minutes) == ("Asia/Shanghai", 15)
    for env in ({"FLOWDESK_TIME_ZONE": "Asia/Atlantis"}, {"FLOWDESK_SESSION_IDLE_MINUTES": "0"},
                {"FLOWDESK_SESSION_IDLE_MINUTES": "soon"}):
        with pytest.raises(BadRequest):
            Settings.from_env(env)


def test_the_api_words_field_messages_in_the_accepted_language(api, clock):
    task_id = _delivery_task(api, "bob")
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    ruled = assert_problem(api.post(f"/api/v1/tasks/{task_id}/complete", "bob", headers=chinese,
                                    json={"data": {"received_on": "2026-01-07"}}), 422)
    assert [(e["path"], e["message"]) for e in ruled["errors"]] == [("/received_on", "不能是将来的日期")]
    schema = assert_problem(api.post(f"/api/v1/tasks/{task_id}/complete", "bob", headers=chinese,
                                     json={"data": {}}), 422)
    assert [(e["path"], e["message"]) for e in schema["errors"]] == [("/received_on", "必填")]
    english = assert_problem(api.post(f"/api/v1/tasks/{task_id}/complete", "bob",
                                      headers={"Accept-Language": "en-GB,zh;q=0.5"}, json={"data": {}}), 422)
    assert english["errors"][0]["message"] == "is required"
    plain = assert_problem(api.post(f"/api/v1/tasks/{task_id}/complete", "bob", json={"data": {}}), 422)
    assert plain["errors"][0]["message"] == "is required"
