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


def _diagram_of(page: str) -> str:
    start = page.index('<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram"')
    return page[start:page.index("</svg>", start)]


def test_the_instance_diagram_names_steps_in_the_page_language(browser: Browser) -> None:
    browser.login("alice")
    start_requisition(browser, business_key="DESKS-8")
    instance_id = browser.engine.instances.list_instances(by=browser.engine.identity.actor("alice")).items[0]["id"]
    chinese = _diagram_of(browser.get(f"/instances/{instance_id}", headers=ZH).text)
    assert "部门审批" in chinese and "Approve department" not in chinese
    assert "<title>采购到付款</title>" in chinese  # the process too
    english = _diagram_of(browser.get(f"/instances/{instance_id}", headers={"Accept-Language": "en"}).text)
    assert "Approve department" in english and "部门审批" not in english


def _timeline_of(page: str) -> str:
    start = page.index('<ol class="timeline">')
    return page[start:page.index("</ol>", start)]


def test_the_instance_history_reads_in_the_page_language_with_step_names(browser: Browser) -> None:
    browser.login("alice")
    start_requisition(browser, business_key="DESKS-9")
    instance_id = browser.engine.instances.list_instances(by=browser.engine.identity.actor("alice")).items[0]["id"]
    timeline = _timeline_of(browser.get(f"/instances/{instance_id}", headers=ZH).text)
    assert "申请已发起" in timeline and "任务已创建" in timeline
    assert '<span class="ev-el" title="approve_department">部门审批</span>' in timeline
    assert 'title="task.created"' in timeline and 'class="ev-code"' not in timeline  # the raw type for auditors
