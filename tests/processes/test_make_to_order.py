"""The make-to-order chain through the HTTP API, with every shipped process and the shipped
reference data: a lead becomes a quote and a sales order for more desks than are in
stock; lead_to_cash asks plan_to_produce for the missing desks; the production order is
short of desk tops, so procure_to_pay buys them; the goods receipt books them into stock
and continues production; the finished desks continue the sales order, which is shipped,
invoiced and paid; and the supplier invoice for the desk tops is matched and paid.

Then an auditor, with nothing but the records API and the instances' histories, follows
the trail from the customer's sales order to the supplier invoice (and its payment) that
the order caused, and back.

One person per group plays each part (the demo users). Time is a fake clock; background
work (service calls, messages between the processes, timers) runs when the test says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flowdesk.api.demo import DEMO_USERS
from flowdesk.engine.config import shipped_definitions
from flowdesk.engine.process_engine import ProcessEngine

from tests.support.database import build_template
from tests.support.scenario import Scenario, open_scenario

# The bills of materials plan_to_produce reads from the finished items (seed/sales.yaml
# carries them; set here too so this test states what it relies on).
BOMS = {"DESK-STD": [{"item": "DESK-TOP", "quantity": 1}, {"item": "DESK-LEG", "quantity": 4}],
        "CHAIR-ERGO": [{"item": "CHAIR-SEAT", "quantity": 1}, {"item": "CHAIR-BASE", "quantity": 1}]}
TODAY = "2026-01-05"  # the fake clock's first day, a Monday


def _set_boms(engine: ProcessEngine) -> None:
    with engine.transaction() as s:
        for item, bom in BOMS.items():
            engine.context.records.update(s, "item", item, "test", changes={"bom": bom})


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("mto") / "flowdesk.db", DEMO_USERS, paths=shipped_definitions(),
                          seed=True, prepare=_set_boms)


class Chain(Scenario):
    """The shared scenario verbs, addressing each process by its key: the chain has one
    instance of each."""

    def the_instance(self, key: str) -> dict:
        (found,) = self.instances(key)
        return self.instance(found["id"])

    def open_in(self, key: str) -> list[str]:
        return self.open_elements(self.the_instance(key)["id"])

    def complete_in(self, key: str, element_id: str, user: str, data: dict) -> dict:
        """Complete the open task `element_id` of the one instance of process `key`."""
        return self.complete(self.the_instance(key)["id"], element_id, user, data)

    def records_where(self, type_: str, **where: Any) -> list[dict]:
        """Records of a type whose data has these values (newest first), as an auditor
        filters them."""
        return [r for r in self.records(type_) if all(r["data"].get(k) == v for k, v in where.items())]


@pytest.fixture
def api(template: Path, tmp_path: Path) -> Iterator[Chain]:
    with open_scenario(template, tmp_path, scenario=Chain) as made:
        yield made


def test_make_to_order_from_lead_to_payment_and_the_supplier_invoice_it_caused(api):
    stock = {item: api.record("item", item)["data"]["on_hand"] for item in ("DESK-STD", "DESK-TOP", "DESK-LEG")}
    assert stock == {"DESK-STD": 2, "DESK-TOP": 1, "DESK-LEG": 40}

    # -- lead, quote, order (lead_to_cash) ------------------------------------------------------
    api.call("POST", "/definitions/lead_to_cash/instances", "sam", 201, json={"data": {
        "company_name": "Acme Office Supplies GmbH", "contact_name": "Jana Berg", "email": "jana.berg@acme.example",
        "country": "DE", "source": "referral", "consent_marketing": True}})
    api.drain()
    api.complete_in("lead_to_cash", "qualify_lead", "sam", {
        "outcome": "qualified", "need": "Five standard desks for the new accounting office.", "customer": "CUST-ACME",
        "expected_revenue": 2250, "expected_close_date": "2026-03-31", "budget_range": "<10k",
        "decision_maker_identified": True})
    api.complete_in("lead_to_cash", "prepare_quote", "sam", {
        "currency": "EUR", "validity_days": 30, "payment_terms_days": 30, "discount_percent": 5,
        "lines": [{"item": "DESK-STD", "description": "Standard office desk", "quantity": 5, "unit_price": 450}]})
    sales = api.the_instance("lead_to_cash")
    quote = sales["data"]["quote_number"]
    assert api.record("sales_quote", quote)["status"] == "sent"  # 5 %: within the rep's authority
    api.complete_in("lead_to_cash", "customer_response", "sam", {
        "response": "accepted", "customer_po_no": "ACME-PO-5001", "customer_po_date": TODAY,
        "customer_po_amount": 2137.50, "requested_delivery_date": "2026-02-27"})
    sales = api.the_instance("lead_to_cash")
    sales_order = sales["data"]["sales_order"]
    assert api.record("sales_order", sales_order)["data"]["quote"] == quote

    # -- two desks in stock, five ordered: three are made to order (plan_to_produce) ------------
    production = api.the_instance("plan_to_produce")
    mo = production["data"]["mo_number"]
    order = api.record("production_order", mo)
    assert (order["data"]["sales_order"], order["data"]["quantity"]) == (sales_order, 3)
    started = next(e for e in api.history(production["id"]) if e["type"] == "message.correlated")
    assert started["data"]["name"] == "production_demand" and started["data"]["sender"] == sales["id"]
    api.complete_in("plan_to_produce", "firm_order", "petra", {
        "decision": "firm", "planned_start": "2026-01-26", "planned_finish": "2026-01-30", "priority": "normal"})
    assert api.record("production_order", mo)["status"] == "waiting_material"

    # -- one desk top on hand, three needed: two are bought (procure_to_pay) --------------------
    purchase = api.the_instance("procure_to_pay_request")
    requisition = purchase["data"]["requisition_number"]
    pr = api.record("purchase_requisition", requisition)
    assert pr["data"]["origin_ref"] == mo and pr["data"]["request_type"] == "stock"
    assert [(line["item"], line["quantity"]) for line in pr["data"]["lines"]] == [("DESK-TOP", 2)]
    assert pr["status"] == "approved"  # 170 EUR of direct material: no approval needed
    api.complete_in("procure_to_pay_request", "prepare_purchase_order", "paul", {
        "po_action": "place_order", "supplier": "SUP-003", "expected_delivery_date": "2026-01-20",
        "incoterm": "DAP", "order_lines": [{"line": 1, "quantity": 2, "unit_price": 85}]})
    api.complete_in("procure_to_pay_request", "record_acknowledgement", "paul", {
        "supplier_confirmed": True, "confirmed_delivery_date": "2026-01-20", "supplier_reference": "NS-88123"})
    api.complete_in("procure_to_pay_request", "record_goods_receipt", "wanda", {
        "delivery_note": "NS-DN-5512", "receipt_date": TODAY,
        "receipt_lines": [{"line": 1, "received_qty": 2, "accepted_qty": 2}]})

    # -- the goods receipt continues production ------------------------------------------------
    assert api.record("production_order", mo)["status"] == "released"
    assert api.record("item", "DESK-TOP")["data"]["on_hand"] == 0  # 1 + 2 received - 3 issued
    api.complete_in("plan_to_produce", "book_production", "otto", {
        "produced_quantity": 3, "scrap_quantity": 0, "batch_number": "B260127-01",
        "started_at": "2026-01-27T07:00:00Z", "finished_at": "2026-01-27T15:00:00Z"})
    api.complete_in("plan_to_produce", "final_inspection", "quinn", {"result": "pass", "sample_size": 3,
                                                                 "defects_found": 0})
    assert api.the_instance("plan_to_produce")["status"] == "completed"
    assert api.record("production_order", mo)["status"] == "done"

    # -- production done continues the sales order: ship, invoice, payment ----------------------
    assert api.open_in("lead_to_cash") == ["ship_order"]
    assert api.record("item", "DESK-STD")["data"]["on_hand"] == 0  # 2 + 3 made - 5 issued
    api.complete_in("lead_to_cash", "ship_order", "wanda", {"ship_date": TODAY, "carrier": "DHL Freight",
                                                          "tracking_no": "JD0146000099887", "packages": 5})
    api.complete_in("lead_to_cash", "issue_invoice", "rob", {"invoice_date": TODAY, "payment_terms_days": 30})
    sales = api.the_instance("lead_to_cash")
    invoice = sales["data"]["invoice"]
    assert Decimal(str(api.record("customer_invoice", invoice)["data"]["total"])) == Decimal("2137.50")
    api.complete_in("lead_to_cash", "apply_payment", "rob", {"payment_reference": "BANK-2026-0120-007",
                                                          "amount": 2137.50, "value_date": TODAY})
    assert api.the_instance("lead_to_cash")["status"] == "completed"
    assert api.record("customer_invoice", invoice)["status"] == "paid"
    assert api.record("sales_order", sales_order)["status"] == "completed"

    # -- the supplier's invoice for the desk tops: matched, posted, paid after its terms --------
    purchase_order = api.the_instance("procure_to_pay_request")["data"]["purchase_order_number"]
    api.complete_in("procure_to_pay_request", "register_invoice", "aaron", {
        "supplier_invoice_no": "NS-INV-20417", "invoice_date": TODAY, "invoice_currency": "EUR",
        "invoice_lines": [{"line": 1, "quantity": 2, "unit_price": 85}], "net_amount": 170, "tax_amount": 32.30,
        "gross_amount": 202.30})
    assert api.open_in("procure_to_pay_request") == []  # three-way match passed: waits for the terms
    api.later(days=45, seconds=1)  # Nordic Steel's payment terms: P45D
    api.complete_in("procure_to_pay_request", "pay_invoice", "tracy", {
        "payment_method": "sepa_credit_transfer", "value_date": "2026-02-19", "bank_reference": "SEPA-20260219-0007"})
    assert api.the_instance("procure_to_pay_request")["status"] == "completed"

    # -- an auditor follows the trail from the customer's order to the supplier invoice --------
    trail = follow_the_order(api, sales_order)
    assert trail["production_order"] == mo
    assert trail["purchase_requisition"] == requisition
    assert trail["purchase_order"] == purchase_order
    assert api.record("supplier_invoice", trail["supplier_invoice"])["status"] == "paid"
    assert Decimal(str(api.record("payment", trail["payment"])["data"]["amount"])) == Decimal("202.30")
    # ... and back: the supplier invoice names the order, the order the production order,
    # the production order the sales order.
    assert api.record("supplier_invoice", trail["supplier_invoice"])["data"]["purchase_order"] == purchase_order
    assert api.record("purchase_order", purchase_order)["data"]["origin_ref"] == mo
    assert api.record("production_order", mo)["data"]["sales_order"] == sales_order


def follow_the_order(api: Chain, sales_order: str) -> dict[str, str]:
    """What an auditor does with read access only: from a sales order, through the records
    and the instances that created them, to the supplier invoice it caused."""
    trail: dict[str, str] = {}
    order = api.record("sales_order", sales_order)
    (sales_instance,) = {link["instance_id"] for link in order["instances"] if link["relation"] == "created"}
    # The sales order's process asked for production by message; the production order says which order.
    (production_order,) = api.records_where("production_order", sales_order=sales_order)
    trail["production_order"] = production_order["number"]
    (production_instance,) = {link["instance_id"] for link in production_order["instances"]
                              if link["relation"] == "created"}
    started = next(e for e in api.history(production_instance) if e["type"] == "message.correlated")
    assert started["data"]["sender"] == sales_instance
    # The production order's shortage became a purchase requisition (origin_ref = the MO number) ...
    (requisition,) = api.records_where("purchase_requisition", origin_ref=production_order["number"])
    trail["purchase_requisition"] = requisition["number"]
    sent = [e for e in api.history(production_instance) if e["type"] == "message.sent"]
    assert [e["data"]["name"] for e in sent] == ["purchase_request", "production_completed"]
    # ... ordered, received, invoiced and paid.
    (purchase_order,) = api.records_where("purchase_order", requisition=requisition["number"])
    trail["purchase_order"] = purchase_order["number"]
    (receipt,) = api.records_where("goods_receipt", purchase_order=purchase_order["number"])
    assert receipt["data"]["origin_ref"] == production_order["number"]
    (invoice,) = api.records_where("supplier_invoice", purchase_order=purchase_order["number"])
    trail["supplier_invoice"] = invoice["number"]
    (payment,) = api.records_where("payment", supplier_invoice=invoice["number"])
    trail["payment"] = payment["number"]
    # Every document of the chain is linked to the instance that created it, and the
    # auditor can read each of those instances' histories.
    for record in (order, production_order, requisition, purchase_order, receipt, invoice, payment):
        creators = [link["instance_id"] for link in record["instances"] if link["relation"] == "created"]
        assert len(creators) == 1, record
        assert api.history(creators[0])[0]["type"] == "instance.started"
    return trail
