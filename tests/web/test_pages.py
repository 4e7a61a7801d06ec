"""The web app through its HTML: sessions, CSRF, the inbox, forms and their errors,
languages and permissions (tests/web/test_browser.py drives a real browser)."""

from __future__ import annotations

import re

from flowdesk.engine.identity import SYSTEM

from tests.support.browser import REQUISITION, Browser, start_requisition, task_ids
from tests.support.definitions import source


def test_anonymous_visitors_are_sent_to_the_login_page(browser: Browser) -> None:
    response = browser.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2F"


def test_login_shows_name_and_groups_and_logout_ends_the_session(browser: Browser) -> None:
    response = browser.login("bob")
    cookie = response.headers.get_list("set-cookie")
    session = next(c for c in cookie if c.startswith("flowdesk_session="))
    assert "HttpOnly" in session and "samesite=lax" in session.lower()
    page = browser.get("/").text
    assert "<strong>bob</strong>" in page and "Department managers, Employees" in page
    assert browser.post("/logout", csrf_from="/").status_code == 303
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_a_wrong_password_is_refused_with_a_message(browser: Browser) -> None:
    response = browser.post("/login", {"username": "alice", "password": "nope", "next": "/"})
    assert response.status_code == 401
    assert "Wrong username or password" in response.text


def test_a_post_without_the_csrf_token_is_refused(browser: Browser) -> None:
    browser.login("alice")
    response = browser.client.post("/processes/procure_to_pay/start", data=REQUISITION)
    assert response.status_code == 403
    response = browser.client.post("/processes/procure_to_pay/start", data={**REQUISITION, "csrf_token": "x" * 64})
    assert response.status_code == 403
    assert browser.engine.instances.list_instances(by=browser.engine.identity.actor("alice")).items == []


def test_a_session_cookie_from_elsewhere_is_not_a_session(browser: Browser) -> None:
    browser.client.cookies.set("flowdesk_session", "forged.token.value")
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_start_form_errors_are_shown_next_to_the_fields_with_the_typed_values(browser: Browser) -> None:
    browser.login("alice")
    response = start_requisition(browser, **{"f.cost_center": "accounting", "f.lines.0.quantity": "four"})
    assert response.status_code == 422
    html = response.text
    assert 'id="fld-f-cost_center-err"' in html
    assert 'value="accounting"' in html and 'value="four"' in html
    assert 'id="fld-f-lines-0-quantity-err"' in html
    assert 'aria-invalid="true"' in html


def test_add_and_remove_rows_work_without_javascript(browser: Browser) -> None:
    browser.login("alice")
    response = start_requisition(browser, _action="add:f.lines")
    assert response.status_code == 200
    assert 'name="f.lines.1.description"' in response.text
    assert 'value="Ergonomic task chair"' in response.text
    two_rows = {**REQUISITION, "f.lines.__rows": "2", "f.lines.1.description": "Second line"}
    response = browser.post("/processes/procure_to_pay/start", {**two_rows, "_action": "remove:f.lines:0"},
                            csrf_from="/processes/procure_to_pay/start")
    assert 'name="f.lines.1.description"' not in response.text
    assert 'name="f.lines.0.description" type="text" value="Second line"' in response.text


def test_request_to_approval_across_two_users(browser: Browser, other_browser: Browser) -> None:
    browser.login("alice")
    response = start_requisition(browser)  # 1,560 EUR: a department manager approves
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/instances/")
    mine = browser.get("/requests").text
    assert "procure_to_pay" in mine and "running" in mine

    other_browser.login("bob")
    inbox = other_browser.get("/").text
    (task_id,) = task_ids(inbox)
    page = other_browser.get(f"/tasks/{task_id}").text
    assert "Ergonomic chairs for support" in page  # the request's details, read-only
    # Rejecting without a comment is refused by the form's rule; the choice stays selected.
    response = other_browser.post(f"/tasks/{task_id}", {"f.decision": "reject", "f.comment": "no"},
                                  csrf_from=f"/tasks/{task_id}")
    assert response.status_code == 422
    assert 'id="fld-f-comment-err"' in response.text
    assert 'value="reject" checked' in response.text
    response = other_browser.post(f"/tasks/{task_id}", {"f.decision": "approve"}, csrf_from=f"/tasks/{task_id}")
    assert response.status_code == 303
    assert response.headers["location"] == "/?notice=completed"
    assert task_id not in other_browser.get("/").text


