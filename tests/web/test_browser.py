"""End to end in headless Chromium: two employees, a purchase request, an approval and the
auditor's timeline, on a real HTTP server (uvicorn on a free port, the embedded background
worker, a SQLite database with the demo users).

The browser is Debian's ``chromium`` driven through Playwright's Python API with
``executable_path``; Playwright's own browser downloads are never used. Without chromium
or playwright the test is skipped with a reason, under CI (``CI=true``) it fails instead.
Screenshots of the main pages go to ``$FLOWDESK_ARTIFACTS_DIR`` (default
``tests/web/artifacts/``).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
import uvicorn
from flowdesk.api.app import create_app
from flowdesk.api.demo import DEMO_PASSWORD
from flowdesk.engine.clock import Clock
from flowdesk.engine.config import Settings
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.jobs.worker import EmbeddedWorker
from flowdesk.engine.process_engine import ProcessEngine

from tests.support.database import copy_database
from tests.support.services import IN_CI

CHROMIUM = os.environ.get("FLOWDESK_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("FLOWDESK_ARTIFACTS_DIR") or Path(__file__).resolve().parent / "artifacts")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}: CI must run the browser tests")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium_path() -> str:
    found = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not found:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(web_template_db: Path, tmp_path: Path, clock: Clock | None = None) -> Iterator[str]:
    """A server like ``flowdesk serve --demo``: uvicorn in a thread, the embedded worker,
    the real clock unless a test brings its own."""
    path = copy_database(web_template_db, tmp_path / "flowdesk.db")
    settings = Settings(database_url=f"sqlite:///{path}", definitions=(), outbox_dir=tmp_path / "outbox")
    engine = ProcessEngine(settings, clock=clock, migrate=False)
    worker = EmbeddedWorker(JobExecutor(ProcessEngine(settings, clock=clock, migrate=False).context), poll_seconds=0.1)
    worker.start()
    port = _free_port()
    config = uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline:
            raise AssertionError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(10)
        worker.stop()
        engine.close()


@pytest.fixture
def server(web_template_db: Path, tmp_path: Path) -> Iterator[str]:
    with serving(web_template_db, tmp_path) as base:
        yield base


@pytest.fixture
def chromium(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(browser, base: str, username: str, **context):
    page = browser.new_context(base_url=base, **context).new_page()
    page.goto("/")
    assert "/login" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    assert username in page.locator("header .user").inner_text()
    return page


def test_a_purchase_request_from_submission_to_approval_and_the_auditors_timeline(server: str, chromium) -> None:
    from playwright.sync_api import expect

    # -- alice asks for chairs; a wrong cost centre is refused next to the field -------------
    alice = log_in(chromium, server, "alice")
    shot(alice, "01-login-inbox-alice")
    alice.get_by_role("link", name="Start a request").click()
    alice.get_by_role("link", name="Purchase requisition").click()
    alice.get_by_label("Title").fill("Ergonomic chairs for support")
    alice.get_by_label("Cost centre").fill("accounting")
    alice.get_by_label("Category").select_option("indirect_material")
    alice.get_by_label("Currency (ISO 4217)").select_option("EUR")
    alice.get_by_label("Needed by").fill((date.today() + timedelta(days=30)).isoformat())
    alice.get_by_label("Item").fill("CHAIR-TASK")
    alice.get_by_label("Description").fill("Ergonomic task chair")
    alice.get_by_label("Quantity").fill("4")
    alice.get_by_label("Estimated unit price").fill("390.00")
    alice.get_by_role("button", name="Add row").click()  # a second line, without JavaScript's help
    expect(alice.locator('input[name="f.lines.1.description"]')).to_be_visible()
    expect(alice.locator('input[name="f.lines.0.description"]')).to_have_value("Ergonomic task chair")
    alice.get_by_role("button", name="Remove row 2").click()
    alice.get_by_role("button", name="Submit", exact=True).click()
    error = alice.locator("#fld-f-cost_center-err")
    expect(error).to_be_visible()
    expect(alice.get_by_label("Cost centre")).to_have_value("accounting")
    expect(alice.get_by_label("Title")).to_have_value("Ergonomic chairs for support")
    shot(alice, "02-start-form-error")
    alice.get_by_label("Cost centre").fill("CC-100")
    alice.get_by_role("button", name="Submit", exact=True).click()
    alice.wait_for_url("**/instances/**")
    instance_url = alice.url.split("?")[0]
    expect(alice.locator(".notice")).to_be_visible()
    alice.get_by_role("link", name="My requests").click()
    expect(alice.locator("table.data")).to_contain_text("procure_to_pay")
    shot(alice, "03-my-requests")

    # -- bob, a department manager, sees the approval in his inbox --------------------------
    bob = log_in(chromium, server, "bob")
    approval = bob.locator("table.inbox a", has_text="Approve")
    for _ in range(100):  # the embedded worker runs the service steps before the approval
        if approval.count():
            break
        time.sleep(0.2)
        bob.reload()
    expect(approval.first).to_be_visible()
    shot(bob, "04-inbox-bob")
    approval.first.click()
    expect(bob.locator("section.task-summary")).to_contain_text("Ergonomic chairs for support")
    bob.get_by_role("radio", name="Reject").check()
    bob.get_by_role("button", name="Complete", exact=True).click()
    expect(bob.locator("#fld-f-comment-err")).to_be_visible()
    expect(bob.get_by_role("radio", name="Reject")).to_be_checked()
    shot(bob, "05-task-form-error")
    bob.get_by_role("radio", name="Approve").check()
    bob.get_by_role("button", name="Complete", exact=True).click()
    bob.wait_for_url(server + "/?notice=completed")
    expect(bob.locator(".notice")).to_be_visible()

    # -- erin, the auditor, opens the instance's timeline ------------------------------------
    erin = log_in(chromium, server, "erin")
    assert erin.url.endswith("/audit/instances")  # an auditor has no inbox: the instance search
    erin.get_by_label("Business key").fill("")
    erin.get_by_role("button", name="Search").click()
    erin.locator(f'a[href="{instance_url.removeprefix(server)}"]').click()
    timeline = erin.locator("ol.timeline")
    expect(timeline).to_contain_text("task.completed")
    expect(timeline).to_contain_text("bob")
    expect(erin.locator("figure.diagram svg")).to_be_visible()
    shot(erin, "06-instance-timeline-erin")

    erin.get_by_role("link", name="Audit trail").click()
    expect(erin.locator(".chain")).to_be_visible()
    shot(erin, "07-audit-trail-erin")

    # -- the designer's definition page, the manager's KPI report -----------------------------
    dave = log_in(chromium, server, "dave")
    dave.goto("/definitions/procure_to_pay")
    expect(dave.locator("figure.diagram svg")).to_be_visible()
    shot(dave, "08-definition-dave")
    bob.goto("/reports/kpis")
    shot(bob, "09-kpis-bob")

    # -- the inbox at phone width, and the language switch --------------------------------------
    phone = log_in(chromium, server, "paul", viewport={"width": 390, "height": 844})
    shot(phone, "10-inbox-phone")
    phone.get_by_label("Language").select_option("zh_CN")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")
    phone.get_by_role("link", name="编制采购订单").first.click()  # Prepare purchase order
    expect(phone.locator("h1")).to_have_text("编制采购订单")
    assert "spiff__" not in phone.content()  # the summary, never the raw process variables
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the task page is {width} px wide on a 390 px phone"
    shot(phone, "12-task-page-zh-phone")
    alice.goto("/processes/procure_to_pay/start")
    alice.get_by_label("Language").select_option("zh_CN")  # submits itself (the optional script)
    expect(alice.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(alice.locator("h1")).to_have_text("采购申请")
    shot(alice, "11-start-form-zh")


def test_the_essentials_work_without_javascript(server: str, chromium) -> None:
    from playwright.sync_api import expect

    alice = log_in(chromium, server, "alice", java_script_enabled=False)
    alice.goto("/processes/procure_to_pay/start")
    alice.get_by_label("Description").fill("Ergonomic task chair")
    alice.get_by_role("button", name="Add row").click()
    expect(alice.locator('input[name="f.lines.1.description"]')).to_be_visible()
    expect(alice.locator('input[name="f.lines.0.description"]')).to_have_value("Ergonomic task chair")
    alice.get_by_role("button", name="Remove row 1").click()
    expect(alice.locator('input[name="f.lines.1.description"]')).to_have_count(0)
    alice.get_by_label("Language").select_option("zh_CN")  # no script: the button submits
    alice.get_by_role("button", name="Switch").click()
    expect(alice.locator("html")).to_have_attribute("lang", "zh-CN")
    alice.get_by_role("button", name="退出登录").click()
    expect(alice.get_by_role("button", name="登录")).to_be_visible()
