"""The issue's "done when", through the web pages: a purchase request from submission
through approval, order, receipt, invoice and payment, each step by its own demo user on
the form the web app renders, then the diagram and the audit timeline."""

from __future__ import annotations

import re

from tests.support.browser import Browser

STEPS = [
    ("bob", "Approve department", {"f.decision": "approve"}),
    ("paul", "Prepare purchase order", {
        "f.po_action": "place_order", "f.supplier": "SUP-003", "f.expected_delivery_date": "2026-02-16",
        "f.incoterm": "DAP", "f.order_lines.__rows": "1", "f.order_lines.0.line": "1",
        "f.order_lines.0.quantity": "200", "f.order_lines.0.unit_price": "41.50"}),
    ("paul", "Record the supplier's confirmation", {
        "f.supplier_confirmed": "true", "f.confirmed_delivery_date": "2026-02-16", "f.supplier_reference": "SO-77812"}),
    ("wanda", "Record goods receipt", {
        "f.delivery_note": "DN-4711", "f.receipt_date": "2026-01-05", "f.receipt_lines.__rows": "1",
        "f.receipt_lines.0.line": "1", "f.receipt_lines.0.received_qty": "200", "f.receipt_lines.0.accepted_qty": "200"}),
    ("aaron", "Register the supplier invoice", {
        "f.supplier_invoice_no": "NS-2026-0815", "f.invoice_date": "2026-01-05", "f.invoice_currency": "EUR",
        "f.invoice_lines.__rows": "1", "f.invoice_lines.0.line": "1", "f.invoice_lines.0.quantity": "200",
        "f.invoice_lines.0.unit_price": "41.50", "f.net_amount": "8300.00", "f.tax_amount": "1577.00",
        "f.gross_amount": "9877.00"}),
]


def _task(browser: Browser, name: str) -> str:
    inbox = browser.get("/").text
    found = re.search(r'href="/tasks/([0-9a-f-]{36})">' + re.escape(name.replace("'", "&#39;")), inbox)
    assert found, f"{name!r} is not in the inbox:\n{inbox}"
    return found.group(1)


def _complete(browser: Browser, user: str, name: str, fields: dict[str, str]) -> None:
    browser.login(user)
    task_id = _task(browser, name)
    page = browser.get(f"/tasks/{task_id}")
    assert page.status_code == 200
    response = browser.post(f"/tasks/{task_id}", fields, csrf_from=f"/tasks/{task_id}")
    assert response.status_code == 303, response.text
    browser.run_jobs()


def test_a_purchase_request_is_carried_from_submission_to_payment_in_the_web_app(browser: Browser) -> None:
    browser.login("alice")
    response = browser.post("/processes/procure_to_pay/start", {
        "f.title": "Steel sheets for the spring series", "f.cost_center": "CC-300", "f.category": "direct_material",
        "f.currency": "EUR", "f.needed_by": "2026-03-02", "f.lines.__rows": "1",
        "f.lines.0.item": "STEEL-SHEET-2MM", "f.lines.0.description": "Steel sheet 2 mm",
        "f.lines.0.quantity": "200", "f.lines.0.unit_price": "42",
        "f.justification": "Spring series: 200 cabinets need two sheets of steel each.",
    }, csrf_from="/processes/procure_to_pay/start")
    assert response.status_code == 303, response.text
    instance_id = response.headers["location"].split("/")[2].split("?")[0]
    browser.run_jobs()

    for user, name, fields in STEPS:
        _complete(browser, user, name, fields)

    browser.engine.clock.advance(days=45, seconds=1)  # Nordic Steel's payment terms
    browser.run_jobs()
    _complete(browser, "tracy", "Pay the supplier invoice", {
        "f.payment_method": "sepa_credit_transfer", "f.value_date": "2026-02-19", "f.bank_reference": "SEPA-0042"})

    browser.login("alice")
    assert "completed" in browser.get("/requests").text
    browser.login("erin")
    page = browser.get(f"/instances/{instance_id}").text
    assert "<svg" in page
    for user in ("bob", "paul", "wanda", "aaron", "tracy"):
        assert f"by {user}" in page


def test_completing_a_task_leads_to_the_users_next_task_once_the_worker_opened_it(
        browser: Browser, monkeypatch) -> None:
    from flowdesk.engine.jobs.executor import JobExecutor
    from flowdesk.engine.jobs.worker import EmbeddedWorker
    from flowdesk.web.routes import tasks as web_tasks

    browser.login("alice")
    browser.post("/processes/procure_to_pay/start", {
        "f.title": "Steel sheets for the spring series", "f.cost_center": "CC-300", "f.category": "direct_material",
        "f.currency": "EUR", "f.needed_by": "2026-03-02", "f.lines.__rows": "1",
        "f.lines.0.item": "STEEL-SHEET-2MM", "f.lines.0.description": "Steel sheet 2 mm",
        "f.lines.0.quantity": "20", "f.lines.0.unit_price": "42"}, csrf_from="/processes/procure_to_pay/start")
    browser.run_jobs()
    _complete(browser, *STEPS[0])
    monkeypatch.setattr(web_tasks, "NEXT_TASK_WAIT_SECONDS", 60)  # a bound, not a duration: a loaded CI machine
    worker = EmbeddedWorker(JobExecutor(browser.engine.context, worker_id="web-worker", outbox_dir=browser.outbox),
                            poll_seconds=0.05)
    worker.start()
    try:
        browser.login("paul")
        task_id = _task(browser, "Prepare purchase order")
        fields = {**STEPS[1][2], "f.order_lines.0.quantity": "20"}
        response = browser.post(f"/tasks/{task_id}", fields, csrf_from=f"/tasks/{task_id}")
    finally:
        worker.stop()
    assert response.status_code == 303
    following = response.headers["location"]
    assert following.startswith("/tasks/") and following.endswith("?notice=completed"), following
    assert "Record the supplier" in browser.get(following).text


def test_a_purchase_order_from_an_unapproved_supplier_is_refused_on_the_form_in_chinese(browser: Browser) -> None:
    browser.login("alice")
    browser.post("/processes/procure_to_pay/start", {
        "f.title": "Steel sheets for the spring series", "f.cost_center": "CC-300", "f.category": "direct_material",
        "f.currency": "EUR", "f.needed_by": "2026-03-02", "f.lines.__rows": "1",
        "f.lines.0.item": "STEEL-SHEET-2MM", "f.lines.0.description": "Steel sheet 2 mm",
        "f.lines.0.quantity": "20", "f.lines.0.unit_price": "42"}, csrf_from="/processes/procure_to_pay/start")
    browser.run_jobs()
    _complete(browser, *STEPS[0])
    browser.login("paul")
    browser.get("/locale?to=zh-CN&next=/")
    task_id = _task(browser, "编制采购订单")
    fields = {**STEPS[1][2], "f.supplier": "SUP-005", "f.order_lines.0.quantity": "20"}
    response = browser.post(f"/tasks/{task_id}", fields, csrf_from=f"/tasks/{task_id}")
    assert response.status_code == 422
    assert "不是合格供应商，请选择其他供应商" in response.text  # noqa: RUF001 - the rule's zh-CN message
    assert task_id in browser.get("/").text  # still open, still the buyer's
