"""The preferences page: language, time zone, e-mail, notifications, and the substitute."""

from __future__ import annotations


def test_saving_preferences_switches_the_pages_to_the_chosen_language(browser):
    browser.login("alice")
    assert browser.get("/preferences").status_code == 200
    response = browser.post("/preferences", {"email": "alice@example.com", "locale": "zh-CN",
                                             "time_zone": "Asia/Shanghai", "notify.assigned": "on",
                                             "notify.group_task": "on", "digest": "daily"},
                            csrf_from="/preferences")
    assert response.status_code == 303
    page = browser.get("/preferences?notice=saved").text
    assert "偏好设置" in page and "已保存" in page and 'value="Asia/Shanghai"' in page
    prefs = browser.engine.people.preferences(by=browser.engine.identity.actor("alice"))
    assert prefs["notifications"]["group_task"] and not prefs["notifications"]["overdue"]
    assert prefs["email"] == "alice@example.com" and prefs["digest"] == "daily"


def test_a_wrong_time_zone_is_refused_at_its_field_with_the_input_kept(browser):
    browser.login("alice")
    response = browser.post("/preferences", {"email": "alice@example.com", "locale": "en",
                                             "time_zone": "Mars/Olympus", "digest": "off"}, csrf_from="/preferences")
    assert response.status_code == 422
    assert 'value="Mars/Olympus"' in response.text and 'id="tz-error"' in response.text
    assert browser.engine.people.preferences(by=browser.engine.identity.actor("alice"))["email"] is None


def test_a_substitute_outside_the_users_groups_is_refused(browser):
    browser.login("bob")
    response = browser.post("/preferences/substitute", {"username": "erin", "from": "", "until": ""},
                            csrf_from="/preferences")
    assert response.status_code == 422 and 'id="substitute-error"' in response.text
    ok = browser.post("/preferences/substitute", {"username": "cora", "from": "2026-01-01T09:00", "until": ""},
                      csrf_from="/preferences")
    assert ok.status_code == 303
    assert "cora" in browser.get("/preferences").text


def test_admins_add_a_webhook_and_read_its_delivery_log(browser):
    browser.login("admin")
    page = browser.get("/webhooks")
    assert page.status_code == 200
    short = browser.post("/webhooks", {"url": "https://erp.example.com/hooks", "events": "task.created",
                                       "secret": "short"}, csrf_from="/webhooks")
    assert short.status_code == 422 and 'value="https://erp.example.com/hooks"' in short.text
    ok = browser.post("/webhooks", {"url": "https://erp.example.com/hooks", "events": "task.created, incident.opened",
                                    "secret": "sixteen-characters-at-least"}, csrf_from="/webhooks")
    assert ok.status_code == 303
    listed = browser.get("/webhooks").text
    assert "https://erp.example.com/hooks" in listed and "incident.opened, task.created" in listed


def test_employees_may_not_manage_webhooks(browser):
    browser.login("alice")
    assert browser.post("/webhooks", {"url": "https://x.example.com", "events": "task.created",
                                      "secret": "sixteen-characters-at-least"}, csrf_from="/").status_code == 403


def test_changing_ones_password_keeps_this_session_and_ends_the_others(browser, other_browser):
    browser.login("alice")
    other_browser.login("alice")  # the same user in another browser
    browser.engine.clock.advance(seconds=5)  # the change comes after both logins
    response = browser.post("/preferences/password", {"current_password": "flowdesk-demo",
                                                      "password": "a-new-secret", "password_again": "a-new-secret"},
                            csrf_from="/preferences")
    assert response.status_code == 303
    assert "Your password was changed" in browser.get(response.headers["location"]).text
    assert browser.get("/", follow_redirects=False).status_code == 200  # this session stays
    assert other_browser.get("/", follow_redirects=False).status_code == 303  # the other one ended
    other_browser.login("alice", "a-new-secret")


def test_a_wrong_current_password_or_a_mistyped_new_one_changes_nothing(browser):
    browser.login("alice")
    wrong = browser.post("/preferences/password", {"current_password": "guess-guess", "password": "a-new-secret",
                                                   "password_again": "a-new-secret"}, csrf_from="/preferences")
    assert wrong.status_code == 422 and 'id="current-error"' in wrong.text
    differ = browser.post("/preferences/password", {"current_password": "flowdesk-demo", "password": "a-new-secret",
                                                    "password_again": "a-new-secret!"}, csrf_from="/preferences")
    assert differ.status_code == 422 and 'id="again-error"' in differ.text
    short = browser.post("/preferences/password", {"current_password": "flowdesk-demo", "password": "short",
                                                   "password_again": "short"}, csrf_from="/preferences")
    assert short.status_code == 422 and 'id="password-error"' in short.text
    browser.login("alice")  # the demo password still works
