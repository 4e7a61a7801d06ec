"""Suspending, resuming and migrating from the web app: forms without JavaScript, the dry
run shown before an admin confirms, English and Chinese."""

from __future__ import annotations

from flowdesk.engine.identity import SYSTEM

from tests.instances.operations_support import OPERATIONS
from tests.support.browser import Browser
from tests.support.definitions import source


def leave(browser: Browser) -> dict:
    alice = browser.engine.identity.actor("alice")
    return browser.engine.instances.start_instance(
        "leave_request", {"leave_type": "vacation", "start_date": "2026-12-01", "end_date": "2026-12-08",
                          "days": 6}, by=alice)


def test_an_admin_suspends_and_resumes_an_instance_from_its_page(browser: Browser) -> None:
    instance = leave(browser)
    page = f"/instances/{instance['id']}"
    browser.login("alice")
    assert "Suspend this instance" not in browser.get(page).text  # the starter may not
    browser.login("admin")
    assert "Suspend this instance" in browser.get(page).text
    answer = browser.post(page + "/suspend", {"reason": "supplier dispute"}, csrf_from=page)
    assert answer.status_code == 303 and answer.headers["location"] == page + "?notice=suspended"
    shown = browser.get(page + "?notice=suspended").text
    assert "Suspended." in shown and "Resume this instance" in shown and "st-suspended" in shown
    assert browser.engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "suspended"
    browser.login("bob")  # the approver sees why the task waits
    task_page = browser.get(f"/tasks/{instance['open_tasks'][0]['id']}").text
    assert "Its process is suspended" in task_page
    browser.login("admin")
    browser.get("/locale?to=zh-CN&next=/")
    assert "恢复此实例" in browser.get(page).text
    browser.post(page + "/resume", {"reason": ""}, csrf_from=page)
    assert browser.engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "running"


def test_a_designer_suspends_a_definition_from_its_page(browser: Browser) -> None:
    page = "/definitions/leave_request"
    browser.login("dave")
    assert "Suspend this process" in browser.get(page).text
    browser.post(page + "/suspend", {"reason": "new rules"}, csrf_from=page)
    shown = browser.get(page).text
    assert "Suspended: no new instances start. Reason: new rules" in shown and "Resume this process" in shown
    browser.post(page + "/resume", {"reason": "ok"}, csrf_from=page)
    assert "Suspend this process" in browser.get(page).text


def test_the_migration_page_shows_the_dry_run_before_an_admin_confirms(browser: Browser) -> None:
    engine = browser.engine
    engine.repository.deploy([OPERATIONS / "review_v1.bpmn"], by=SYSTEM)
    instance = engine.instances.start_instance("review", {}, by=SYSTEM)
    engine.repository.deploy([OPERATIONS / "review_v2.bpmn"], by=SYSTEM)
    dry_run = "/definitions/review/migrate?from=1&to=2&mapping=check%3Dverify"

    browser.login("dave")  # designers see the dry run, but do not migrate
    shown = browser.get(dry_run).text
    assert "Dry run: v1 to v2" in shown and "can move" in shown and instance["id"] in shown
    assert "Migrate the instances that can move" not in shown
    unmapped = browser.get("/definitions/review/migrate?from=1&to=2").text
    assert "check" in unmapped and "can move" not in unmapped

    browser.login("admin")
    assert "Migrate the instances that can move" in browser.get(dry_run).text
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["definition_version"] == 1
    done = browser.post("/definitions/review/migrate", {"from": "1", "to": "2", "mapping": "check=verify"},
                        csrf_from=dry_run)
    assert done.status_code == 200 and "Migrated 1 instance(s) from v1 to v2" in done.text
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["definition_version"] == 2
    browser.get("/locale?to=zh-CN&next=/")
    assert "试运行" in browser.get("/definitions/review/migrate?from=2&to=1").text

    browser.login("alice")
    assert browser.get(dry_run).status_code == 403


def test_the_instance_page_shows_the_tree_of_called_processes(browser: Browser) -> None:
    engine = browser.engine
    engine.repository.deploy([source("""
        process: web_parent
        lanes: {staff: employees}
        steps:
          - call: ask
            process: web_child
        """, "web_parent.yaml"), source("""
        process: web_child
        lanes: {staff: employees}
        steps:
          - user: answer
        """, "web_child.yaml")], by=SYSTEM)
    parent = engine.instances.start_instance("web_parent", {}, by=engine.identity.actor("alice"))
    (child,) = engine.instances.get_instance(parent["id"], by=SYSTEM)["children"]
    browser.login("alice")
    shown = browser.get(f"/instances/{parent['id']}").text
    assert "Called processes" in shown and f'href="/instances/{child["id"]}"' in shown and "st-running" in shown
    child_page = browser.get(f"/instances/{child['id']}").text
    assert "Called by" in child_page and f'href="/instances/{parent["id"]}"' in child_page
    mine = browser.get("/requests").text  # the called process shows on its caller, not as a request
    assert f'/instances/{parent["id"]}' in mine and f'/instances/{child["id"]}' not in mine
    browser.get("/locale?to=zh-CN&next=/")
    assert "被调用的流程" in browser.get(f"/instances/{parent['id']}").text
