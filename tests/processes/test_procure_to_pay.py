"""procure_to_pay, through the HTTP API: what the issue and the catalogue (§1) ask of it.

A requisition is routed by the p2p_approval_routing table (checked at its boundaries),
approved level by level by people other than the requester, ordered by a buyer, received
by someone else and invoiced by a third person; the invoice is paid by treasury once the
supplier's payment terms are up, and only if the three-way match passes or accounts
payable resolved the exception. Requests returned three times are rejected; requests can
be rejected, withdrawn or cancelled; late approvals are reminded and escalated. Another
process asks with the `purchase_request` message and hears back `goods_received` or
`purchase_request_rejected`. Every document is a numbered record linked to the instance.

The tests deploy only procure_to_pay's own files and reference data, drive time with the
fake clock and run background work (service calls, timers, messages) with the executor.
"""

from __future__ import annotations

from decimal import Decimal

import yaml
from flowdesk.engine.definitions.sources import SourceFile

from tests.support.client import assert_problem
from tests.support.paths import REPO
from tests.support.procure_to_pay import RECORD_TYPES, dec


# -- the whole way ------------------------------------------------------------------------------------
def test_a_requisition_is_approved_ordered_received_invoiced_and_paid_with_a_record_for_each_step(p2p):
    iid = p2p.request(lines=[{"item": "STEEL-SHEET-2MM", "description": "Steel sheet 2 mm", "quantity": 200,
                              "unit_price": 42}],
                      justification="Spring series: 200 cabinets need two sheets of steel each.")
    requisition = p2p.latest("purchase_requisition", iid)
    assert requisition["number"] == "PR-2026-000001" and requisition["status"] == "pending_approval"
    assert requisition["data"]["total_company"] == 8400 and requisition["data"]["approval_levels"] == [
        "department_managers"]
    assert p2p.task(iid, "approve_department")["candidate_groups"] == ["department_managers"]

    p2p.approve(iid, ("approve_department", "bob"))
    assert p2p.latest("purchase_requisition", iid)["status"] == "approved"
    p2p.order(iid, [{"line": 1, "quantity": 200, "unit_price": 41.5}])
    order = p2p.latest("purchase_order", iid)
    assert order["number"] == "PO-2026-000001" and order["status"] == "sent"
    assert order["data"]["total"] == 8300 and order["data"]["supplier"] == "SUP-003"
    assert [(m["To"], m["Subject"]) for m in p2p.mails()] == [
        ("orders@nordic-steel.example", "Purchase order PO-2026-000001")]

    p2p.confirm(iid)
    assert p2p.latest("purchase_order", iid)["status"] == "confirmed"
    p2p.receive(iid, [{"line": 1, "received_qty": 200, "accepted_qty": 200}])
    receipt = p2p.latest("goods_receipt", iid)
    assert receipt["number"] == "GR-2026-000001" and receipt["status"] == "posted"
    assert receipt["data"]["purchase_order"] == "PO-2026-000001"
    steel = p2p.api.get("/api/v1/records/item/STEEL-SHEET-2MM", "erin").json()
    assert steel["data"]["on_hand"] == 320  # 120 in stock + 200 received (a stock item)
    assert p2p.latest("purchase_order", iid)["status"] == "received"

    p2p.invoice(iid, [{"line": 1, "quantity": 200, "unit_price": 41.5}])
    invoice = p2p.latest("supplier_invoice", iid)
    assert invoice["number"] == "SINV-2026-000001" and invoice["status"] == "posted"
    assert all(line["status"] == "MATCH" for line in invoice["data"]["match"])

    # Nordic Steel's payment terms are 45 days: no payment before, then treasury pays.
    p2p.api.clock.advance(days=44)
    assert p2p.tasks(iid) == []
    p2p.api.clock.advance(days=1, seconds=1)
    p2p.complete(iid, "pay_invoice", "tracy", {"payment_method": "sepa_credit_transfer", "value_date": "2026-02-19",
                                               "bank_reference": "SEPA-0042"})
    assert p2p.instance(iid)["status"] == "completed"
    payment = p2p.latest("payment", iid)
    assert payment["number"] == "PAY-2026-000001" and payment["status"] == "paid"
    assert dec(payment["data"]["amount"]) == Decimal("9877") and payment["data"]["supplier_invoice"] == "SINV-2026-000001"
    statuses = {t: p2p.latest(t, iid)["status"] for t in RECORD_TYPES}
    assert statuses == {"purchase_requisition": "closed", "purchase_order": "closed", "goods_receipt": "posted",
                        "supplier_invoice": "paid", "payment": "paid"}
    for type_ in RECORD_TYPES:  # an auditor follows every document back to this instance
        assert {"instance_id": iid, "relation": "created"} in p2p.latest(type_, iid)["instances"]

    history = p2p.api.get(f"/api/v1/instances/{iid}/history", "erin", params={"limit": 500}).json()["items"]
    completed = [(e["actor"], e["element_id"]) for e in history if e["type"] == "task.completed"]
    assert completed == [("bob", "approve_department"), ("paul", "prepare_purchase_order"),
                         ("paul", "record_acknowledgement"), ("wanda", "record_goods_receipt"),
                         ("aaron", "register_invoice"), ("tracy", "pay_invoice")]
    routing = next(e for e in history if e["type"] == "decision.evaluated" and e["element_id"] == "route_approval")
    assert routing["data"]["decision"] == "p2p_approval_routing"


# -- approval routing at its boundaries ------------------------------------------------------------------
# The thresholds, exactly at and just above each boundary (amounts are decimals).
BOUNDARIES = [
    ("500", []),
    ("500.01", ["department_managers"]),
    ("10000", ["department_managers"]),
    ("10000.01", ["department_managers", "finance_controllers"]),
    ("50000", ["department_managers", "finance_controllers"]),
    ("50000.01", ["department_managers", "finance_controllers", "cfo"]),
]


