"""End to end in headless Chromium, in Chinese: a purchase in CNY from the requisition to the
payment (issue 18). Every user switches the header's language to 简体中文; every page the walk
visits must show its UI in Chinese (no English UI words in the main content), every task page a
summary (never the raw process variables), and every mistake is refused at its field, in
Chinese, with what was typed kept.

The server, the browser and the helpers are test_browser.py's. The supplier's payment terms
(30 days) are the one thing a walk on the real clock cannot wait for: the server and its
worker run on the wall clock plus an offset, which the test moves a month on before payment.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.web.test_browser import chromium, chromium_path, log_in, serving, shot  # noqa: F401

PHONE = {"viewport": {"width": 390, "height": 844}}
#: English UI words that must not be left on a Chinese page. The business data the test types
#: is Chinese or codes in capitals (CHAIR-TASK, SUP-001, DN-4711), so these cannot match data.
ENGLISH_UI = re.compile(r"\b(Submit|Complete|Claim|Inbox|Approve|Reject|Required|required|must|Start|Cancel|Save|"
                        r"Due|Summary|Lines|Total|Title|Description|Quantity|Supplier|Comment|Decision|Status|"
                        r"Requisition|Purchase|Order|Invoice|Payment|Receipt|Date|Back|Next|Task|may not|"
                        r"is not|the|and|within|over_budget|Procure|pay)\b")
CJK = re.compile(r"[\u4e00-\u9fff]")
RAW_DATA = ("spiff__", "requisition_lines", "purchase_lines", "{'", '{"', "approval_levels")
TODAY = date.today()


def chinese(browser, base: str, username: str, **context):
    """Log in and switch the header's language to Chinese (the select submits itself)."""
    from playwright.sync_api import expect

    page = log_in(browser, base, username, **context)
    page.get_by_label("Language").select_option("zh_CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    return page


def assert_chinese_page(page) -> None:
    """The main content is Chinese UI: no English UI words, no raw variables, no data dump."""
    text = page.locator("main").inner_text()
    diagram = page.locator("main figure.diagram")
    if diagram.count():  # the diagram shows the definition's own element names (content, not UI)
        text = text.replace(diagram.inner_text(), "")
    found = ENGLISH_UI.findall(text)
    assert not found, f"English UI text on {page.url}: {sorted(set(found))}"
    html = page.content()
    for raw in RAW_DATA:
        assert raw not in html if raw == "spiff__" else raw not in text, f"{raw!r} on {page.url}"


def assert_task_page(page, width: int | None = None) -> None:
    from playwright.sync_api import expect

    expect(page.locator("section.task-summary")).to_be_visible()  # a summary, not a dump
    assert_chinese_page(page)
    if width:
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{page.url} is {scroll} px wide on a {width} px phone"


def assert_refused(page, field: str, *kept: tuple[str, str]) -> None:
    """The error is next to the field, in Chinese, and every input still holds what was typed."""
    from playwright.sync_api import expect

    error = page.locator(f"#fld-f-{field}-err")
    expect(error).to_be_visible()
    message = error.inner_text()
    assert CJK.search(message) and not ENGLISH_UI.search(message), message
    for name, value in kept:
        expect(page.locator(f'[name="f.{name}"]')).to_have_value(value)
    assert_chinese_page(page)


def open_task(page, name: str) -> None:
    """Wait in the inbox until the task is there (the embedded worker runs the service steps
    before it), then open it."""
    from playwright.sync_api import expect

    page.goto("/")
    link = page.locator("table.inbox a", has_text=name)
    for _ in range(150):
        if link.count():
            break
        time.sleep(0.2)
        page.reload()
    expect(link.first).to_be_visible()
    assert_chinese_page(page)
    link.first.click()
    expect(page.locator("h1")).to_contain_text(name)


def complete(page) -> None:
    page.locator('button.primary[name="_action"][value="submit"]').click()


def completed(page, task_url: str) -> None:
    page.wait_for_url(lambda url: url.split("?")[0] != task_url)
    assert_chinese_page(page)


class ShiftedClock:
    """The wall clock, plus the days a test lets pass (the server's and its worker's clock)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def shifted_server(web_template_db: Path, tmp_path: Path, clock: ShiftedClock) -> Iterator[str]:
    with serving(web_template_db, tmp_path, clock) as base:
        yield base


def test_a_cny_purchase_from_requisition_to_payment_in_chinese(shifted_server: str, chromium,  # noqa: F811
                                                               clock: ShiftedClock) -> None:
    server = shifted_server
    from playwright.sync_api import expect

    # -- alice asks for chairs in CNY; a wrong cost centre is refused at its field -------------
    alice = chinese(chromium, server, "alice")
    alice.get_by_role("link", name="发起申请").click()
    assert_chinese_page(alice)
    alice.get_by_role("link", name="采购申请").first.click()
    expect(alice.locator("h1")).to_have_text("采购申请")
    needed_by = (TODAY + timedelta(days=30)).isoformat()
    alice.get_by_label("标题").fill("客服部人体工学椅")
    alice.get_by_label("成本中心").fill("财务部")
    alice.get_by_label("类别").select_option("indirect_material")
    alice.locator('[name="f.currency"]').select_option("CNY")
    alice.get_by_label("需求日期").fill(needed_by)
    alice.locator('[name="f.lines.0.item"]').fill("CHAIR-TASK")
    alice.locator('[name="f.lines.0.description"]').fill("人体工学办公椅")
    alice.locator('[name="f.lines.0.quantity"]').fill("4")
    alice.locator('[name="f.lines.0.unit_price"]').fill("1500")  # 6,000 CNY = 768 EUR: one approval
    assert_chinese_page(alice)
    complete(alice)
    assert_refused(alice, "cost_center", ("cost_center", "财务部"), ("title", "客服部人体工学椅"),
                   ("currency", "CNY"), ("needed_by", needed_by), ("lines.0.description", "人体工学办公椅"),
                   ("lines.0.quantity", "4"), ("lines.0.unit_price", "1500"))
    shot(alice, "20-zh-requisition-error")
    alice.get_by_label("成本中心").fill("CC-100")
    complete(alice)
    alice.wait_for_url("**/instances/**")
    instance_url = alice.url.split("?")[0]
    assert_chinese_page(alice)
    # the diagram names the steps in Chinese, the history reads as phrases with step names
    expect(alice.locator("main figure.diagram svg")).to_contain_text("部门审批")
    expect(alice.locator("ol.timeline")).to_contain_text("申请已发起")
    # the approval task is created once the background worker has run the requisition's
    # service steps: under load that can be after the page was drawn, so look again
    created = alice.locator("ol.timeline .ev-el").filter(has_text="部门审批")
    deadline = time.monotonic() + 60
    while not created.count() and time.monotonic() < deadline:
        time.sleep(0.5)
        alice.reload()
    expect(created.first).to_be_visible()
    shot(alice, "20b-zh-instance-diagram-history")

    # -- bob approves at phone width -------------------------------------------------------------
    bob = chinese(chromium, server, "bob", **PHONE)
    open_task(bob, "部门审批")
    assert_task_page(bob, width=390)
    expect(bob.locator("section.task-summary")).to_contain_text("客服部人体工学椅")
    shot(bob, "21-zh-approval-phone")
    task_url = bob.url
    bob.get_by_role("radio", name="批准").check()
    complete(bob)
    completed(bob, task_url)

    # -- paul orders: first from a supplier that is not approved ---------------------------------
    paul = chinese(chromium, server, "paul")
    open_task(paul, "编制采购订单")
    assert_task_page(paul)
    task_url = paul.url
    delivery = (TODAY + timedelta(days=14)).isoformat()
    paul.get_by_role("radio", name="下订单").check()
    paul.locator('[name="f.supplier"]').fill("SUP-005")
    paul.locator('[name="f.expected_delivery_date"]').fill(delivery)
    paul.locator('[name="f.incoterm"]').select_option("DAP")
    paul.locator('[name="f.order_lines.0.line"]').fill("1")
    paul.locator('[name="f.order_lines.0.quantity"]').fill("4")
    paul.locator('[name="f.order_lines.0.unit_price"]').fill("1500")
    paul.locator('[name="f.buyer_note"]').fill("请在周一上午送货")
    complete(paul)
    assert_refused(paul, "supplier", ("supplier", "SUP-005"), ("expected_delivery_date", delivery),
                   ("incoterm", "DAP"), ("order_lines.0.line", "1"), ("order_lines.0.quantity", "4"),
                   ("order_lines.0.unit_price", "1500"), ("buyer_note", "请在周一上午送货"))
    expect(paul.get_by_role("radio", name="下订单")).to_be_checked()
    shot(paul, "22-zh-purchase-order-error")
    paul.locator('[name="f.supplier"]').fill("SUP-001")
    complete(paul)
    completed(paul, task_url)

    # -- paul records the supplier's confirmation -------------------------------------------------
    open_task(paul, "登记供应商确认")
    assert_task_page(paul)
    task_url = paul.url
    paul.get_by_label("供应商已确认").check()
    paul.locator('[name="f.confirmed_delivery_date"]').fill(delivery)
    paul.locator('[name="f.supplier_reference"]').fill("SO-77812")
    shot(paul, "23-zh-acknowledgement")
    complete(paul)
    completed(paul, task_url)

    # -- wanda receives at phone width: first dated tomorrow ------------------------------------
    wanda = chinese(chromium, server, "wanda", **PHONE)
    open_task(wanda, "登记收货")
    assert_task_page(wanda, width=390)
    task_url = wanda.url
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    wanda.locator('[name="f.delivery_note"]').fill("DN-4711")
    wanda.locator('[name="f.receipt_date"]').fill(tomorrow)
    wanda.locator('[name="f.receipt_lines.0.line"]').fill("1")
    wanda.locator('[name="f.receipt_lines.0.received_qty"]').fill("4")
    wanda.locator('[name="f.receipt_lines.0.accepted_qty"]').fill("4")
    wanda.locator('[name="f.receipt_notes"]').fill("包装完好")
    complete(wanda)
    assert_refused(wanda, "receipt_date", ("receipt_date", tomorrow), ("delivery_note", "DN-4711"),
                   ("receipt_lines.0.line", "1"), ("receipt_lines.0.received_qty", "4"),
                   ("receipt_lines.0.accepted_qty", "4"), ("receipt_notes", "包装完好"))
    scroll = wanda.evaluate("document.documentElement.scrollWidth")
    assert scroll <= 390, f"the refused receipt is {scroll} px wide on a 390 px phone"
    shot(wanda, "24-zh-goods-receipt-error-phone")
    wanda.locator('[name="f.receipt_date"]').fill(TODAY.isoformat())
    complete(wanda)
    completed(wanda, task_url)

    # -- aaron registers the supplier's invoice ---------------------------------------------------
    aaron = chinese(chromium, server, "aaron")
    open_task(aaron, "登记供应商发票")
    assert_task_page(aaron)
    task_url = aaron.url
    aaron.locator('[name="f.supplier_invoice_no"]').fill("INV-2026-0815")
    aaron.locator('[name="f.invoice_date"]').fill(TODAY.isoformat())
    aaron.locator('[name="f.invoice_currency"]').fill("CNY")
    aaron.locator('[name="f.invoice_lines.0.line"]').fill("1")
    aaron.locator('[name="f.invoice_lines.0.quantity"]').fill("4")
    aaron.locator('[name="f.invoice_lines.0.unit_price"]').fill("1500")
    aaron.locator('[name="f.net_amount"]').fill("6000.00")
    aaron.locator('[name="f.tax_amount"]').fill("780.00")
    aaron.locator('[name="f.gross_amount"]').fill("6780.00")
    shot(aaron, "25-zh-supplier-invoice")
    complete(aaron)
    completed(aaron, task_url)

    # -- thirty days later tracy pays --------------------------------------------------------------
    for _ in range(150):  # the invoice is posted (the payment terms start) before the month passes
        alice.goto(instance_url)
        if 'title="mark_order_invoiced"' in alice.locator("ol.timeline").inner_html():
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the invoice was never posted")
    clock.offset = timedelta(days=31)  # SUP-001's payment terms are 30 days
    tracy = chinese(chromium, server, "tracy")
    open_task(tracy, "支付供应商发票")
    assert_task_page(tracy)
    task_url = tracy.url
    tracy.get_by_label("付款方式").select_option(label="银行转账")
    tracy.locator('[name="f.value_date"]').fill(clock.now().date().isoformat())
    tracy.locator('[name="f.bank_reference"]').fill("BR-20261207-01")
    shot(tracy, "26-zh-payment")
    complete(tracy)
    completed(tracy, task_url)

    # -- alice (logged in again: a month has passed) sees her request completed ---------------
    alice = chinese(chromium, server, "alice")
    for _ in range(150):
        alice.goto(instance_url)
        if "已完成" in alice.locator("h1").inner_text():
            break
        time.sleep(0.2)
    expect(alice.locator("h1")).to_contain_text("已完成")
    assert_chinese_page(alice)
    shot(alice, "27-zh-instance-completed")
