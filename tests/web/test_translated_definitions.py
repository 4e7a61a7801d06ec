"""Process and task names translated in the definition (``name_i18n``) show in the reader's language."""

from __future__ import annotations

from tests.support.browser import Browser, start_requisition, task_ids

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def test_task_and_process_names_follow_the_page_language(browser: Browser, other_browser: Browser) -> None:
    browser.login("alice")
    start_requisition(browser, business_key="DESKS-7")
    other_browser.login("bob")
    chinese = other_browser.get("/", headers=ZH).text
    assert "部门审批" in chinese and "采购到付款" in chinese
    (task_id,) = task_ids(chinese)
    assert "<h1>部门审批</h1>" in other_browser.get(f"/tasks/{task_id}", headers=ZH).text
    english = other_browser.get("/", headers={"Accept-Language": "en"}).text
    assert "部门审批" not in english and "Approve department" in english
    assert "采购到付款" in browser.get("/processes", headers=ZH).text
