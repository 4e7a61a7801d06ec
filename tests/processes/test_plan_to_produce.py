"""plan_to_produce through the HTTP API: a production demand becomes a production order,
its bill of materials is exploded, a planner firms it, short components are requested
from procure_to_pay and awaited, the order is released and its components issued,
production books the output, quality (never the same person) inspects it, rework goes
round at most twice before the material review board, and the output goes into stock
with production_completed back to the sales order.

The sales side is a small stand-in process that sends production_demand and waits for
the reply, as lead_to_cash does; procure_to_pay is a stand-in that takes the request, and
its goods receipt (stock booked, goods_received sent) is played by the test. The
make-to-order test runs the real processes together.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from flowdesk.engine.connectors import CallContext
from flowdesk.engine.definitions.sources import SourceFile

from tests.support.database import build_template
from tests.support.paths import REPO
from tests.support.scenario import PURCHASING_STUB, Scenario, open_scenario

DEFINITIONS = [REPO / "processes" / name for name in
               ("plan_to_produce.yaml", "plan_to_produce_materials.yaml", "plan_to_produce_request.yaml")]
DEFINITIONS += sorted((REPO / "forms").glob("mfg_*.yaml"))
# The finished goods with their bills of materials, as seed/sales.yaml ships them.
FINISHED_GOODS = {"item": [
    {"number": "DESK-STD", "description": "Standard office desk", "uom": "pcs", "kind": "finished_good",
     "procurement": "make", "on_hand": 2, "reserved": 0,
     "bom": [{"item": "DESK-TOP", "quantity": 1}, {"item": "DESK-LEG", "quantity": 4}]},
    {"number": "CHAIR-ERGO", "description": "Ergonomic office chair", "uom": "pcs", "kind": "finished_good",
     "procurement": "make", "on_hand": 50, "reserved": 0,
     "bom": [{"item": "CHAIR-SEAT", "quantity": 1}, {"item": "CHAIR-BASE", "quantity": 1}]},
    {"number": "LAMP-NOBOM", "description": "A lamp nobody wrote a bill of materials for", "on_hand": 0},
]}
STUBS = [
    # lead_to_cash's side: a sales order line short of stock asks for production and waits.
    SourceFile("stub_sales.yaml", b"""
process: stub_sales
start: {data: [sales_order, item, quantity, due_date]}
messages:
  production_demand:
    correlation:
      sales_order: sales_order
  production_completed:
    correlation:
      sales_order: sales_order
steps:
  - send: request_production
    message: production_demand
    payload: '{"sales_order": sales_order, "item": item, "quantity": quantity, "due_date": due_date,
      "customer": "CUST-ACME"}'
  - receive: production_done
    message: production_completed
    variable: production
"""),
    # procure_to_pay's side: it takes the request; the test plays its goods receipt.
    PURCHASING_STUB,
]
USERS = {
    "petra": ["employees", "planners"],
    "otto": ["employees", "production"],
    "olga": ["employees", "production", "quality"],
    "quinn": ["employees", "quality"],
    "qiana": ["employees", "quality"],
    "ian": ["integration"],
    "erin": ["auditor"],
}
# The clock starts on Monday 2026-01-05.
FIRM = {"decision": "firm", "planned_start": "2026-01-19", "planned_finish": "2026-01-23", "priority": "normal"}
BOOKING = {"scrap_quantity": 0, "batch_number": "B260120-01", "started_at": "2026-01-20T07:00:00Z",
           "finished_at": "2026-01-20T15:30:00Z"}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    components = yaml.safe_load((REPO / "seed" / "manufacturing.yaml").read_text())
    return build_template(tmp_path_factory.mktemp("p2pr") / "flowdesk.db", USERS, paths=DEFINITIONS,
                          sources=STUBS, reference=[components, FINISHED_GOODS])


class Api(Scenario):
    """The shared scenario verbs, plus the stand-ins' parts: demand and goods receipt."""

    current: str | None = None  # the plan_to_produce instance the test works on

    def production(self) -> dict:
        """The plan_to_produce instance the last demand started."""
        return self.instance(self.current)

    def new_production(self, before: set[str]) -> dict:
        (self.current,) = {i["id"] for i in self.instances("plan_to_produce")} - before
        return self.production()

    def on_hand(self, item: str) -> Decimal:
        return self.record("item", item)["data"]["on_hand"]

    def demand(self, sales_order: str, item: str, quantity: int, due_date: str = "2026-01-30") -> dict:
        """The sales side asks for production; returns the plan_to_produce instance."""
        before = {i["id"] for i in self.instances("plan_to_produce")}
        self.call("POST", "/definitions/stub_sales/instances", "ian", 201, json={"data": {
            "sales_order": sales_order, "item": item, "quantity": quantity, "due_date": due_date}})
        self.drain()
        return self.new_production(before)

    def goods_receipt(self, mo_number: str, item: str, quantity: int, number: str = "GR-2026-000001") -> None:
        """What procure_to_pay does on receipt: book the stock, reply goods_received."""
        move = self.engine.context.connectors.get("stock.move")
        move.call({"item": item, "quantity": quantity, "reason": "goods receipt", "reference": number},
                  CallContext(idempotency_key=f"test:{number}:{item}", attempt=1, instance_id="", element_id="gr"))
        reply = self.call("POST", "/messages", "ian", json={
            "name": "goods_received", "correlation": {"origin_ref": mo_number},
            "data": {"origin_ref": mo_number, "goods_receipt": number,
                     "lines": [{"item": item, "quantity": quantity}]}})
        assert len(reply["correlated_instances"]) == 1, reply
        self.drain()