def test_the_routing_table_decides_who_approves_exactly_at_its_thresholds(p2p):
    started = [(p2p.priced(total), total, levels) for total, levels in BOUNDARIES]
    for iid, total, levels in started:
        data = p2p.data(iid)
        assert (dec(data["total_company"]), data["approval_levels"]) == (Decimal(total), levels)
        first = "approve_department" if levels else "prepare_purchase_order"
        assert [t["element_id"] for t in p2p.tasks(iid)] == [first]
        assert p2p.latest("purchase_requisition", iid)["status"] == ("pending_approval" if levels else "approved")
    evaluated = [e for e in p2p.api.events("decision.evaluated") if e["element_id"] == "route_approval"]
    assert len(evaluated) == len(BOUNDARIES)
    assert all(e["data"]["decision"] == "p2p_approval_routing" for e in evaluated)


def test_capex_it_over_budget_and_foreign_currency_requests_are_routed_by_the_catalogues_rules(p2p):
    small = [{"description": "Small item", "quantity": 1, "unit_price": 100}]
    cases = [
        ({"category": "capex", "justification": "Replacement of the loading-bay door (safety)."},
         ["department_managers", "finance_controllers"]),
        ({"category": "it_hardware"}, []),  # IT approves above 500 only
        ({"category": "it_hardware", "lines": [{"description": "Docking stations", "quantity": 4, "unit_price": 180}]},
         ["department_managers", "it"]),
        ({"cost_center": "CC-999"}, ["department_managers", "finance_controllers"]),  # no budget left
        ({"currency": "USD", "lines": [{"description": "US adapters", "quantity": 3, "unit_price": 181}]}, []),
        ({"currency": "USD", "lines": [{"description": "US adapters", "quantity": 3, "unit_price": 181.33}]},
         ["department_managers"]),  # 543.99 USD = 500.47 EUR
    ]
    started = [(p2p.request(**{"cost_center": "CC-900", "category": "indirect_material", "lines": small, **changes}),
                levels) for changes, levels in cases]
    for iid, levels in started:
        assert p2p.data(iid)["approval_levels"] == levels
    usd = p2p.data(started[-1][0])
    assert dec(usd["total"]) == Decimal("543.99") and dec(usd["total_company"]) == Decimal("500.47")


# -- approvals: the requester never approves, nobody approves twice, levels in order ----------------------
def test_the_requester_never_approves_their_own_request_whatever_groups_they_hold(p2p):
    iid = p2p.request("max", category="it_hardware", cost_center="CC-900", justification="Laptops for the new hires.",
                      lines=[{"item": "LAPTOP-14", "description": "Laptops", "quantity": 40, "unit_price": 1450}])
    assert p2p.data(iid)["approval_levels"] == ["department_managers", "it", "finance_controllers", "cfo"]
    for element_id, approver in (("approve_department", "bob"), ("approve_it", "ivan"),
                                 ("approve_finance", "frank"), ("approve_cfo", "cora")):
        p2p.refused(iid, element_id, "max", {"decision": "approve"})
        p2p.approve(iid, (element_id, approver))
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["prepare_purchase_order"]
    approvals = p2p.latest("purchase_requisition", iid)["data"]["approvals"]
    assert [(a["level"], a["decision"]) for a in approvals] == [
        ("department_managers", "approve"), ("it", "approve"), ("finance_controllers", "approve"), ("cfo", "approve")]


def test_who_approved_at_one_level_may_not_approve_at_the_next(p2p):
    iid = p2p.priced("20000")
    p2p.approve(iid, ("approve_department", "dana"))
    p2p.refused(iid, "approve_finance", "dana", {"decision": "approve"})
    p2p.approve(iid, ("approve_finance", "frank"))
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["prepare_purchase_order"]


def test_reject_and_return_need_a_comment(p2p):
    iid = p2p.priced("600")
    task = p2p.task(iid, "approve_department")
    for data, path in (({"decision": "reject"}, "/comment"), ({"decision": "return_for_rework", "comment": "no"},
                                                              "/comment"), ({"decision": "maybe"}, "/decision")):
        response = p2p.api.post(f"/api/v1/tasks/{task['id']}/complete", "bob", json={"data": data})
        assert path in [e["path"] for e in assert_problem(response, 422)["errors"]]


def test_a_rejected_requisition_ends_rejected(p2p):
    iid = p2p.priced("600")
    p2p.complete(iid, "approve_department", "bob", {"decision": "reject", "comment": "Not in this year's plan."})
    assert p2p.instance(iid)["status"] == "completed"
    requisition = p2p.latest("purchase_requisition", iid)
    assert requisition["status"] == "rejected"
    assert requisition["data"]["rejection_reason"] == "rejected by department_managers: Not in this year's plan."


def test_a_request_returned_for_rework_three_times_is_rejected_automatically(p2p):
    iid = p2p.priced("600")
    for round_ in (1, 2):
        p2p.complete(iid, "approve_department", "bob",
                     {"decision": "return_for_rework", "comment": f"Round {round_}: add a quote, please."})
        revise = p2p.task(iid, "revise_requisition")
        assert revise["assignee"] == "alice"  # the requester revises, nobody else
        response = p2p.api.post(f"/api/v1/tasks/{revise['id']}/complete", "bob",
                                json={"data": {"revision_action": "resubmit"}})
        assert response.status_code in (403, 409)
        assert p2p.latest("purchase_requisition", iid)["status"] == "returned"
        p2p.complete(iid, "revise_requisition", "alice",
                     {"revision_action": "resubmit", "justification": f"Quote attached (round {round_})."})
    p2p.complete(iid, "approve_department", "bob",
                 {"decision": "return_for_rework", "comment": "Round 3: still no quote."})
    assert p2p.instance(iid)["status"] == "completed"
    requisition = p2p.latest("purchase_requisition", iid)
    assert requisition["status"] == "rejected" and requisition["data"]["returns"] == 3
    assert requisition["data"]["rejection_reason"].startswith("returned for rework 3 times")


