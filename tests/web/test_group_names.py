"""Groups show by their display names in the page's language wherever a page names one:
the inbox's candidate groups, the task page, the users console."""

from __future__ import annotations

from pathlib import Path

import pytest
from flowdesk.engine.config import Settings
from flowdesk.engine.errors import BadRequest
from flowdesk.engine.identity.group_names import GroupNames

from tests.support.browser import Browser, start_requisition, task_ids

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def test_the_inbox_and_the_task_page_name_candidate_groups_in_the_page_language(browser: Browser,
                                                                                other_browser: Browser) -> None:
    browser.login("alice")
    start_requisition(browser, business_key="DESKS-10")
    other_browser.login("bob")
    inbox = other_browser.get("/", headers=ZH).text
    assert '<span class="muted">部门经理</span>' in inbox and "department_managers" not in inbox
    (task_id,) = task_ids(inbox)
    assert "未分配（部门经理）" in other_browser.get(f"/tasks/{task_id}", headers=ZH).text  # noqa: RUF001 (Chinese punctuation)
    english = other_browser.get("/", headers={"Accept-Language": "en"}).text
    assert '<span class="muted">Department managers</span>' in english


def test_the_users_console_names_groups_in_the_page_language(browser: Browser) -> None:
    browser.login("admin")
    users = browser.get("/users", headers=ZH).text
    assert "部门经理" in users and "采购部" in users
    assert "管理员" in browser.get("/users/admin", headers=ZH).text


def test_a_site_names_its_own_groups_and_an_unlisted_group_shows_as_its_id(tmp_path: Path) -> None:
    own = tmp_path / "groups.yaml"
    own.write_text("buyers: {name: Buyers, name_i18n: {zh-CN: 采购员}}\n", encoding="utf-8")
    names = GroupNames.load(Settings.from_env({"FLOWDESK_GROUP_NAMES": str(own)}).group_names)
    assert names.name("buyers", "zh-CN") == "采购员" and names.name("buyers", "zh") == "采购员"
    assert names.name("buyers", "en") == "Buyers" and names.name("buyers") == "Buyers"
    assert names.name("night_shift", "zh-CN") == "night_shift"
    own.write_text("buyers: [not, a, name]\n", encoding="utf-8")
    with pytest.raises(BadRequest, match="buyers"):
        GroupNames.load(own)
