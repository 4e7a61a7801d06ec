"""Issue 6's "done when": an auditor takes a purchase order number, finds its instance,
reads every decision with who made it and what they saw, exports the trail and proves
it was not edited."""

from __future__ import annotations

import json


def test_the_controls_report_lists_each_refusal_and_each_approval_with_what_was_seen(p2p):
    iid = p2p.request("max", category="it_hardware", cost_center="CC-900", justification="Laptops for the new hires.",
                      lines=[{"item": "LAPTOP-14", "description": "Laptops", "quantity": 40, "unit_price": 1450}])
    p2p.refused(iid, "approve_department", "max", {"decision": "approve"})
    p2p.approve(iid, ("approve_department", "bob"))
    p2p.refused(iid, "approve_it", "max", {"decision": "approve"})
    report = p2p.api.get("/api/v1/reports/controls", "erin", params={"definition_key": "procure_to_pay"}).json()
    refusals = [r for r in report["separation_of_duties"]["refusals"] if r["instance_id"] == iid]
    assert [(r["actor"], r["element_id"], r["reason"]) for r in refusals] == [
        ("max", "approve_department", "separation-of-duties"), ("max", "approve_it", "separation-of-duties")]
    rules = {r["element_id"]: r["separate_from"] for r in report["separation_of_duties"]["rules"]}
    assert "@starter" in rules["approve_department"]
    (approval,) = [a for a in report["approvals"] if a["instance_id"] == iid]
    assert approval["actor"] == "bob" and approval["seen"]["total_company"] == 58000
    assert p2p.api.get("/api/v1/reports/controls", "alice",
                       params={"definition_key": "procure_to_pay"}).status_code == 403

    # A time range keeps the report to what happened in it: nothing before this instance began.
    started = p2p.api.get(f"/api/v1/instances/{iid}", "erin").json()["started_at"]
    before = p2p.api.get("/api/v1/reports/controls", "erin",
                         params={"definition_key": "procure_to_pay", "until": started}).json()
    assert not before["approvals"] and not before["separation_of_duties"]["refusals"]
    assert not before["separation_of_duties"]["checks"]
    since = p2p.api.get("/api/v1/reports/controls", "erin",
                        params={"definition_key": "procure_to_pay", "since": started}).json()
    assert [a["actor"] for a in since["approvals"] if a["instance_id"] == iid] == ["bob"]


def test_an_auditor_follows_a_purchase_order_number_to_a_verified_trail(p2p):
    iid = p2p.request(lines=[{"item": "STEEL-SHEET-2MM", "description": "Steel sheet 2 mm", "quantity": 200,
                              "unit_price": 42}], justification="Spring series: two sheets per cabinet.")
    p2p.approve(iid, ("approve_department", "bob"))
    p2p.ordered_and_received(iid, quantity=200, price=41.5)
    p2p.invoice(iid, [{"line": 1, "quantity": 200, "unit_price": 41.5}])
    p2p.api.clock.advance(days=45, seconds=1)
    p2p.complete(iid, "pay_invoice", "tracy", {"payment_method": "sepa_credit_transfer", "value_date": "2026-02-19",
                                               "bank_reference": "SEPA-0042"})
    api = p2p.api

    # 1. The purchase order number leads to the instance.
    (order,) = api.get("/api/v1/records/purchase_order", "erin", params={"number": "PO-2026-000001"}).json()["items"]
    (link,) = [i for i in order["instances"] if i["relation"] == "created"]
    assert link["instance_id"] == iid

    # 2. Every step names its actor, and every completion the data it changed.
    history = api.get(f"/api/v1/instances/{iid}/history", "erin", params={"limit": 500}).json()["items"]
    assert all(e["actor"] for e in history)
    completions = [e for e in history if e["type"] == "task.completed"]
    assert [e["actor"] for e in completions] == ["bob", "paul", "paul", "wanda", "aaron", "tracy"]
    assert all(e["data"]["diff"] for e in completions)
    gateways = [e for e in history if e["type"] == "gateway.taken"]
    assert all(e["element_id"] and e["data"]["target"] for e in gateways)
    # A condition that decided names the values it read.
    assert any(e["data"]["condition"] and e["data"]["values"] for e in gateways)
    decisions = {e["data"]["decision"]: e["data"] for e in history if e["type"] == "decision.evaluated"}
    routing = decisions["p2p_approval_routing"]
    assert routing["inputs"] and routing["outputs"] is not None and routing["table_version"]["sha256"]

    # 3. The approval, with the figures the approver saw and the separation-of-duties check.
    controls = api.get("/api/v1/reports/controls", "erin", params={"definition_key": "procure_to_pay"}).json()
    (approval,) = [a for a in controls["approvals"] if a["instance_id"] == iid]
    assert approval["actor"] == "bob" and approval["decision"] == "approve"
    assert approval["seen"]["total_company"] == 8400
    checks = [c for c in controls["separation_of_duties"]["checks"] if c["instance_id"] == iid]
    assert checks and all(c["passed"] for c in checks)
    assert any(c["element_id"] == "approve_department" and "alice" in c["excluded_users"] for c in checks)

    # 4. The export carries the same trail.
    exported = api.get("/api/v1/audit/events", "erin", params={"instance_id": iid, "format": "jsonl"})
    assert exported.status_code == 200
    assert [json.loads(line)["hash"] for line in exported.text.splitlines()] == [e["hash"] for e in history]

    # 5. And it verifies; the exact definition version is there to read.
    verification = api.get("/api/v1/audit/verify", "erin").json()
    assert verification["ok"] is True and verification["events"] >= len(history)
    sources = api.get(f"/api/v1/instances/{iid}/definition", "erin").json()
    assert {s["kind"] for s in sources["sources"]} >= {"yaml", "bpmn", "form"}
    assert api.get("/api/v1/audit/verify", "alice").status_code == 403