def test_a_revised_requisition_is_routed_again_on_its_new_total(p2p):
    iid = p2p.priced("600")
    p2p.complete(iid, "approve_department", "bob", {"decision": "return_for_rework", "comment": "Buy the better one."})
    p2p.complete(iid, "revise_requisition", "alice", {
        "revision_action": "resubmit", "lines": [{"description": "Better furniture", "quantity": 1,
                                                  "unit_price": 12000}],
        "justification": "The cheaper model failed the ergonomics test."})
    assert p2p.data(iid)["approval_levels"] == ["department_managers", "finance_controllers"]
    p2p.approve(iid, ("approve_department", "bob"), ("approve_finance", "frank"))
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["prepare_purchase_order"]


def test_a_requisition_above_5000_eur_without_a_reason_is_refused_by_the_start_rule(p2p):
    # the rule converts the total with the process's own exchange-rate table: 6,000 EUR, or 50,000 CNY
    for changes in ({"currency": "EUR"}, {"currency": "CNY", "lines": [{"description": "Office furniture",
                                                                      "quantity": 1, "unit_price": 50000}]}):
        data = {"title": "Office furniture", "cost_center": "CC-900", "category": "indirect_material",
                "needed_by": "2026-03-02", "justification": "short",
                "lines": [{"description": "Office furniture", "quantity": 1, "unit_price": 6000}], **changes}
        response = p2p.api.post("/api/v1/definitions/procure_to_pay/instances", "alice", json={"data": data})
        assert response.status_code == 422, response.text
        assert [(e["path"], e["message"]) for e in response.json()["errors"]] == [
            ("/justification", "is required above 5,000 EUR (20 characters or more)")]
    assert p2p.instances("procure_to_pay") == []
    iid = p2p.priced("5000", justification=None)  # 5,000 EUR exactly needs no reason
    assert p2p.data(iid)["problems"] == []


def test_a_requested_requisition_with_problems_goes_back_to_purchasing_without_counting_as_a_return(p2p):
    # No form checked the message: what is wrong goes to purchasing, who revise it for the requesting process.
    message = {"name": "purchase_request", "correlation": {"origin_ref": "EMP-0045"}, "data": {
        "origin_ref": "EMP-0045", "title": "Equipment for EMP-0045", "cost_center": "CC-200", "currency": "EUR",
        "needed_by": "2026-01-05", "category": "it_hardware", "type": "equipment",
        "lines": [{"item": "LAPTOP-14", "description": "Laptop", "quantity": 1, "unit_price": 1450}]}}
    (iid,) = p2p.api.post("/api/v1/messages", "ian", json=message).json()["started_instances"]
    assert any("needed by" in p for p in p2p.data(iid)["problems"])
    problem = p2p.complete(iid, "revise_requisition", "paul", {"revision_action": "resubmit"}, expect=422)
    assert [e["path"] for e in problem["errors"]] == ["/needed_by"]  # the kept date is still today
    p2p.complete(iid, "revise_requisition", "paul", {"revision_action": "resubmit", "needed_by": "2026-02-02"})
    assert p2p.data(iid)["returns"] == 0
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["approve_department"]


def test_the_start_form_validates_the_requisition(p2p):
    good = {"title": "Paper", "cost_center": "CC-100", "currency": "EUR", "needed_by": "2026-03-02",
            "lines": [{"description": "Paper", "quantity": 1, "unit_price": 24.5}], "category": None,
            "justification": None}
    for change, path in (({"currency": "euro"}, "/currency"), ({"needed_by": "2026-02-30"}, "/needed_by"),
                         ({"currency": "HKD"}, "/currency"),  # no exchange rate
                         ({"needed_by": "2026-01-05"}, "/needed_by"),  # today: the start's rule
                         ({"lines": []}, "/lines"), ({"cost_center": "100"}, "/cost_center"),
                         ({"category": "capex", "justification": "too short"}, "/justification"),
                         ({"category": "services"}, "/justification"),  # required for services, left out
                         ({"lines": [{"description": "Paper", "quantity": 0, "unit_price": 1}]}, "/lines/0/quantity")):
        response = p2p.api.post("/api/v1/definitions/procure_to_pay/instances", "alice",
                                json={"data": {**good, **change}})
        assert path in [e["path"] for e in assert_problem(response, 422)["errors"]], change
    assert p2p.api.post("/api/v1/definitions/procure_to_pay/instances", "alice",
                        json={"data": good}).status_code == 201
    # category and justification are optional: left out, the process reads them as null
    minimal = {key: value for key, value in good.items() if key not in ("category", "justification")}
    response = p2p.api.post("/api/v1/definitions/procure_to_pay/instances", "alice", json={"data": minimal})
    assert response.status_code == 201, response.text
    data = p2p.data(response.json()["id"])
    assert (data["category"], data["justification"]) == (None, None)
    assert [t["element_id"] for t in p2p.tasks(response.json()["id"])] == ["prepare_purchase_order"]  # 24.50 EUR


def test_an_order_materially_above_the_approved_total_is_approved_again(p2p):
    iid = p2p.priced("1000")
    p2p.approve(iid, ("approve_department", "bob"))
    p2p.order(iid, [{"line": 1, "quantity": 1, "unit_price": 1150}], supplier="SUP-001")  # 15 % more
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["approve_department"]
    p2p.approve(iid, ("approve_department", "bob"))
    order = p2p.latest("purchase_order", iid)
    assert order["status"] == "sent" and dec(order["data"]["total"]) == Decimal("1150")
    assert dec(p2p.latest("purchase_requisition", iid)["data"]["approved_total"]) == Decimal("1150")