def test_claim_and_give_back(browser: Browser, other_browser: Browser) -> None:
    browser.login("alice")
    start_requisition(browser)
    other_browser.login("bob")
    (task_id,) = task_ids(other_browser.get("/").text)
    response = other_browser.post(f"/tasks/{task_id}/claim", {"next": "/"}, csrf_from="/")
    assert response.status_code == 303
    assert other_browser.engine.tasks.get_task(task_id, by=other_browser.engine.identity.actor("bob"))["assignee"] == "bob"
    assert "Give back" in other_browser.get("/?assignee=me").text
    other_browser.post(f"/tasks/{task_id}/unclaim", {"next": "/"}, csrf_from="/")
    assert other_browser.engine.tasks.get_task(task_id, by=other_browser.engine.identity.actor("bob"))["assignee"] is None


def test_inbox_filters_and_sorting_are_accepted(browser: Browser) -> None:
    browser.login("bob")
    for query in ("?assignee=me", "?assignee=unassigned&sort=-priority", "?process=procure_to_pay&due_before=2026-03-01",
                  "?sort=bogus&due_before=not-a-date", "?cursor=garbage"):
        assert browser.get("/" + query).status_code in (200, 400), query


def test_language_follows_accept_language_and_the_switch(browser: Browser) -> None:
    browser.login("alice")
    page = browser.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).text
    assert '<html lang="zh-CN">' in page and "收件箱" in page
    browser.get("/locale?to=en&next=/")
    page = browser.get("/", headers={"Accept-Language": "zh-CN"}).text
    assert '<html lang="en">' in page and "Inbox" in page


def test_form_titles_are_translated_from_the_schema(browser: Browser) -> None:
    browser.login("alice")
    browser.get("/locale?to=zh-CN&next=/")
    page = browser.get("/processes/procure_to_pay/start").text
    assert "采购申请" in page  # the requisition form's x-i18n title


def test_an_employee_cannot_open_the_designers_upload(browser: Browser) -> None:
    browser.login("alice")
    response = browser.get("/definitions/upload")
    assert response.status_code == 403
    assert "may not deploy" in response.text


def test_an_employee_cannot_read_the_audit_trail(browser: Browser) -> None:
    browser.login("alice")
    assert browser.get("/audit").status_code == 403
    assert browser.get("/audit/instances").status_code == 403


def test_field_errors_and_enum_labels_are_shown_in_chinese(browser: Browser) -> None:
    browser.login("alice")
    browser.get("/locale?to=zh-CN&next=/")
    response = start_requisition(browser, **{"f.title": "", "f.lines.0.quantity": "-1"})
    assert response.status_code == 422
    assert "必填" in response.text  # "is required"
    assert "间接物料" in response.text  # the category's x-enum-titles
    assert "成本中心" in response.text


def test_dates_and_numbers_are_formatted_for_the_locale() -> None:
    from flowdesk.web.i18n import Formatter

    assert Formatter("en").money("1234.5", "EUR") == "€1,234.50"
    assert Formatter("zh_CN").date("2026-03-02") == "2026年3月2日"
    assert Formatter("en").date("2026-03-02") == "Mar 2, 2026"
    assert Formatter("zh_CN").number("1234567.25") == "1,234,567.25"


def test_enum_values_with_only_translations_keep_their_english_label(browser: Browser) -> None:
    browser.login("alice")
    page = browser.get("/processes/procure_to_pay/start", headers={"Accept-Language": "en"}).text
    assert "Indirect material" in page and "间接物料" not in page