@pytest.fixture
def api(template: Path, tmp_path: Path) -> Iterator[Api]:
    with open_scenario(template, tmp_path, scenario=Api) as made:
        yield made


def purchase_requests(api: Api) -> list[dict]:
    return [api.instance(i["id"])["data"]["request"] for i in api.instances("stub_purchasing")]


# -- make to order ----------------------------------------------------------------------------------
def test_a_sales_order_short_of_stock_is_made_with_bought_components(api):
    production = api.demand("SO-2026-000042", "DESK-STD", 3)
    pid, data = production["id"], production["data"]
    mo = data["mo_number"]
    assert mo == "MO-2026-000001"
    order = api.record("production_order", mo)
    assert order["status"] == "draft" and order["data"]["sales_order"] == "SO-2026-000042"
    assert {"instance_id": pid, "relation": "created"} in order["instances"]
    # One desk top on hand for three desks: two are short; 12 legs of 40 are not.
    assert [(c["item"], c["needed"], c["short"]) for c in data["bom"]["components"]] == [
        ("DESK-TOP", 3, 2), ("DESK-LEG", 12, 0)]
    assert api.open_elements(pid) == ["firm_order"]

    api.complete(pid, "firm_order", "petra", FIRM)
    assert api.record("production_order", mo)["status"] == "waiting_material"
    (request,) = purchase_requests(api)
    assert request == {
        "origin_ref": mo, "title": f"Components for {mo} (DESK-STD)", "cost_center": "CC-300", "currency": "EUR",
        "needed_by": "2026-01-19", "category": "direct_material", "type": "stock",
        "lines": [{"item": "DESK-TOP", "description": "Desk top, oak veneer, 160 x 80 cm", "quantity": 2,
                   "unit_price": 85}],
        "justification": f"Production order {mo} for 3 x DESK-STD, sales order SO-2026-000042"}
    assert api.open_elements(pid) == []  # waiting for the goods
    # in plan_to_produce_materials, called as a child instance of its own
    (waiting,) = api.call("GET", "/instances", "erin", params={"parent_instance_id": pid})["items"]
    assert (waiting["definition_key"], waiting["status"]) == ("plan_to_produce_materials", "running")

    api.goods_receipt(mo, "DESK-TOP", 2)
    assert api.call("GET", f"/instances/{waiting['id']}", "erin")["status"] == "completed"
    order = api.record("production_order", mo)
    assert order["status"] == "released" and order["data"]["goods_receipts"] == ["GR-2026-000001"]
    assert (api.on_hand("DESK-TOP"), api.on_hand("DESK-LEG")) == (0, 28)  # issued to the order

    api.complete(pid, "book_production", "otto", {**BOOKING, "produced_quantity": 3})
    assert api.production()["data"]["sample_size_required"] == 3  # a lot of 3 is inspected in full
    api.complete(pid, "final_inspection", "quinn", {"result": "pass", "sample_size": 3, "defects_found": 0})

    assert api.on_hand("DESK-STD") == 5
    order = api.record("production_order", mo)
    assert order["status"] == "done" and order["data"]["produced_quantity"] == 3
    assert api.production()["status"] == "completed"
    (sales,) = api.instances("stub_sales")
    reply = api.instance(sales["id"])
    assert reply["status"] == "completed"
    assert reply["data"]["production"] == {"sales_order": "SO-2026-000042", "production_order": mo, "quantity": 3,
                                           "item": "DESK-STD", "batch": "B260120-01", "status": "completed"}
    moves = api.call("GET", "/records/stock_move", "erin", params={"instance_id": pid})["items"]
    assert sorted((m["data"]["item"], m["data"]["quantity"]) for m in moves) == [
        ("DESK-LEG", -12), ("DESK-STD", 3), ("DESK-TOP", -3)]
    assert {m["data"]["reference"] for m in moves} == {mo}