def order_data(lines: list[dict], supplier: str = "SUP-001", expected: str = "2026-02-16") -> dict:
    return {"po_action": "place_order", "supplier": supplier, "expected_delivery_date": expected,
            "incoterm": "DAP", "order_lines": lines}


def test_an_order_the_buyer_could_have_got_right_is_refused_at_the_field_and_changes_nothing(p2p):
    iid = p2p.priced("1000", lines=[{"description": "Desk", "quantity": 1, "unit_price": 600},
                                    {"description": "Lamp", "quantity": 10, "unit_price": 40}])
    p2p.approve(iid, ("approve_department", "bob"))
    before = (p2p.data(iid), p2p.history(iid), p2p.task(iid, "prepare_purchase_order"))
    for data, errors in (
        (order_data([{"line": 1, "quantity": 1, "unit_price": 600}], supplier="SUP-005"),
         [("/supplier", "is not an approved supplier; choose another")]),
        (order_data([{"line": 1, "quantity": 1, "unit_price": 600}], supplier="SUP-999"),
         [("/supplier", "is not an approved supplier; choose another")]),
        (order_data([{"line": 3, "quantity": 1, "unit_price": 600}, {"line": 2, "quantity": 12, "unit_price": 40},
                     {"line": 2, "quantity": 1, "unit_price": 40}]),
         [("/order_lines/0/line", "is not a line of the requisition"),
          ("/order_lines/1/quantity", "may be at most 10 % more than requested"),
          ("/order_lines/2/line", "is ordered twice")]),
        (order_data([{"line": 1, "quantity": 1, "unit_price": 600}], expected="2025-12-31"),
         [("/expected_delivery_date", "may not be in the past")]),
    ):
        problem = p2p.complete(iid, "prepare_purchase_order", "paul", data, expect=422)
        assert [(e["path"], e["message"]) for e in problem["errors"]] == errors
        assert all(e["translations"]["zh-CN"] for e in problem["errors"])
    # nothing changed: no data, no step, no event, the same task still open for the buyer
    assert (p2p.data(iid), p2p.history(iid), p2p.task(iid, "prepare_purchase_order")) == before
    assert p2p.records("purchase_order", instance_id=iid) == []
    # cancelling needs no supplier, so the supplier rule does not apply to it
    p2p.complete(iid, "prepare_purchase_order", "paul", {"po_action": "cancel", "po_comment": "Bought elsewhere."})
    assert p2p.latest("purchase_requisition", iid)["status"] == "cancelled"


# -- reminders and escalation --------------------------------------------------------------------------------
def test_a_waiting_approval_is_reminded_after_two_days_and_escalated_after_five(p2p):
    iid = p2p.priced("600")
    p2p.api.clock.advance(days=2, seconds=1)
    p2p.run()
    assert [(m["To"], m["Subject"]) for m in p2p.mails()] == [
        ("department_managers@flowdesk.local", "Reminder: purchase requisition PR-2026-000001 waits for your approval")]
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["approve_department"]  # still bob's to do
    p2p.api.clock.advance(days=3)
    escalated = p2p.task(iid, "escalated_department")
    assert escalated["candidate_groups"] == ["finance_controllers"]
    p2p.approve(iid, ("escalated_department", "frank"))
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["prepare_purchase_order"]
    (approval,) = p2p.latest("purchase_requisition", iid)["data"]["approvals"]
    assert approval == {"level": "department_managers", "decision": "approve", "escalated": True, "comment": ""}


# -- cross-field rules of the forms: refused at submission (422 at the field), nothing reaches the process --
def test_receipt_and_invoice_cross_field_rules_are_field_errors_at_submission(p2p):
    iid = p2p.request()
    p2p.order(iid, [{"line": 1, "quantity": 10, "unit_price": 42}])
    p2p.confirm(iid)
    receipt = p2p.task(iid, "record_goods_receipt")

    def submit(task: dict, data: dict):
        return p2p.api.post(f"/api/v1/tasks/{task['id']}/complete", "wanda" if task is receipt else "aaron",
                            json={"data": data})

    def receipt_with(*lines: dict) -> dict:
        return {"delivery_note": "DN-1", "receipt_date": "2026-01-05", "receipt_lines": list(lines)}

    over = submit(receipt, receipt_with({"line": 1, "received_qty": 5, "accepted_qty": 5},
                                        {"line": 1, "received_qty": 5, "accepted_qty": 5.01,
                                         "rejection_reason": "counting"}))
    assert [(e["path"], e["message"]) for e in assert_problem(over, 422, "invalid-data")["errors"]] == [
        ("/receipt_lines/1/accepted_qty", "may not exceed the quantity received")]
    short = submit(receipt, receipt_with({"line": 1, "received_qty": 10, "accepted_qty": 8}))
    assert [e["path"] for e in assert_problem(short, 422)["errors"]] == ["/receipt_lines/0/rejection_reason"]
    assert p2p.task(iid, "record_goods_receipt")["id"] == receipt["id"]  # still open, nothing posted
    assert p2p.api.get("/api/v1/records/goods_receipt", "erin", params={"instance_id": iid}).json()["items"] == []
    p2p.receive(iid, [{"line": 1, "received_qty": 10, "accepted_qty": 10}])  # accepted == received: fine

    invoice = p2p.task(iid, "register_invoice")
    data = {"supplier_invoice_no": "NS-1", "invoice_date": "2026-01-05", "invoice_currency": "EUR",
            "invoice_lines": [{"line": 1, "quantity": 10, "unit_price": 42}], "net_amount": 420,
            "tax_amount": 79.8}
    for gross in (499.78, 499.82):
        refused = submit(invoice, {**data, "gross_amount": gross})
        assert [(e["path"], e["message"]) for e in assert_problem(refused, 422)["errors"]] == [
            ("/gross_amount", "must equal the net amount plus tax (within 0.01)")]
    p2p.complete(iid, "register_invoice", "aaron", {**data, "gross_amount": 499.81})  # within a cent
    assert p2p.latest("supplier_invoice", iid)["data"]["gross_amount"] == 499.81