def test_an_auditor_lands_on_the_instance_search_not_an_inbox(browser: Browser) -> None:
    browser.login("erin")
    response = browser.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/audit/instances"


def test_date_time_fields_round_trip_through_the_browsers_local_format() -> None:
    from flowdesk.web import forms

    schema = {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}
    assert forms.parse(schema, None, {"f.at": "2026-01-05T09:30"}) == {"at": "2026-01-05T09:30:00Z"}
    assert forms.raw_from_data(schema, {"at": "2026-01-05T09:30:00Z"}) == {"f.at": "2026-01-05T09:30:00"}


def test_a_refusal_in_the_web_app_is_audited_like_one_in_the_api(browser: Browser) -> None:
    browser.login("alice")
    assert browser.get("/definitions/upload").status_code == 403
    denied = browser.engine.history.audit_events(by=browser.engine.identity.actor("erin"), type="access.denied", actor="alice").items
    assert any(e["data"].get("path") == "/definitions/upload" for e in denied), denied


def test_the_inbox_pages_through_many_tasks_and_marks_overdue_ones(browser: Browser) -> None:
    engine = browser.engine
    alice = engine.identity.actor("alice")
    leave = {"leave_type": "vacation", "start_date": "2026-12-01", "end_date": "2026-12-08", "days": 6,
             "reason": "Family visit"}
    for number in range(23):
        engine.instances.start_instance("leave_request", leave, by=alice, business_key=f"LEAVE-{number:02d}")
    browser.login("bob")
    first = browser.get("/?process=leave_request&sort=created_at").text
    assert len(task_ids(first)) == 20
    next_url = re.search(r'href="(/\?[^"]*cursor=[^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = browser.get(next_url).text
    assert len(task_ids(second)) == 3 and not set(task_ids(second)) & set(task_ids(first))
    assert 'rel="next"' not in second and "First page" in second
    assert "Overdue" not in first
    engine.clock.advance(days=3)  # the approval is due in two days
    browser.login("bob")  # the session expired meanwhile, like a token
    assert "Overdue" in browser.get("/?process=leave_request").text


CALLING = """
process: calling
lanes: {employees: employees}
steps:
  - call: ask
    process: called
"""
CALLED = """
process: called
lanes: {employees: employees}
steps:
  - user: answer
"""


def test_a_called_instance_offers_no_cancel_its_parent_waits_for_it(browser: Browser) -> None:
    """The engine refuses to cancel a child its parent waits for (cancel the parent); the
    page asks the engine, so it offers only what would succeed."""
    engine = browser.engine
    engine.repository.deploy([source(CALLING, "calling.yaml"), source(CALLED, "called.yaml")], by=SYSTEM)
    parent = engine.instances.start_instance("calling", {}, by=engine.identity.actor("alice"))
    (child,) = engine.instances.get_instance(parent["id"], by=SYSTEM)["children"]
    browser.login("alice")
    assert "Cancel this request" in browser.get(f"/instances/{parent['id']}").text
    assert "Cancel this request" not in browser.get(f"/instances/{child['id']}").text


def test_pages_may_not_be_framed_and_run_only_our_own_script(browser: Browser) -> None:
    response = browser.get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "<script>" not in response.text


def test_the_starter_cancels_a_running_request_and_others_may_not(browser: Browser, other_browser: Browser) -> None:
    browser.login("alice")
    location = start_requisition(browser).headers["location"].split("?")[0]
    instance_id = location.split("/")[2]
    other_browser.login("bob")
    refused = other_browser.post(f"/instances/{instance_id}/cancel", {"reason": "no"}, csrf_from="/")
    assert refused.status_code in (403, 404)
    assert "Cancel this request" in browser.get(location).text
    response = browser.post(f"/instances/{instance_id}/cancel", {"reason": "Bought elsewhere"}, csrf_from="/")
    assert response.status_code == 303
    page = browser.get(response.headers["location"]).text
    assert "The request was cancelled." in page and "Cancel this request" not in page
