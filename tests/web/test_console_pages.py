"""The operations console in the web app: incidents (retried by admins), background jobs,
suspended instances and the controls report, each linked from the navigation of the roles
the engine lets read it, and refused to the others as the API refuses them."""

from __future__ import annotations

import re

from flowdesk.engine.identity import SYSTEM, Actor

from tests.instances.operations_support import deploy_review
from tests.support.browser import Browser
from tests.support.models import script_process

LEAVE = {"leave_type": "vacation", "start_date": "2026-12-01", "end_date": "2026-12-08", "days": 6}


def nav_links(html: str) -> list[str]:
    return re.findall(r'<li><a href="([^"]+)"', html.split("</nav>")[0])


def test_each_role_is_offered_the_console_pages_it_may_read(browser: Browser) -> None:
    browser.login("admin")
    admin = nav_links(browser.get("/users").text)
    assert {"/operations/incidents", "/operations/jobs", "/audit/instances?status=suspended",
            "/reports/controls", "/users"} <= set(admin)
    browser.login("dave")
    designer = nav_links(browser.get("/definitions").text)
    assert {"/operations/incidents", "/operations/jobs", "/users"} <= set(designer)
    assert "/reports/controls" not in designer
    browser.login("alice")
    employee = nav_links(browser.get("/").text)
    assert not {"/operations/incidents", "/operations/jobs", "/reports/controls", "/users"} & set(employee)
    for path in ("/operations/incidents", "/operations/jobs", "/reports/controls",
                 "/audit/instances?status=suspended"):
        assert browser.get(path).status_code == 403, path


def test_designers_read_incidents_and_admins_retry_them(browser: Browser) -> None:
    engine = browser.engine
    engine.repository.deploy([script_process("broken", "x = 1 / 0")], by=SYSTEM)
    failed = engine.instances.start_instance("broken", {}, by=SYSTEM)
    (incident,) = engine.management.list_incidents(by=SYSTEM, instance_id=failed["id"]).items

    browser.login("dave")
    shown = browser.get("/operations/incidents").text
    assert failed["id"][:8] in shown and "division by zero" in shown.lower()
    assert "/retry" not in shown
    assert browser.post(f"/operations/incidents/{incident['id']}/retry", csrf_from="/definitions").status_code == 403

    browser.login("admin")
    page = "/operations/incidents"
    assert f'action="/operations/incidents/{incident["id"]}/retry"' in browser.get(page).text
    retried = browser.post(f"/operations/incidents/{incident['id']}/retry", csrf_from=page)
    assert retried.status_code == 303
    assert "The step runs again." in browser.get(retried.headers["location"]).text
    resolved = engine.management.list_incidents(by=SYSTEM, instance_id=failed["id"], status="resolved").items
    assert [i["id"] for i in resolved] == [incident["id"]]
    browser.get("/locale?to=zh-CN&next=/")
    assert "事件" in browser.get(page).text


def test_the_jobs_page_lists_waiting_timers_by_status(browser: Browser) -> None:
    engine = browser.engine
    deploy_review(engine)
    instance = engine.instances.start_instance("review", {}, by=SYSTEM)
    clerk = Actor("clerk", frozenset({"clerks"}))
    engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=clerk)  # now at the ten-minute timer
    browser.login("erin")
    waiting = browser.get("/operations/jobs?status=waiting").text
    assert instance["id"][:8] in waiting
    assert '<option value="waiting" selected>' in waiting and 'action="/operations/jobs"' in waiting  # the filter
    assert instance["id"][:8] not in browser.get("/operations/jobs?status=failed").text


def test_suspended_instances_are_one_link_away(browser: Browser) -> None:
    engine = browser.engine
    alice = engine.identity.actor("alice")
    paused = engine.instances.start_instance("leave_request", LEAVE, by=alice)
    running = engine.instances.start_instance("leave_request", LEAVE, by=alice)
    engine.operations.suspend_instance(paused["id"], by=SYSTEM, reason="audit")
    browser.login("admin")
    shown = browser.get("/audit/instances?status=suspended").text
    assert f'href="/instances/{paused["id"]}"' in shown and running["id"] not in shown


def test_auditors_read_the_controls_report_of_a_process(browser: Browser) -> None:
    browser.login("erin")
    empty = browser.get("/reports/controls")
    assert empty.status_code == 200 and 'value="leave_request"' in empty.text
    report = browser.get("/reports/controls?definition_key=leave_request").text
    assert "Separation-of-duties checks" in report and "Approvals" in report
    assert browser.get("/reports/controls?definition_key=no_such_process").status_code == 404
    browser.login("dave")
    assert browser.get("/reports/controls").status_code == 403


def test_an_admin_retries_the_incidents_ticked_each_on_its_own(browser: Browser) -> None:
    engine = browser.engine
    engine.repository.deploy([script_process("broken", "x = 1 / 0")], by=SYSTEM)
    instances = [engine.instances.start_instance("broken", {}, by=SYSTEM) for _ in range(3)]
    first, second, third = (engine.management.list_incidents(by=SYSTEM, instance_id=i["id"]).items[0]
                            for i in instances)
    engine.management.retry_incident(third["id"], by=SYSTEM)  # resolved meanwhile (it fails again: a new one)

    browser.login("admin")
    page = "/operations/incidents"
    assert 'form="retry-many"' in browser.get(page).text
    answer = browser.post(f"{page}/retry", {"ids": [first["id"], second["id"], third["id"]]}, csrf_from=page)
    assert answer.status_code == 303
    assert "2 of 3 selected steps run again" in browser.get(answer.headers["location"]).text
    for incident in (first, second):
        (resolved,) = engine.management.list_incidents(by=SYSTEM, instance_id=incident["instance_id"],
                                                       status="resolved").items[:1]
        assert resolved["id"] == incident["id"]

    browser.login("dave")
    refused = browser.post(f"{page}/retry", {"ids": [first["id"]]}, csrf_from="/definitions")
    assert refused.status_code == 403