# -- purchasing, receiving, invoicing: three different people ----------------------------------------------
def test_buyer_receiver_and_invoice_clerk_are_three_different_people_and_treasury_pays_someone_elses_invoice(p2p):
    iid = p2p.request()
    p2p.order(iid, [{"line": 1, "quantity": 10, "unit_price": 42}], user="pia")
    p2p.confirm(iid, user="pia")
    lines = [{"line": 1, "received_qty": 10, "accepted_qty": 10}]
    p2p.refused(iid, "record_goods_receipt", "pia", {"delivery_note": "DN-1", "receipt_date": "2026-01-05",
                                                     "receipt_lines": lines})
    p2p.receive(iid, lines, user="wanda")
    invoice = {"supplier_invoice_no": "NS-1", "invoice_date": "2026-01-05", "invoice_currency": "EUR",
               "invoice_lines": [{"line": 1, "quantity": 10, "unit_price": 42}], "net_amount": 420,
               "tax_amount": 79.8, "gross_amount": 499.8}
    p2p.refused(iid, "register_invoice", "pia", invoice)
    p2p.invoice(iid, [{"line": 1, "quantity": 10, "unit_price": 42}], user="tia")
    p2p.api.clock.advance(days=45, seconds=1)
    payment = {"payment_method": "sepa_credit_transfer", "value_date": "2026-02-19", "bank_reference": "SEPA-1"}
    p2p.refused(iid, "pay_invoice", "tia", payment)
    p2p.complete(iid, "pay_invoice", "tracy", payment)
    assert p2p.instance(iid)["status"] == "completed"


# -- the three-way match -------------------------------------------------------------------------------------------
def test_a_unit_price_within_2_percent_of_the_order_matches_and_beyond_it_blocks_the_invoice(p2p):
    iid = p2p.request("frank", lines=[
        {"item": "STEEL-SHEET-2MM", "description": f"Steel, lot {lot}", "quantity": 1, "unit_price": 100}
        for lot in "ABCD"])  # 400 EUR: approved without anyone
    p2p.order(iid, [{"line": line, "quantity": 1, "unit_price": 100} for line in (1, 2, 3, 4)])
    p2p.confirm(iid)
    p2p.receive(iid, [{"line": line, "received_qty": 1, "accepted_qty": 1} for line in (1, 2, 3, 4)])
    p2p.invoice(iid, [{"line": 1, "quantity": 1, "unit_price": 102.00}, {"line": 2, "quantity": 1, "unit_price": 102.01},
                      {"line": 3, "quantity": 1, "unit_price": 98.00}, {"line": 4, "quantity": 1, "unit_price": 97.99}])
    invoice = p2p.latest("supplier_invoice", iid)
    assert invoice["status"] == "blocked"
    assert [(m["line"], m["status"]) for m in invoice["data"]["match"]] == [
        (1, "MATCH"), (2, "PRICE_VAR"), (3, "MATCH"), (4, "PRICE_VAR")]
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["resolve_invoice_exception"]

    # Accounts payable accepts the variance; a finance controller other than the requester approves it.
    p2p.complete(iid, "resolve_invoice_exception", "aaron", {
        "resolution": "accept_variance", "variance_reason": "rounding",
        "exception_comment": "Lot prices differ by cents; agreed with the buyer."})
    p2p.refused(iid, "approve_variance", "frank", {"decision": "approve"})
    p2p.approve(iid, ("approve_variance", "dana"))
    assert p2p.latest("supplier_invoice", iid)["status"] == "posted"
    assert p2p.tasks(iid) == []  # waiting for the payment terms


def test_the_buyer_may_not_resolve_the_invoice_exception_of_their_own_order(p2p):
    iid = p2p.request()
    p2p.order(iid, [{"line": 1, "quantity": 10, "unit_price": 42}], user="pia")
    p2p.confirm(iid, user="pia")
    p2p.receive(iid, [{"line": 1, "received_qty": 10, "accepted_qty": 10}])
    p2p.invoice(iid, [{"line": 1, "quantity": 10, "unit_price": 43}])  # 2.4 % above the order
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["resolve_invoice_exception"]
    resolution = {"resolution": "reject_invoice", "exception_comment": "Price is not the one we ordered at."}
    p2p.refused(iid, "resolve_invoice_exception", "pia", resolution)  # pia ordered: accounts payable, but not her
    p2p.complete(iid, "resolve_invoice_exception", "tia", resolution)
    assert p2p.latest("supplier_invoice", iid)["status"] == "rejected"


def test_an_escalated_approval_still_refuses_the_requester(p2p):
    iid = p2p.request("frank", cost_center="CC-900", category="indirect_material",
                      justification="Chairs for the new meeting room.",
                      lines=[{"description": "Meeting chairs", "quantity": 1, "unit_price": 600}])
    p2p.api.clock.advance(days=5, seconds=1)
    escalated = p2p.task(iid, "escalated_department")
    assert escalated["candidate_groups"] == ["finance_controllers"]
    p2p.refused(iid, "escalated_department", "frank", {"decision": "approve"})  # his own request
    p2p.approve(iid, ("escalated_department", "dana"))
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["prepare_purchase_order"]


