"""Each user's preferences: e-mail address, language, time zone, notifications, digest."""

from __future__ import annotations

from tests.support.client import assert_problem


def test_a_user_without_saved_preferences_reads_the_defaults(api):
    prefs = api.call("GET", "/me/preferences", "alice")
    assert prefs == {"username": "alice", "email": None, "locale": "en", "time_zone": "UTC",
                     "notifications": {"assigned": True, "group_task": False, "due_soon": True, "overdue": True,
                                       "escalated": True},
                     "digest": "off"}


def test_saved_preferences_are_read_back_and_only_the_fields_sent_change(api):
    saved = api.call("PUT", "/me/preferences", "alice", json={
        "email": "alice@example.com", "locale": "zh-CN", "time_zone": "Asia/Shanghai",
        "notifications": {"group_task": True}, "digest": "daily"})
    assert saved["locale"] == "zh-CN" and saved["time_zone"] == "Asia/Shanghai"
    assert saved["notifications"]["group_task"] is True and saved["notifications"]["assigned"] is True
    again = api.call("PUT", "/me/preferences", "alice", json={"notifications": {"assigned": False}})
    assert again["email"] == "alice@example.com" and again["digest"] == "daily"
    assert again["notifications"] == {**saved["notifications"], "assigned": False}
    assert api.call("GET", "/me/preferences", "alice") == again
    assert api.call("GET", "/me/preferences", "bob")["email"] is None  # one user's choices are theirs alone


def test_invalid_preferences_are_refused_at_their_field_and_nothing_changes(api):
    api.call("PUT", "/me/preferences", "alice", json={"locale": "zh-CN"})
    for body, path in (({"time_zone": "Mars/Olympus"}, "/time_zone"), ({"email": "not an address"}, "/email"),
                       ({"locale": "fr"}, "/locale"), ({"digest": "weekly"}, "/digest"),
                       ({"notifications": {"horoscope": True}}, "/notifications/horoscope"),
                       ({"colour": "blue"}, "/colour")):
        problem = assert_problem(api.put("/api/v1/me/preferences", "alice", json=body), 422)
        assert [e["path"] for e in problem["errors"]][:1] == [path], problem
    assert api.call("GET", "/me/preferences", "alice")["locale"] == "zh-CN"


def test_preferences_need_a_login(api):
    assert api.get("/api/v1/me/preferences").status_code == 401