def test_a_planner_asks_for_stock_and_a_full_kit_is_released_at_once(api):
    request = api.call("POST", "/definitions/plan_to_produce_request/instances", "petra", 201, json={"data": {
        "item": "CHAIR-ERGO", "quantity": 5, "due_date": "2026-02-27", "reason": "replenish_stock"}})
    assert request["status"] == "completed"
    api.drain()
    production = api.new_production(set())
    pid = production["id"]
    assert production["data"]["demand_source"] == "make_to_stock" and production["data"]["sales_order"] is None
    api.complete(pid, "firm_order", "petra", FIRM)
    assert purchase_requests(api) == []  # every component in stock
    assert api.record("production_order", production["data"]["mo_number"])["status"] == "released"
    api.complete(pid, "book_production", "otto", {**BOOKING, "produced_quantity": 5})
    api.complete(pid, "final_inspection", "quinn", {"result": "pass", "sample_size": 5, "defects_found": 0})
    assert api.on_hand("CHAIR-ERGO") == 55 and api.on_hand("CHAIR-SEAT") == 15
    assert api.production()["status"] == "completed"
    history = api.call("GET", f"/instances/{pid}/history", "erin", params={"limit": 500})["items"]
    assert [e for e in history if e["type"] == "message.sent"] == []  # made to stock: nobody to reply to


# -- separation of duties -------------------------------------------------------------------------
def test_whoever_booked_the_production_cannot_inspect_it_or_dispose_of_it(api):
    pid = api.demand("SO-2026-000043", "CHAIR-ERGO", 4)["id"]
    api.complete(pid, "firm_order", "petra", FIRM)
    api.complete(pid, "book_production", "olga", {**BOOKING, "produced_quantity": 4})  # olga: production and QC
    inspection = {"result": "fail", "sample_size": 4, "defects_found": 2, "defect_codes": ["wobble"],
                  "notes": "Two chairs wobble on the base."}
    refused = api.complete(pid, "final_inspection", "olga", inspection, expect=403)
    assert refused["type"].endswith("/separation-of-duties")
    assert api.denied("olga")
    api.complete(pid, "final_inspection", "quinn", inspection)
    assert api.open_elements(pid) == ["mrb_disposition"]
    mrb = {"disposition": "use_as_is", "comment": "Cosmetic only after re-tightening.",
           "concession_justification": "Wobble fixed by re-tightening the base screws; function unaffected."}
    api.complete(pid, "mrb_disposition", "olga", mrb, expect=403)
    api.complete(pid, "mrb_disposition", "qiana", mrb)
    order = api.record("production_order", api.production()["data"]["mo_number"])
    assert order["status"] == "done" and order["data"]["concession"].startswith("Wobble fixed")