def test_more_invoiced_than_received_blocks_the_invoice_until_a_corrected_one_arrives(p2p):
    iid = p2p.request()
    p2p.order(iid, [{"line": 1, "quantity": 10, "unit_price": 42}])
    p2p.confirm(iid)
    p2p.receive(iid, [{"line": 1, "received_qty": 10, "accepted_qty": 8, "rejection_reason": "two sheets bent"}])
    (returned,) = [m for m in p2p.mails() if m["Subject"].startswith("Return to vendor")]
    assert "2 x Steel sheet 2 mm: two sheets bent" in returned.get_content()
    p2p.receive(iid, [{"line": 1, "received_qty": 2, "accepted_qty": 2}], note="DN-4712")  # the replacements
    p2p.invoice(iid, [{"line": 1, "quantity": 12, "unit_price": 42}], number="NS-1")
    blocked = p2p.latest("supplier_invoice", iid)
    assert blocked["status"] == "blocked" and blocked["data"]["match"][0]["status"] == "QTY_VAR"
    p2p.complete(iid, "resolve_invoice_exception", "aaron",
                 {"resolution": "reject_invoice", "exception_comment": "Invoices 12 sheets, 10 were delivered."})
    assert p2p.api.get(f"/api/v1/records/supplier_invoice/{blocked['number']}", "erin").json()["status"] == "rejected"
    # the same invoice number again is a duplicate, refused at the number; the corrected invoice is posted
    problem = p2p.complete(iid, "register_invoice", "aaron", {
        "supplier_invoice_no": "NS-1", "invoice_date": "2026-01-05", "invoice_currency": "EUR",
        "invoice_lines": [{"line": 1, "quantity": 10, "unit_price": 42}], "net_amount": 420, "tax_amount": 79.8,
        "gross_amount": 499.8}, expect=422)
    assert [(e["path"], e["translations"]["zh-CN"]) for e in problem["errors"]] == [
        ("/supplier_invoice_no", "该发票曾被拒收：更正后的发票应有新的编号")]  # noqa: RUF001
    p2p.invoice(iid, [{"line": 1, "quantity": 10, "unit_price": 42}], number="NS-1-C")
    invoices = p2p.api.get("/api/v1/records/supplier_invoice", "erin", params={"instance_id": iid}).json()["items"]
    assert sorted((i["number"], i["data"]["supplier_invoice_no"], i["status"]) for i in invoices) == [
        ("SINV-2026-000001", "NS-1", "rejected"), ("SINV-2026-000002", "NS-1-C", "posted")]
    receipts = p2p.api.get("/api/v1/records/goods_receipt", "erin", params={"instance_id": iid}).json()["items"]
    assert sorted(r["number"] for r in receipts) == ["GR-2026-000001", "GR-2026-000002"]


def test_a_receipt_the_warehouse_could_have_got_right_is_refused_at_the_field(p2p):
    iid = p2p.request()
    p2p.order(iid, [{"line": 1, "quantity": 10, "unit_price": 42}])
    p2p.confirm(iid)
    p2p.receive(iid, [{"line": 1, "received_qty": 6, "accepted_qty": 6}])
    before = (p2p.data(iid), p2p.history(iid))
    problem = p2p.complete(iid, "record_goods_receipt", "wanda", {
        "delivery_note": "DN-4712", "receipt_date": "2027-01-05",
        "receipt_lines": [{"line": 1, "received_qty": 5, "accepted_qty": 5}, {"line": 2, "received_qty": 1,
                                                                               "accepted_qty": 1}]}, expect=422)
    assert [(e["path"], e["message"]) for e in problem["errors"]] == [
        ("/receipt_date", "may not be in the future"),
        ("/receipt_lines/0/accepted_qty", "would, with what was accepted before, exceed the quantity ordered"),
        ("/receipt_lines/1/line", "is not a line of the purchase order")]
    assert (p2p.data(iid), p2p.history(iid)) == before
    assert len(p2p.records("goods_receipt", instance_id=iid)) == 1


# -- cancellation --------------------------------------------------------------------------------------------------
def test_the_requester_may_withdraw_a_returned_request(p2p):
    iid = p2p.priced("600")
    p2p.complete(iid, "approve_department", "bob", {"decision": "return_for_rework", "comment": "Is this needed?"})
    p2p.complete(iid, "revise_requisition", "alice",
                 {"revision_action": "withdraw", "revision_comment": "Facilities found spare furniture."})
    assert p2p.instance(iid)["status"] == "cancelled"  # withdrawn: not counted as done
    assert p2p.latest("purchase_requisition", iid)["status"] == "cancelled"


def test_purchasing_may_cancel_before_ordering(p2p):
    iid = p2p.priced("400")
    p2p.complete(iid, "prepare_purchase_order", "paul",
                 {"po_action": "cancel", "po_comment": "No supplier can deliver in time."})
    assert p2p.latest("purchase_requisition", iid)["status"] == "cancelled"
    assert p2p.instance(iid)["status"] == "cancelled"


def test_a_cancellation_after_the_order_is_agreed_with_the_supplier_and_refused_once_goods_arrived(p2p):
    iid = p2p.request()
    p2p.order(iid, [{"line": 1, "quantity": 10, "unit_price": 42}])
    p2p.confirm(iid)
    number = p2p.latest("purchase_requisition", iid)["number"]
    cancel = {"name": "purchase_request_cancelled", "correlation": {"origin_ref": number},
              "data": {"origin_ref": number, "reason": "the customer order was cancelled"}}
    assert p2p.api.post("/api/v1/messages", "ian", json=cancel).json()["correlated_instances"] == [iid]
    p2p.complete(iid, "confirm_order_cancellation", "paul",
                 {"supplier_confirmation": "Cancelled by phone with J. Berg on 2026-01-05."})
    assert p2p.latest("purchase_order", iid)["status"] == "cancelled"
    assert p2p.latest("purchase_requisition", iid)["status"] == "cancelled"
    assert p2p.instance(iid)["status"] == "cancelled"

    partly = p2p.request()
    p2p.order(partly, [{"line": 1, "quantity": 10, "unit_price": 42}])
    p2p.confirm(partly)
    p2p.receive(partly, [{"line": 1, "received_qty": 4, "accepted_qty": 4}])
    number = p2p.latest("purchase_requisition", partly)["number"]
    cancel["correlation"] = {"origin_ref": number}
    cancel["data"]["origin_ref"] = number
    assert p2p.api.post("/api/v1/messages", "ian", json=cancel).status_code == 200
    assert [t["element_id"] for t in p2p.tasks(partly)] == ["record_goods_receipt"]
    assert p2p.latest("purchase_order", partly)["data"]["cancellation_refused"].startswith("cancelled by")


