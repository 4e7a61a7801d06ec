"""lead_to_cash, through the HTTP API: what the sales, finance, warehouse and billing
people can rely on.

A sales rep takes a lead to a quote; a discount above 10 % needs a sales manager, above 25 %
also a sales director (decision table l2c_discount_approval, tested at 10, 10.01, 25 and
25.01). The accepted quote becomes a sales order (SO-...) that passes a credit check; an
order over the customer's credit limit waits for a finance controller who did not enter
it. Lines short of stock are made to order (production_demand / production_completed),
the warehouse ships (DLV-...), billing - never the shipper - invoices (INV-..., unpaid),
and payments are applied; an unpaid invoice gets three reminders a week apart after its
due date, the third puts the customer on credit hold, then collections decides.

Every test works on a copy of one template database (shipped definitions deployed, seed
data loaded, the people of tests/support/scenario.py created); time moves only on the injected clock, and
background work (service calls, timers, messages) runs through ``JobExecutor.run_due()``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.support.client import assert_problem
from tests.support.scenario import Scenario as Business

LEAD = {"company_name": "Acme Office Supplies GmbH", "contact_name": "Jana Berg",
        "email": "jana.berg@acme.example", "country": "DE", "source": "referral", "consent_marketing": True}
QUALIFIED = {"outcome": "qualified", "need": "Forty ergonomic chairs for a new office floor.",
             "customer": "CUST-ACME", "expected_revenue": 12000, "expected_close_date": "2026-03-31"}


def quote(*lines: tuple[str, int, str], discount: str = "0", **extra: Any) -> dict:
    """Amounts are written as decimal text and sent as JSON numbers (the API reads them as
    decimals, so 10.01 is exactly 10.01)."""
    return {"currency": "EUR", "validity_days": 30, "payment_terms_days": 30, "discount_percent": float(discount),
            "lines": [{"item": item, "quantity": qty, "unit_price": float(price)} for item, qty, price in lines],
            **extra}


def accepted(amount: str, **extra: Any) -> dict:
    return {"response": "accepted", "customer_po_no": "ACME-PO-4711", "customer_po_date": "2026-01-06",
            "customer_po_amount": float(amount), "requested_delivery_date": "2026-02-27", **extra}


SHIPMENT = {"ship_date": "2026-01-12", "carrier": "DHL Freight", "tracking_no": "JD0146000012345", "packages": 1}
INVOICE = {"invoice_date": "2026-01-12", "payment_terms_days": 30}


# -- helpers that walk the common stretches -------------------------------------------------------
def to_quote(biz: Business, customer: str = "CUST-ACME", rep: str = "sam") -> str:
    instance = biz.start("lead_to_cash", rep, LEAD)
    biz.complete(instance["id"], "qualify_lead", rep, {**QUALIFIED, "customer": customer})
    biz.task(instance["id"], "prepare_quote")
    return instance["id"]


def to_order(biz: Business, lines: list[tuple[str, int, str]], customer: str = "CUST-ACME", rep: str = "sam") -> str:
    """Lead -> quote without discount -> customer accepts: the sales order is entered."""
    iid = to_quote(biz, customer, rep)
    data = biz.complete(iid, "prepare_quote", rep, quote(*lines))["data"]
    biz.complete(iid, "customer_response", rep, accepted(str(data["quote_total"])))
    return iid


def test_happy_path_from_stock_lead_quote_order_delivery_invoice_payment(biz):
    iid = biz.start("lead_to_cash", "sam", LEAD)["id"]
    lead = biz.instance(iid)["data"]["lead"]
    assert lead.startswith("LEAD-2026-") and biz.record("lead", lead)["status"] == "new"

    biz.complete(iid, "qualify_lead", "sam", QUALIFIED)
    assert biz.record("lead", lead)["status"] == "opportunity"
    data = biz.complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 10, "320.00"), discount="10"))["data"]
    # 10 % is the rep's own authority: no approval, the quote goes out.
    assert Decimal(str(data["quote_total"])) == Decimal("2880.00")
    sales_quote = biz.record("sales_quote", data["quote_number"])
    assert sales_quote["number"].startswith("QT-2026-") and sales_quote["status"] == "sent"
    assert sales_quote["data"]["approval_level"] == "auto"

    biz.complete(iid, "customer_response", "sam", accepted("2880.00"))
    data = biz.instance(iid)["data"]
    order = biz.record("sales_order", data["sales_order"])
    assert order["number"].startswith("SO-2026-") and order["data"]["quote"] == sales_quote["number"]
    # Acme has a 50,000 limit and nothing open: the order is confirmed and, in stock, issued.
    assert order["data"]["credit_check"]["would_exceed"] is False
    assert biz.record("item", "CHAIR-ERGO")["data"]["on_hand"] == 40
    assert biz.task(iid, "ship_order")["candidate_groups"] == ["warehouse"]

    biz.complete(iid, "ship_order", "walt", SHIPMENT)   # walt: warehouse and accounts receivable
    (delivery,) = biz.records("delivery", instance_id=iid)
    assert delivery["number"].startswith("DLV-2026-") and delivery["status"] == "shipped"
    assert biz.record("sales_order", order["number"])["status"] == "delivered"

    # Whoever shipped may not invoice, nor apply the customer's payment.
    biz.assert_sod_refused(iid, "issue_invoice", "walt", INVOICE)
    biz.complete(iid, "issue_invoice", "rob", INVOICE)
    (invoice,) = biz.records("customer_invoice", instance_id=iid)
    assert invoice["number"].startswith("INV-2026-") and invoice["status"] == "unpaid"
    assert Decimal(str(invoice["data"]["total"])) == Decimal("2880.00")
    assert invoice["data"]["due_date"] == "2026-02-04"

    biz.assert_sod_refused(iid, "apply_payment", "walt",
                           {"payment_reference": "BANK-1", "amount": 2880.00, "value_date": "2026-01-20"})
    done = biz.complete(iid, "apply_payment", "rob",
                        {"payment_reference": "BANK-1", "amount": 2880.00, "value_date": "2026-01-20"})
    assert done["status"] == "completed"
    assert biz.record("customer_invoice", invoice["number"])["status"] == "paid"
    assert biz.record("sales_order", order["number"])["status"] == "completed"
    (payment,) = biz.records("payment", instance_id=iid)
    assert payment["number"].startswith("PAY-2026-") and payment["data"]["direction"] == "incoming"


# -- lead ---------------------------------------------------------------------------------------
def test_only_sales_starts_a_lead_and_the_lead_form_is_validated(biz):
    response = biz.api.client.post("/api/v1/definitions/lead_to_cash/instances", headers=biz.h("wanda"),
                                   json={"data": LEAD})
    assert_problem(response, 403)
    invalid = biz.api.client.post("/api/v1/definitions/lead_to_cash/instances", headers=biz.h("sam"),
                                  json={"data": {**LEAD, "email": "not-an-address", "country": "Germany"}})
    paths = {e["path"] for e in assert_problem(invalid, 422)["errors"]}
    assert paths == {"/email", "/country"}


def test_a_disqualified_lead_ends_with_its_reason_and_a_nurtured_one_comes_back_in_90_days(biz):
    iid = biz.start("lead_to_cash", "sam", LEAD)["id"]
    refused = biz.try_complete(iid, "qualify_lead", "sam", {"outcome": "disqualified", "need": "x" * 20})
    assert [e["path"] for e in assert_problem(refused, 422)["errors"]] == ["/disqualify_reason"]
    biz.complete(iid, "qualify_lead", "sam", {"outcome": "nurture", "need": "Maybe new desks next year, no budget yet."})
    lead = biz.instance(iid)["data"]["lead"]
    assert biz.record("lead", lead)["status"] == "nurture" and biz.instance(iid)["open_tasks"] == []
    biz.later(days=89)
    assert biz.instance(iid)["open_tasks"] == []
    biz.later(days=1)
    done = biz.complete(iid, "qualify_lead", "sam",
                        {"outcome": "disqualified", "need": "Bought from a competitor in the meantime.",
                         "disqualify_reason": "competitor_locked"})
    assert done["status"] == "completed"
    assert biz.record("lead", lead)["status"] == "disqualified"
    assert biz.record("lead", lead)["data"]["disqualify_reason"] == "competitor_locked"


# -- quote: the discount table at its boundaries -----------------------------------------------------
@pytest.mark.parametrize(("discount", "approvers"), [
    ("10", []),
    ("10.01", ["manager_approval"]),
    ("25", ["manager_approval"]),
    ("25.01", ["manager_approval", "director_approval"]),
])
def test_discount_approval_boundaries(biz, discount, approvers):
    iid = to_quote(biz)
    # Discounts and prices are in hundredths: 10.001 % is not a discount anyone can approve.
    finer = biz.try_complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 10, "320.005"), discount="10.001"))
    assert {e["path"] for e in assert_problem(finer, 422)["errors"]} == {"/discount_percent", "/lines/0/unit_price"}
    biz.complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 10, "320.00"), discount=discount))
    seen = []
    for _ in approvers:
        (task,) = biz.instance(iid)["open_tasks"]
        seen.append(task["element_id"])
        approver = {"manager_approval": "mia", "director_approval": "dirk"}[task["element_id"]]
        biz.complete(iid, task["element_id"], approver, {"decision": "approve"})
    assert seen == approvers
    assert [t["element_id"] for t in biz.instance(iid)["open_tasks"]] == ["customer_response"]
    decisions = [e for e in biz.history(iid) if e["type"] == "decision.evaluated"]
    assert decisions[-1]["data"]["decision"] == "l2c_discount_approval"
    level = biz.instance(iid)["data"]["approval_level"]
    assert level == {0: "auto", 1: "sales_managers", 2: "sales_directors"}[len(approvers)]
    number = biz.instance(iid)["data"]["quote_number"]
    assert biz.record("sales_quote", number)["status"] == "sent"
    assert Decimal(str(biz.record("sales_quote", number)["data"]["discount_percent"])) == Decimal(discount)


def test_the_quote_preparer_may_not_approve_and_the_manager_may_not_approve_again_as_director(biz):
    iid = biz.start("lead_to_cash", "sal", LEAD)["id"]   # sal: sales and sales_managers
    biz.complete(iid, "qualify_lead", "sal", QUALIFIED)
    biz.complete(iid, "prepare_quote", "sal", quote(("CHAIR-ERGO", 10, "320.00"), discount="30"))
    biz.assert_sod_refused(iid, "manager_approval", "sal", {"decision": "approve"})
    biz.complete(iid, "manager_approval", "max", {"decision": "approve"})  # max: manager and director
    biz.assert_sod_refused(iid, "director_approval", "max", {"decision": "approve"})
    biz.complete(iid, "director_approval", "dirk", {"decision": "approve"})
    assert [t["element_id"] for t in biz.instance(iid)["open_tasks"]] == ["customer_response"]


def test_a_returned_quote_is_revised_and_approved_again_and_three_returns_reject_it(biz):
    iid = to_quote(biz)
    biz.complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 10, "320.00"), discount="15"))
    number = biz.instance(iid)["data"]["quote_number"]
    refused = biz.try_complete(iid, "manager_approval", "mia", {"decision": "return_for_rework"})
    assert [e["path"] for e in assert_problem(refused, 422)["errors"]] == ["/comment"]
    for round_ in range(1, 4):
        biz.complete(iid, "manager_approval", "mia", {"decision": "return_for_rework",
                                                      "comment": "Discount too high for this volume."})
        if round_ < 3:
            biz.complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 10, "320.00"), discount="12"))
            assert biz.instance(iid)["data"]["quote_number"] == number  # the same quote, revised
            assert biz.record("sales_quote", number)["data"]["revision"] == round_
    assert biz.instance(iid)["status"] == "completed"    # the third return rejects the quote
    assert biz.record("sales_quote", number)["status"] == "rejected"
    assert biz.records("sales_order", instance_id=iid) == []


def test_a_rejected_quote_ends_and_a_lost_quote_records_its_reason(biz):
    iid = to_quote(biz)
    biz.complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 10, "320.00"), discount="20"))
    done = biz.complete(iid, "manager_approval", "mia", {"decision": "reject", "comment": "Margin is not acceptable."})
    assert done["status"] == "completed"
    assert biz.record("sales_quote", done["data"]["quote_number"])["status"] == "rejected"

    iid = to_quote(biz)
    biz.complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 10, "320.00")))
    refused = biz.try_complete(iid, "customer_response", "sam", {"response": "rejected", "lost_reason": "competitor"})
    assert [e["path"] for e in assert_problem(refused, 422)["errors"]] == ["/competitor"]
    done = biz.complete(iid, "customer_response", "sam",
                        {"response": "rejected", "lost_reason": "competitor", "competitor": "Chairs4Less"})
    assert done["status"] == "completed"
    lost = biz.record("sales_quote", done["data"]["quote_number"])
    assert lost["status"] == "lost" and lost["data"]["lost_reason"] == "competitor"
    assert biz.records("sales_order", instance_id=iid) == []


def test_a_quote_expires_when_its_validity_runs_out(biz):
    iid = to_quote(biz)
    biz.complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 10, "320.00"), validity_days=14))
    assert biz.task(iid, "customer_response")["due_at"].startswith("2026-01-19T09:00:00")
    biz.later(days=14)
    done = biz.instance(iid)
    assert done["status"] == "completed"
    assert biz.record("sales_quote", done["data"]["quote_number"])["status"] == "expired"


def test_a_purchase_order_that_does_not_match_the_quote_sends_it_back_for_revision(biz):
    iid = to_quote(biz)
    biz.complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 10, "320.00")))  # 3,200.00
    biz.complete(iid, "customer_response", "sam", accepted("3216.01"))   # 0.5 % + 0.01 off
    assert [t["element_id"] for t in biz.instance(iid)["open_tasks"]] == ["prepare_quote"]
    biz.complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 10, "320.00")))
    biz.complete(iid, "customer_response", "sam", accepted("3216.00"))   # within 0.5 %
    assert biz.instance(iid)["data"]["sales_order"].startswith("SO-")


# -- credit check -------------------------------------------------------------------------------------
def test_an_order_over_the_credit_limit_is_blocked_until_a_finance_controller_releases_it(biz):
    # Beta's limit is 5,000; a first order of 3,840 is within it and confirmed ...
    first = to_order(biz, [("CHAIR-ERGO", 12, "320.00")], customer="CUST-BETA")
    assert biz.record("sales_order", biz.instance(first)["data"]["sales_order"])["status"] == "confirmed"
    # ... so a second one of 1,280 would exceed it: open orders count toward the exposure.
    iid = to_quote(biz, customer="CUST-BETA")
    data = biz.complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 4, "320.00")))["data"]
    biz.complete(iid, "customer_response", "fred", accepted(str(data["quote_total"])))  # fred enters the order
    order = biz.record("sales_order", biz.instance(iid)["data"]["sales_order"])
    assert order["status"] == "credit_blocked"
    check = order["data"]["credit_check"]
    assert Decimal(str(check["credit_limit"])) == 5000 and Decimal(str(check["exposure"])) == Decimal("3840")
    assert Decimal(str(check["order_total"])) == Decimal("1280") and check["would_exceed"] is True
    assert biz.record("item", "CHAIR-ERGO")["data"]["on_hand"] == 38  # only the first order's chairs left
    task = biz.task(iid, "credit_release")
    assert task["candidate_groups"] == ["finance_controllers"] and task["due_at"].startswith("2026-01-06T09:00")

    # fred (finance controller, but he entered the order) may not release it; frank may.
    biz.assert_sod_refused(iid, "credit_release", "fred", {"decision": "release", "comment": "Looks fine to me."})
    invalid = biz.try_complete(iid, "credit_release", "frank", {"decision": "release"})
    assert [e["path"] for e in assert_problem(invalid, 422)["errors"]] == ["/comment"]
    biz.complete(iid, "credit_release", "frank", {"decision": "release", "comment": "Customer paid on time for years."})
    assert biz.record("sales_order", order["number"])["status"] == "confirmed"
    assert biz.record("item", "CHAIR-ERGO")["data"]["on_hand"] == 34
    assert biz.open(iid) == ["ship_order"]


def test_the_credit_limit_counts_open_amounts_and_holds_exactly_at_its_boundary(biz):
    """Exposure is what is still open: unpaid invoice amounts (less payments and credit
    notes) plus orders not invoiced yet; a billed order is not counted twice. Beta's
    limit is 5,000.00: an order that brings the exposure to exactly 5,000.00 is within it,
    one cent more is blocked."""
    first = to_order(biz, [("CHAIR-ERGO", 1, "3000.00")], customer="CUST-BETA")
    biz.complete(first, "ship_order", "wanda", SHIPMENT)
    biz.complete(first, "issue_invoice", "rob", INVOICE)
    biz.complete(first, "apply_payment", "rob", {"payment_reference": "BANK-7", "amount": 1000.00,
                                                 "value_date": "2026-01-20"})
    invoice = biz.record("customer_invoice", biz.instance(first)["data"]["invoice"])
    assert invoice["status"] == "unpaid" and Decimal(str(invoice["data"]["open_amount"])) == Decimal("2000.00")
    assert biz.record("sales_order", biz.instance(first)["data"]["sales_order"])["status"] == "billed"

    at_limit = to_order(biz, [("CHAIR-ERGO", 1, "3000.00")], customer="CUST-BETA")  # 2,000 open + 3,000
    order = biz.record("sales_order", biz.instance(at_limit)["data"]["sales_order"])
    assert order["status"] == "confirmed", order["data"]["credit_check"]
    check = order["data"]["credit_check"]
    assert Decimal(str(check["exposure"])) == Decimal("2000.00") and check["would_exceed"] is False

    over = to_order(biz, [("CHAIR-ERGO", 1, "0.01")], customer="CUST-BETA")
    order = biz.record("sales_order", biz.instance(over)["data"]["sales_order"])
    assert order["status"] == "credit_blocked"
    check = order["data"]["credit_check"]
    assert Decimal(str(check["exposure"])) == Decimal("5000.00") and check["would_exceed"] is True
    assert biz.open(over) == ["credit_release"]


def test_a_credit_block_rejected_by_finance_ends_the_order(biz):
    iid = to_quote(biz, customer="CUST-GAMMA")           # no credit at all
    data = biz.complete(iid, "prepare_quote", "sam", quote(("CHAIR-ERGO", 1, "320.00")))["data"]
    biz.complete(iid, "customer_response", "sam", accepted(str(data["quote_total"])))
    done = biz.complete(iid, "credit_release", "frank", {"decision": "reject", "comment": "Prepayment required."})
    assert done["status"] == "completed"
    order = biz.record("sales_order", done["data"]["sales_order"])
    assert order["status"] == "rejected" and order["data"]["credit_comment"] == "Prepayment required."


# -- fulfilment ---------------------------------------------------------------------------------------
def test_a_line_short_of_stock_is_made_to_order_and_delivered_when_production_completes(biz):
    iid = to_order(biz, [("DESK-STD", 5, "450.00")])     # 2 desks on hand
    data = biz.instance(iid)["data"]
    so = data["sales_order"]
    assert biz.instance(iid)["open_tasks"] == [] and "production_done" in biz.instance(iid)["active_elements"]
    (sent,) = [e for e in biz.history(iid) if e["type"] == "message.sent"]
    assert sent["data"]["name"] == "production_demand"
    assert sent["data"]["correlation"]["production_demand"] == {"sales_order": so}
    assert biz.record("item", "DESK-STD")["data"]["on_hand"] == 2   # nothing issued yet

    # plan_to_produce makes the 3 missing desks (its finished-goods receipt) and answers.
    with biz.api.engine.transaction() as session:
        biz.api.engine.context.records.update(session, "item", "DESK-STD", "test", changes={"on_hand": 5})
    reached = biz.message("production_completed", {"sales_order": so},
                          {"sales_order": so, "production_order": "MO-2026-000001", "quantity": 3})
    assert reached["correlated_instances"] == [iid]
    assert biz.record("item", "DESK-STD")["data"]["on_hand"] == 0
    biz.complete(iid, "ship_order", "wanda", SHIPMENT)
    biz.complete(iid, "issue_invoice", "rob", INVOICE)
    done = biz.complete(iid, "apply_payment", "rob",
                        {"payment_reference": "BANK-2", "amount": 2250.00, "value_date": "2026-02-01"})
    assert done["status"] == "completed"
    assert done["data"]["production_orders"][0]["production_order"] == "MO-2026-000001"


def test_an_order_whose_stock_never_arrives_is_cancelled_and_its_issued_lines_go_back(biz):
    iid = to_order(biz, [("CHAIR-ERGO", 5, "320.00"), ("DESK-STD", 5, "450.00")])
    so = biz.instance(iid)["data"]["sales_order"]
    assert biz.record("item", "CHAIR-ERGO")["data"]["on_hand"] == 45   # first line issued
    for attempt in range(3):  # production reports done, but the desks never reach the stock
        biz.message("production_completed", {"sales_order": so},
                    {"sales_order": so, "production_order": f"MO-2026-00000{attempt + 1}", "quantity": 3})
    assert biz.open(iid) == ["fulfilment_exception"]               # three attempts are enough
    biz.complete(iid, "fulfilment_exception", "sam", {"decision": "retry", "comment": "Customer agreed to wait."})
    demands = [e for e in biz.history(iid) if e["type"] == "message.sent"]
    assert len(demands) == 4
    # plan_to_produce cancels its production order: the rep hears at once
    biz.message("production_completed", {"sales_order": so},
                {"sales_order": so, "production_order": "MO-2026-000004", "quantity": 0, "status": "cancelled"})
    assert biz.open(iid) == ["fulfilment_exception"]
    done = biz.complete(iid, "fulfilment_exception", "sam",
                        {"decision": "cancel_order", "comment": "Customer cancelled, desks too late."})
    assert done["status"] == "cancelled"  # the order was called off
    assert biz.record("item", "CHAIR-ERGO")["data"]["on_hand"] == 50
    assert biz.record("sales_order", so)["status"] == "cancelled"
    moves = biz.records("stock_move", instance_id=iid)
    assert sorted(Decimal(str(m["data"]["quantity"])) for m in moves) == [-5, 5]


# -- delivery, invoice, payment ------------------------------------------------------------------------
def test_unpaid_invoice_three_reminders_credit_hold_then_collections_and_payment(biz):
    iid = to_order(biz, [("CHAIR-ERGO", 9, "320.00")])    # 2,880.00
    biz.complete(iid, "ship_order", "wanda", SHIPMENT)
    biz.complete(iid, "issue_invoice", "rob", INVOICE)
    invoice = biz.instance(iid)["data"]["invoice"]
    assert biz.task(iid, "apply_payment")["due_at"].startswith("2026-02-04T09:00")
    biz.complete(iid, "apply_payment", "rob", {"payment_reference": "BANK-4", "amount": 880.00,
                                               "value_date": "2026-01-20"})
    assert Decimal(str(biz.record("customer_invoice", invoice)["data"]["open_amount"])) == 2000

    biz.later(days=29, hours=23)                           # just before the due date
    assert biz.mails() == []
    for level in (1, 2, 3):
        biz.later(days=7 if level > 1 else 0, hours=1 if level == 1 else 0)
        assert len(biz.mails()) == level
        assert biz.record("customer_invoice", invoice)["data"]["dunning_level"] == level
        assert [t["element_id"] for t in biz.instance(iid)["open_tasks"]] == ["apply_payment"]
    third = biz.mails()[-1]
    assert third["To"] == "accounts@acme.example" and third["Subject"] == f"Payment reminder 3: invoice {invoice}"
    assert "Open amount: 2000.00 EUR" in third.get_content()
    # the third reminder puts the customer on credit hold: a new order is blocked though within the limit
    assert biz.record("customer", "CUST-ACME")["data"]["credit_hold"] is True
    other = to_order(biz, [("CHAIR-ERGO", 1, "320.00")])
    held = biz.record("sales_order", biz.instance(other)["data"]["sales_order"])
    assert held["status"] == "credit_blocked" and held["data"]["credit_check"]["credit_hold"] is True

    biz.later(days=7)                        # a week after the third reminder
    assert [t["element_id"] for t in biz.instance(iid)["open_tasks"]] == ["collections"]
    assert biz.task(iid, "collections")["candidate_groups"] == ["accounts_receivable"]
    biz.complete(iid, "collections", "rob", {"decision": "payment_plan", "promised_in_days": 14,
                                             "comment": "Customer promised to pay within two weeks."})
    done = biz.complete(iid, "apply_payment", "rob", {"payment_reference": "BANK-5", "amount": 2000.00,
                                                      "value_date": "2026-03-10"})
    assert done["status"] == "completed"
    assert biz.record("customer_invoice", invoice)["status"] == "paid"
    assert biz.record("customer", "CUST-ACME")["data"]["credit_hold"] is False
    assert len(biz.records("payment", instance_id=iid)) == 2


def test_a_write_off_needs_a_finance_controller_who_did_not_propose_it(biz):
    iid = to_order(biz, [("CHAIR-ERGO", 1, "320.00")])
    biz.complete(iid, "ship_order", "wanda", SHIPMENT)
    biz.complete(iid, "issue_invoice", "rob", INVOICE)
    invoice = biz.instance(iid)["data"]["invoice"]
    biz.later(days=30)
    for _ in range(3):
        biz.later(days=7)
    assert [t["element_id"] for t in biz.instance(iid)["open_tasks"]] == ["collections"]
    biz.complete(iid, "collections", "fay", {"decision": "write_off", "comment": "Customer is insolvent."})
    biz.assert_sod_refused(iid, "write_off_approval", "fay", {"decision": "approve"})
    biz.complete(iid, "write_off_approval", "frank", {"decision": "reject", "comment": "Try the payment plan first."})
    biz.complete(iid, "collections", "rob", {"decision": "write_off", "comment": "Insolvency confirmed by court."})
    done = biz.complete(iid, "write_off_approval", "frank", {"decision": "approve"})
    assert done["status"] == "completed"
    written_off = biz.record("customer_invoice", invoice)
    assert written_off["status"] == "written_off" and Decimal(str(written_off["data"]["written_off_amount"])) == 320
    assert biz.record("sales_order", done["data"]["sales_order"])["status"] == "closed"