def test_a_booking_that_finishes_before_it_starts_is_a_field_error_at_submission(api):
    pid = api.demand("SO-2026-000048", "CHAIR-ERGO", 2)["id"]
    api.complete(pid, "firm_order", "petra", FIRM)
    for finished in ("2026-01-20T07:00:00Z", "2026-01-20T06:59:59Z"):
        problem = api.complete(pid, "book_production", "olga",
                               {**BOOKING, "produced_quantity": 2, "finished_at": finished}, expect=422)
        assert [(e["path"], e["message"]) for e in problem["errors"]] == [("/finished_at", "must be after the start")]
    assert api.open_elements(pid) == ["book_production"] and "booking_problems" not in api.instance(pid)["data"]
    api.complete(pid, "book_production", "olga",
                 {**BOOKING, "produced_quantity": 2, "finished_at": "2026-01-20T07:00:01Z"})
    assert api.open_elements(pid) == ["final_inspection"]


# -- inspection plan and plausibility at their boundaries -------------------------------------------
@pytest.mark.parametrize(("booked", "sample", "accept"), [(50, 50, 0), (51, 50, 1)])
def test_inspection_plan_sample_and_acceptance_number(api, booked, sample, accept):
    with api.engine.transaction() as s:  # enough components for 50 chairs
        for part in ("CHAIR-SEAT", "CHAIR-BASE"):
            api.engine.context.records.update(s, "item", part, "test", changes={"on_hand": 60})
    pid = api.demand("SO-2026-000044", "CHAIR-ERGO", 50)["id"]
    api.complete(pid, "firm_order", "petra", FIRM)
    problem = api.complete(pid, "book_production", "otto", {**BOOKING, "produced_quantity": 56}, expect=422)
    assert [(e["path"], e["message"]) for e in problem["errors"]] == [  # over 110 %: refused, nothing booked
        ("/produced_quantity", "may be at most 10 % more than the quantity ordered")]
    assert api.open_elements(pid) == ["book_production"] and "lot_size" not in api.production()["data"]
    api.complete(pid, "book_production", "otto", {**BOOKING, "produced_quantity": booked})
    data = api.production()["data"]
    assert (data["sample_size_required"], data["accept_number"]) == (sample, accept)
    problem = api.complete(pid, "final_inspection", "quinn",
                           {"result": "pass", "sample_size": sample - 1, "defects_found": 0}, expect=422)
    assert [e["path"] for e in problem["errors"]] == ["/sample_size"]  # sample too small
    one_defect = {"result": "pass", "sample_size": sample, "defects_found": 1}
    if accept == 0:
        problem = api.complete(pid, "final_inspection", "quinn", one_defect, expect=422)
        assert [e["path"] for e in problem["errors"]] == ["/result"]  # more defects than accepted cannot pass
        assert api.open_elements(pid) == ["final_inspection"]
    else:
        api.complete(pid, "final_inspection", "quinn", one_defect)
        assert api.open_elements(pid) == []


# -- rework limit, scrap and remake ------------------------------------------------------------------
def test_two_reworks_then_the_review_board_scraps_and_a_new_order_remakes(api):
    pid = api.demand("SO-2026-000045", "CHAIR-ERGO", 2)["id"]
    first = api.production()["data"]["mo_number"]
    api.complete(pid, "firm_order", "petra", FIRM)
    rework = {"result": "rework", "sample_size": 2, "defects_found": 1, "defect_codes": ["scratch"],
              "notes": "Scratched seat shell, refinish."}
    for n in (1, 2):
        api.complete(pid, "book_production", "otto", {**BOOKING, "produced_quantity": 2})
        api.complete(pid, "final_inspection", "quinn", rework)
        assert api.open_elements(pid) == ["book_production"]
        assert api.record("production_order", first)["data"]["rework_count"] == n
    api.complete(pid, "book_production", "otto", {**BOOKING, "produced_quantity": 2})
    api.complete(pid, "final_inspection", "quinn", rework)
    assert api.open_elements(pid) == ["mrb_disposition"]  # a third rework is not allowed
    api.complete(pid, "mrb_disposition", "qiana", {"disposition": "scrap", "comment": "Shell cracked on refinish."})
    assert api.record("production_order", first)["status"] == "scrapped"
    data = api.production()["data"]
    second = data["mo_number"]
    assert second == "MO-2026-000002" and data["previous_orders"] == [first]
    assert api.record("production_order", second)["data"]["replaces"] == [first]
    assert api.open_elements(pid) == ["firm_order"]
    assert api.on_hand("CHAIR-SEAT") == 18  # the scrapped lot used its components