def test_a_late_delivery_goes_to_purchasing_who_agree_a_new_date_or_short_close(p2p):
    iid = p2p.request()
    p2p.order(iid, [{"line": 1, "quantity": 10, "unit_price": 42}])
    p2p.confirm(iid, date="2026-01-07")
    p2p.receive(iid, [{"line": 1, "received_qty": 6, "accepted_qty": 6}])
    p2p.api.clock.advance(days=4, seconds=1)  # two days after the confirmed date
    p2p.complete(iid, "expedite_delivery", "paul", {"expedite_action": "wait", "new_expected_date": "2026-01-12"})
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["record_goods_receipt"]
    p2p.api.clock.advance(days=5, seconds=1)
    # six sheets arrived: the order can be short-closed, not cancelled, and a new date is not in the past
    for data, path in (({"expedite_action": "cancel_order", "expedite_comment": "Supplier cannot deliver."},
                        "/expedite_action"),
                       ({"expedite_action": "wait", "new_expected_date": "2026-01-02"}, "/new_expected_date")):
        problem = p2p.complete(iid, "expedite_delivery", "paul", data, expect=422)
        assert [e["path"] for e in problem["errors"]] == [path]
    p2p.complete(iid, "expedite_delivery", "paul",
                 {"expedite_action": "short_close", "expedite_comment": "The rest is back-ordered until May."})
    order = p2p.latest("purchase_order", iid)
    assert order["data"]["short_closed"] is True and order["status"] == "partially_received"
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["register_invoice"]


# -- another process asks: purchase_request in, goods_received / purchase_request_rejected back --------------
ORIGIN = """
process: p2p_test_origin
start: {data: [origin_ref, quantity]}
messages:
  purchase_request: {correlation: {origin_ref: origin_ref}}
  goods_received: {correlation: {origin_ref: origin_ref}}
  purchase_request_rejected: {correlation: {origin_ref: origin_ref}}
steps:
  - send: ask
    message: purchase_request
    payload: >-
      {"origin_ref": origin_ref, "title": "Components for " + origin_ref, "cost_center": "CC-300",
       "currency": "EUR", "needed_by": "2026-02-20", "category": "direct_material", "type": "stock",
       "justification": "Components short for production order " + origin_ref,
       "lines": [{"item": "STEEL-SHEET-2MM", "description": "Steel sheet", "quantity": quantity, "unit_price": 42}]}
  - exclusive: which
    branches:
      - {if: quantity > 100, to: refused}
    default: delivered
  - receive: delivered
    message: goods_received
    variable: delivery
  - end: done
  - receive: refused
    message: purchase_request_rejected
    variable: rejection
"""


def test_another_process_asks_with_purchase_request_and_hears_back_when_the_goods_arrive(p2p):
    p2p.api.deploy(SourceFile("p2p_test_origin.yaml", ORIGIN.encode()))
    started = p2p.api.post("/api/v1/definitions/p2p_test_origin/instances", "alice",
                           json={"data": {"origin_ref": "MO-2026-000042", "quantity": 10}})
    origin = started.json()["id"]
    p2p.run()
    instances = p2p.api.get("/api/v1/instances", "erin", params={"definition_key": "procure_to_pay_request"})
    (iid,) = [i["id"] for i in instances.json()["items"]]
    data = p2p.data(iid)
    assert data["origin_ref"] == "MO-2026-000042" and data["approval_levels"] == []  # 420 EUR: no approval
    assert p2p.latest("purchase_requisition", iid)["data"]["origin_ref"] == "MO-2026-000042"
    p2p.ordered_and_received(iid)
    delivered = p2p.instance(origin)
    assert delivered["status"] == "completed"
    assert delivered["data"]["delivery"]["goods_receipt"] == "GR-2026-000001"
    assert delivered["data"]["delivery"]["lines"] == [{"item": "STEEL-SHEET-2MM", "description": "Steel sheet",
                                                       "quantity": 10}]
    assert p2p.instance(iid)["status"] == "running"  # the invoice and payment go on


def test_a_rejected_purchase_request_is_answered_with_the_reason(p2p):
    p2p.api.deploy(SourceFile("p2p_test_origin.yaml", ORIGIN.encode()))
    origin = p2p.api.post("/api/v1/definitions/p2p_test_origin/instances", "alice",
                          json={"data": {"origin_ref": "MO-2026-000043", "quantity": 300}}).json()["id"]
    p2p.run()
    (iid,) = [i["id"] for i in p2p.api.get("/api/v1/instances", "erin",
                                           params={"definition_key": "procure_to_pay_request"}).json()["items"]]
    assert p2p.data(iid)["approval_levels"] == ["department_managers", "finance_controllers"]  # 12,600 EUR
    p2p.complete(iid, "approve_department", "bob", {"decision": "reject", "comment": "Use the stock in Lyon."})
    answered = p2p.instance(origin)
    assert answered["status"] == "completed"
    assert answered["data"]["rejection"]["reason"] == "rejected by department_managers: Use the stock in Lyon."


def test_purchasing_revises_a_returned_request_for_the_process_that_asked(p2p):
    message = {"name": "purchase_request", "correlation": {"origin_ref": "EMP-0042"}, "data": {
        "origin_ref": "EMP-0042", "title": "Equipment for EMP-0042", "cost_center": "CC-200", "currency": "EUR",
        "needed_by": "2026-02-01", "category": "it_hardware", "type": "equipment",
        "lines": [{"item": "LAPTOP-14", "description": "Laptop", "quantity": 1, "unit_price": 1450}]}}
    (iid,) = p2p.api.post("/api/v1/messages", "ian", json=message).json()["started_instances"]
    p2p.approve(iid, ("approve_department", "bob"))
    p2p.complete(iid, "approve_it", "ivan", {"decision": "return_for_rework", "comment": "Order the 13-inch model."})
    revise = p2p.task(iid, "revise_requisition")
    assert revise["candidate_groups"] == ["purchasing"] and revise["assignee"] is None
    p2p.complete(iid, "revise_requisition", "paul", {"revision_action": "resubmit", "lines": [
        {"item": "LAPTOP-14", "description": "Laptop 13-inch", "quantity": 1, "unit_price": 1390}]})
    p2p.approve(iid, ("approve_department", "bob"), ("approve_it", "ivan"))
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["prepare_purchase_order"]


def test_a_request_started_by_another_process_still_refuses_the_original_requester(p2p):
    """Separation of duties across linked instances: a purchase request started by another
    instance's message is started for the person who started that instance, so the
    approvals' `separate_from: [starter]` refuses them (403, audited as access.denied)."""
    asker = REPO / "tests" / "processes" / "definitions" / "equipment_asker.yaml"
    p2p.api.deploy(SourceFile(asker.name, asker.read_bytes()))
    started = p2p.api.post("/api/v1/definitions/equipment_asker/instances", "max",
                           json={"data": {"origin_ref": "EMP-0043"}})
    assert started.status_code == 201, started.text
    p2p.run()
    (request,) = p2p.api.get("/api/v1/instances", "erin",
                             params={"definition_key": "procure_to_pay_request"}).json()["items"]
    iid = request["id"]
    assert request["started_by"] == "max"  # propagated from the sending instance
    correlated = [e for e in p2p.api.get(f"/api/v1/instances/{iid}/history", "erin").json()["items"]
                  if e["type"] == "message.correlated"]
    assert correlated[0]["data"]["sender"] == started.json()["id"]
    # max holds every approving group, and is still the requester at every level
    p2p.refused(iid, "approve_department", "max", {"decision": "approve"})
    p2p.approve(iid, ("approve_department", "bob"))
    p2p.refused(iid, "approve_it", "max", {"decision": "approve"})
    p2p.approve(iid, ("approve_it", "ivan"))
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["prepare_purchase_order"]


def test_a_request_sent_by_an_integration_has_no_person_behind_it_to_refuse(p2p):
    message = {"name": "purchase_request", "correlation": {"origin_ref": "EMP-0044"}, "data": {
        "origin_ref": "EMP-0044", "title": "Equipment for EMP-0044", "cost_center": "CC-200", "currency": "EUR",
        "needed_by": "2026-02-01", "category": "it_hardware", "type": "equipment",
        "lines": [{"item": "LAPTOP-14", "description": "Laptop", "quantity": 1, "unit_price": 1450}]}}
    (iid,) = p2p.api.post("/api/v1/messages", "ian", json=message).json()["started_instances"]
    assert p2p.instance(iid)["started_by"] == "ian"
    p2p.approve(iid, ("approve_department", "max"))


def test_a_cancel_message_reaches_a_request_waiting_for_its_revision(p2p):
    message = {"name": "purchase_request", "correlation": {"origin_ref": "EMP-0043"}, "data": {
        "origin_ref": "EMP-0043", "title": "Equipment for EMP-0043", "cost_center": "CC-200", "currency": "EUR",
        "needed_by": "2026-02-01", "category": "it_hardware", "type": "equipment",
        "lines": [{"item": "LAPTOP-14", "description": "Laptop", "quantity": 1, "unit_price": 1450}]}}
    (requested,) = p2p.api.post("/api/v1/messages", "ian", json=message).json()["started_instances"]
    p2p.approve(requested, ("approve_department", "bob"))
    p2p.complete(requested, "approve_it", "ivan", {"decision": "return_for_rework", "comment": "Order the other model."})
    by_hand = p2p.priced("600")
    p2p.complete(by_hand, "approve_department", "bob", {"decision": "return_for_rework", "comment": "Add a quote, please."})

    for iid, origin in ((requested, "EMP-0043"), (by_hand, p2p.latest("purchase_requisition", by_hand)["number"])):
        assert [t["element_id"] for t in p2p.tasks(iid)] == ["revise_requisition"]
        cancel = {"name": "purchase_request_cancelled", "correlation": {"origin_ref": origin},
                  "data": {"origin_ref": origin, "reason": "no longer needed"}}
        answer = p2p.api.post("/api/v1/messages", "ian", json=cancel)
        assert answer.status_code == 200 and answer.json()["correlated_instances"] == [iid]
        assert p2p.latest("purchase_requisition", iid)["status"] == "cancelled"
        assert p2p.instance(iid)["status"] == "cancelled"


# -- the two entry points stay one process -----------------------------------------------------------------------
def test_the_message_started_variant_runs_the_same_steps_as_the_form_started_one():
    manual = yaml.safe_load((REPO / "processes" / "procure_to_pay.yaml").read_text())
    requested = yaml.safe_load((REPO / "processes" / "procure_to_pay_request.yaml").read_text())
    differ = {"receive_requisition", "receive_request", "revise_requisition"}
    kinds = {"user", "script", "service", "decide", "call", "send", "receive", "wait", "exclusive", "inclusive",
             "parallel", "end"}

    def steps(model: dict) -> list:
        return [s for s in model["steps"] if not differ & {s[k] for k in kinds & s.keys()}]

    assert steps(manual) == steps(requested)
    assert manual["lanes"] == requested["lanes"] and manual["messages"].items() <= requested["messages"].items()
    assert requested["start"]["message"] == "purchase_request"