# -- rejection, late components, cancellation ---------------------------------------------------------
def test_a_rejected_request_is_requested_again_then_late_components_cancel_the_order(api):
    production = api.demand("SO-2026-000046", "DESK-STD", 3)
    pid, mo = production["id"], production["data"]["mo_number"]
    api.complete(pid, "firm_order", "petra", FIRM)
    api.call("POST", "/messages", "ian", json={"name": "purchase_request_rejected", "correlation": {"origin_ref": mo},
                                              "data": {"origin_ref": mo, "reason": "Supplier blocked"}})
    api.drain()
    assert api.open_elements(pid) == ["material_decision"]
    api.complete(pid, "material_decision", "petra",
                 {"decision": "request_again", "comment": "Buyer found a second supplier."})
    assert len(purchase_requests(api)) == 2
    order = api.record("production_order", mo)
    assert order["data"]["material_problem"] == "purchasing rejected the request: Supplier blocked"
    assert order["status"] == "waiting_material" and order["data"]["purchase_requests"] == 2
    # 2026-01-18 00:00, the day before the planned start, the components are still missing.
    api.later(days=12, hours=14, minutes=59)
    assert api.open_elements(pid) == []
    api.later(minutes=2)
    assert api.open_elements(pid) == ["material_decision"]
    api.complete(pid, "material_decision", "petra", {"decision": "cancel", "comment": "Customer agreed to cancel."})
    order = api.record("production_order", mo)
    assert order["status"] == "cancelled" and order["data"]["purchase_request_cancelled"] is True
    history = api.call("GET", f"/instances/{pid}/history", "erin", params={"limit": 500})["items"]
    assert [e["data"]["name"] for e in history if e["type"] == "message.sent"][-2:] == [
        "purchase_request_cancelled", "production_completed"]  # purchasing stops, the sales order hears
    (sales,) = api.instances("stub_sales")
    assert api.instance(sales["id"])["data"]["production"] == {
        "sales_order": "SO-2026-000046", "production_order": mo, "quantity": 0, "item": "DESK-STD",
        "status": "cancelled", "reason": "Customer agreed to cancel."}


def test_plans_are_checked_and_an_order_without_a_bill_of_materials_is_blocked(api):
    pid = api.demand("SO-2026-000047", "DESK-STD", 1)["id"]
    # a finish before the start is refused at submission (the form's x-rules), at its field
    problem = api.complete(pid, "firm_order", "petra", {**FIRM, "planned_finish": "2026-01-18"}, expect=422)
    assert [(e["path"], e["message"]) for e in problem["errors"]] == [
        ("/planned_finish", "must not be before the planned start")]
    assert "plan_problems" not in api.production()["data"]
    # after the due date of the demand: a reason is required (the process knows the due date)
    problem = api.complete(pid, "firm_order", "petra", {**FIRM, "planned_finish": "2026-02-05"}, expect=422)
    assert [(e["path"], e["translations"]["zh-CN"]) for e in problem["errors"]] == [
        ("/late_reason", "订单完工晚于需求交期时必填")]
    problem = api.complete(pid, "firm_order", "petra", {**FIRM, "planned_start": "2026-01-02"}, expect=422)
    assert [e["path"] for e in problem["errors"]] == ["/planned_start"]  # in the past
    assert api.open_elements(pid) == ["firm_order"]
    api.complete(pid, "firm_order", "petra", {"decision": "cancel"}, expect=422)  # a comment is required
    api.complete(pid, "firm_order", "petra", {"decision": "cancel", "comment": "Duplicate of another order."})
    assert api.record("production_order", api.production()["data"]["mo_number"])["status"] == "cancelled"

    lamp = api.demand("SO-2026-000048", "LAMP-NOBOM", 1)["id"]
    api.complete(lamp, "firm_order", "petra", FIRM)
    assert api.production()["data"]["release_decision"] == "block"
    assert api.open_elements(lamp) == ["no_bill_of_materials"]
    api.complete(lamp, "no_bill_of_materials", "petra", {"decision": "cancel", "comment": "Lamps are bought, not made."})
    assert api.production()["status"] == "cancelled"  # the order was called off
