"""complaint_handling and the credit_note process, through the HTTP API.

A service agent logs a complaint; the case (CASE-...) gets response and resolution
deadlines by severity from the decision table complaint_sla_targets, which become the
due dates of the agent's tasks. A missed response deadline escalates to the service
supervisors without taking the task from the agent, and is recorded on the case as an SLA
breach. Compensation is a credit note: above 200 a supervisor who did not propose it
approves, then the credit_note process (started by credit_note_request) has accounts
receivable approve it, records CN-... against the invoice and answers credit_note_issued.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tests.support.client import assert_problem

COMPLAINT = {"customer": "CUST-ACME", "severity": "high", "category": "product_defect",
             "description": "Two of the ten chairs delivered last week have a broken gas lift."}
RESPONSE = {"valid_complaint": True, "first_response": "We are sorry about the chairs and are looking into it today."}
NO_COMPENSATION = {"findings": "Gas lifts from one supplier batch fail under load.", "root_cause_category": "supplier",
                   "resolution_code": "replacement", "compensation": False}
MESSAGE = {"customer_message": "Two replacement chairs are on their way; sorry for the trouble.", "channel": "email"}
START = datetime.fromisoformat("2026-01-05T09:00:00+00:00")  # the injected clock's start


def credit(invoice: str, amount: str) -> dict:
    return {"findings": "Chairs arrived scratched; the customer keeps them at a reduced price.",
            "root_cause_category": "logistics", "resolution_code": "credit_note", "compensation": True,
            "invoice": invoice, "compensation_amount": float(amount),
            "compensation_reason": "Price reduction for scratched chairs"}


def an_invoice(biz, total: str = "3200.00", customer: str = "CUST-ACME") -> str:
    """An unpaid customer invoice, as lead_to_cash leaves one behind."""
    engine = biz.api.engine
    with engine.transaction() as session:
        record = engine.context.records.create(session, "customer_invoice", {
            "customer": customer, "sales_order": "SO-2026-000099", "total": Decimal(total),
            "open_amount": Decimal(total), "credited": 0, "currency": "EUR"}, "test", status="unpaid")
        return record.number


def due(task: dict) -> datetime:
    return datetime.fromisoformat(task["due_at"])


def credit_note_instance(biz) -> str:
    response = biz.api.client.get("/api/v1/instances", headers=biz.h("erin"),
                                  params={"definition_key": "credit_note", "limit": 50})
    (instance,) = response.json()["items"]
    return instance["id"]


def test_happy_path_case_deadlines_first_response_resolution_confirmation_closure(biz):
    iid = biz.start("complaint_handling", "agnes", COMPLAINT)["id"]
    case_id = biz.instance(iid)["data"]["case_id"]
    case = biz.record("complaint_case", case_id)
    assert case_id.startswith("CASE-2026-") and case["status"] == "open"
    assert case["data"]["response_sla"] == "running" and case["data"]["severity"] == "high"
    task = biz.task(iid, "first_response")
    assert task["candidate_groups"] == ["service_agents"] and due(task) == START + timedelta(hours=8)

    biz.later(hours=7, minutes=59)                            # in time
    biz.complete(iid, "first_response", "agnes", RESPONSE)
    assert biz.record("complaint_case", case_id)["data"]["response_sla"] == "met"
    assert due(biz.task(iid, "investigate")) == START + timedelta(days=3)
    biz.complete(iid, "investigate", "agnes", NO_COMPENSATION)
    assert due(biz.task(iid, "communicate_resolution")) == START + timedelta(days=3)
    biz.complete(iid, "communicate_resolution", "agnes", MESSAGE)
    resolved = biz.record("complaint_case", case_id)
    assert resolved["status"] == "resolved" and resolved["data"]["resolution_sla"] == "met"
    assert resolved["data"]["compensation_status"] == "none"
    done = biz.complete(iid, "customer_confirmation", "agnes", {"customer_accepts": True, "csat": 5})
    assert done["status"] == "completed"
    closed = biz.record("complaint_case", case_id)
    assert closed["status"] == "closed" and closed["data"]["closure"] == "confirmed_by_customer"
    assert closed["data"]["csat"] == 5 and closed["data"]["root_cause_category"] == "supplier"
    assert biz.inbox("sven") == []                            # nothing was escalated


def test_only_service_agents_log_complaints_and_the_start_form_is_the_issues(biz):
    assert_problem(biz.api.client.post("/api/v1/definitions/complaint_handling/instances", headers=biz.h("sam"),
                                       json={"data": COMPLAINT}), 403)
    invalid = biz.api.client.post("/api/v1/definitions/complaint_handling/instances", headers=biz.h("agnes"),
                                  json={"data": {**COMPLAINT, "severity": "urgent", "description": "short"}})
    assert {e["path"] for e in assert_problem(invalid, 422)["errors"]} == {"/severity", "/description"}


@pytest.mark.parametrize(("severity", "response", "resolution"), [
    ("critical", timedelta(hours=4), timedelta(hours=24)),
    ("high", timedelta(hours=8), timedelta(days=3)),
    ("medium", timedelta(days=1), timedelta(days=5)),
    ("low", timedelta(days=3), timedelta(days=10)),
])
def test_response_and_resolution_deadlines_by_severity_from_the_decision_table(biz, severity, response, resolution):
    iid = biz.start("complaint_handling", "agnes", {**COMPLAINT, "severity": severity})["id"]
    assert due(biz.task(iid, "first_response")) == START + response
    case = biz.record("complaint_case", biz.instance(iid)["data"]["case_id"])
    assert datetime.fromisoformat(case["data"]["resolution_due"]) == START + resolution
    (decision,) = [e for e in biz.history(iid) if e["type"] == "decision.evaluated"]
    assert decision["data"]["decision"] == "complaint_sla_targets"


def test_a_missed_response_deadline_escalates_without_taking_the_task_from_the_agent(biz):
    iid = biz.start("complaint_handling", "agnes", {**COMPLAINT, "severity": "critical"})["id"]
    case_id = biz.instance(iid)["data"]["case_id"]
    agent_task = biz.task(iid, "first_response")
    biz.later(hours=3, minutes=59)
    assert biz.open(iid) == ["first_response"]

    biz.later(minutes=1)                                       # 4 h have passed
    assert sorted(biz.open(iid)) == ["first_response", "response_escalation"]
    assert biz.task(iid, "first_response")["id"] == agent_task["id"]   # the agent keeps it
    assert "response_escalation" in biz.inbox("sven") and "first_response" in biz.inbox("agnes")
    assert biz.task(iid, "response_escalation")["candidate_groups"] == ["service_supervisors"]
    case = biz.record("complaint_case", case_id)["data"]
    assert case["response_sla"] == "breached" and case["response_escalated_to"] == "service_supervisors"
    fired = [e["element_id"] for e in biz.history(iid) if e["type"] == "timer.fired"]
    assert fired == ["response_deadline"]

    biz.complete(iid, "response_escalation", "sven", {"action": "supported_agent", "note": "Helped with the reply."})
    biz.complete(iid, "first_response", "agnes", RESPONSE)    # late: the breach stays on record
    assert biz.record("complaint_case", case_id)["data"]["response_sla"] == "breached"
    assert biz.open(iid) == ["investigate"]


def test_a_missed_resolution_deadline_is_recorded_and_escalated_too(biz):
    iid = biz.start("complaint_handling", "agnes", COMPLAINT)["id"]
    biz.complete(iid, "first_response", "agnes", RESPONSE)
    biz.later(days=3)
    assert sorted(biz.open(iid)) == ["investigate", "resolution_escalation"]
    case_id = biz.instance(iid)["data"]["case_id"]
    assert biz.record("complaint_case", case_id)["data"]["resolution_sla"] == "breached"
    biz.complete(iid, "investigate", "agnes", NO_COMPENSATION)
    biz.complete(iid, "communicate_resolution", "agnes", MESSAGE)
    assert biz.record("complaint_case", case_id)["data"]["resolution_sla"] == "breached"


def test_something_that_is_not_a_complaint_is_closed_with_a_reason(biz):
    iid = biz.start("complaint_handling", "agnes", COMPLAINT)["id"]
    refused = biz.try_complete(iid, "first_response", "agnes", {**RESPONSE, "valid_complaint": False})
    assert [e["path"] for e in assert_problem(refused, 422)["errors"]] == ["/not_a_complaint_reason"]
    done = biz.complete(iid, "first_response", "agnes",
                        {**RESPONSE, "valid_complaint": False, "not_a_complaint_reason": "inquiry"})
    assert done["status"] == "completed"
    case = biz.record("complaint_case", done["data"]["case_id"])
    assert case["status"] == "closed" and case["data"]["closure"] == "not_a_complaint"


def test_compensation_up_to_200_needs_no_supervisor_and_becomes_a_credit_note(biz):
    invoice = an_invoice(biz)
    iid = biz.start("complaint_handling", "agnes", COMPLAINT)["id"]
    case_id = biz.instance(iid)["data"]["case_id"]
    biz.complete(iid, "first_response", "agnes", RESPONSE)
    invalid = biz.try_complete(iid, "investigate", "agnes", {**NO_COMPENSATION, "resolution_code": "credit_note"})
    assert [e["path"] for e in assert_problem(invalid, 422)["errors"]] == ["/compensation"]
    biz.complete(iid, "investigate", "agnes", credit(invoice, "200"))
    assert biz.open(iid) == [] and "credit_note_answer" in biz.instance(iid)["active_elements"]
    assert biz.record("complaint_case", case_id)["status"] == "waiting_on_credit_note"

    cn = credit_note_instance(biz)
    task = biz.task(cn, "approve_credit_note")
    assert task["candidate_groups"] == ["accounts_receivable"]
    assert biz.instance(cn)["data"]["request"]["case_id"] == case_id
    biz.complete(cn, "approve_credit_note", "rob", {"decision": "approve"})
    assert biz.instance(cn)["status"] == "completed"
    (note,) = biz.records("credit_note")
    assert note["number"].startswith("CN-2026-") and note["status"] == "issued"
    assert note["data"]["case_id"] == case_id and note["data"]["invoice"] == invoice
    assert Decimal(str(note["data"]["amount"])) == 200
    booked = biz.record("customer_invoice", invoice)["data"]
    assert Decimal(str(booked["credited"])) == 200 and booked["credit_notes"] == [note["number"]]

    assert biz.open(iid) == ["communicate_resolution"]
    case = biz.record("complaint_case", case_id)["data"]
    assert case["compensation_status"] == "credit_note_issued" and case["credit_note"] == note["number"]


def test_compensation_above_200_needs_a_supervisor_who_did_not_propose_it(biz):
    invoice = an_invoice(biz)
    iid = biz.start("complaint_handling", "agnes", COMPLAINT)["id"]
    biz.complete(iid, "first_response", "agnes", RESPONSE)
    biz.complete(iid, "investigate", "alex", credit(invoice, "200.01"))   # alex: agent and supervisor
    assert biz.open(iid) == ["compensation_approval"]
    biz.assert_sod_refused(iid, "compensation_approval", "alex", {"decision": "approve"})
    biz.complete(iid, "compensation_approval", "sven",
                 {"decision": "return_for_rework", "comment": "Offer a replacement instead of a credit."})
    assert biz.open(iid) == ["investigate"]
    biz.complete(iid, "investigate", "alex", credit(invoice, "250"))
    biz.complete(iid, "compensation_approval", "sven", {"decision": "approve"})
    cn = credit_note_instance(biz)
    # accounts receivable refuses: the complaint hears so and goes on without a credit note
    biz.complete(cn, "approve_credit_note", "rob", {"decision": "reject", "comment": "Invoice is already disputed."})
    assert biz.records("credit_note") == []
    assert biz.open(iid) == ["communicate_resolution"]
    case = biz.record("complaint_case", biz.instance(iid)["data"]["case_id"])["data"]
    assert case["compensation_status"] == "refused_by_accounts_receivable" and case["credit_note"] is None


def test_a_credit_note_larger_than_what_is_left_of_the_invoice_is_refused_without_a_task(biz):
    invoice = an_invoice(biz, total="150.00")
    iid = biz.start("complaint_handling", "agnes", COMPLAINT)["id"]
    biz.complete(iid, "first_response", "agnes", RESPONSE)
    biz.complete(iid, "investigate", "agnes", credit(invoice, "150.01"))
    cn = credit_note_instance(biz)
    assert biz.instance(cn)["status"] == "completed" and biz.instance(cn)["open_tasks"] == []
    assert "exceeds what is left of invoice" in biz.instance(cn)["data"]["refusal_reason"]
    assert biz.open(iid) == ["communicate_resolution"]
    assert biz.records("credit_note") == []


def test_a_rejected_resolution_reopens_the_case_and_the_second_rejection_goes_to_a_supervisor(biz):
    iid = biz.start("complaint_handling", "agnes", COMPLAINT)["id"]
    case_id = biz.instance(iid)["data"]["case_id"]
    biz.complete(iid, "first_response", "agnes", RESPONSE)
    rejection = {"customer_accepts": False, "csat": 2, "customer_comment": "Still broken."}
    for round_ in (1, 2):
        biz.complete(iid, "investigate", "agnes", NO_COMPENSATION)
        biz.complete(iid, "communicate_resolution", "agnes", MESSAGE)
        invalid = biz.try_complete(iid, "customer_confirmation", "agnes", {"customer_accepts": False, "csat": 2})
        assert [e["path"] for e in assert_problem(invalid, 422)["errors"]] == ["/customer_comment"]
        biz.complete(iid, "customer_confirmation", "agnes", rejection)
        if round_ == 1:
            assert biz.open(iid) == ["investigate"]
            assert biz.record("complaint_case", case_id)["status"] == "reopened"
    assert biz.open(iid) == ["supervisor_review"]
    done = biz.complete(iid, "supervisor_review", "sven",
                        {"outcome": "resolved_by_supervisor", "closing_note": "Full replacement of the order agreed."})
    assert done["status"] == "completed"
    closed = biz.record("complaint_case", case_id)
    assert closed["status"] == "closed" and closed["data"]["closure"] == "resolved_by_supervisor"
    assert closed["data"]["reopen_count"] == 2


def test_a_case_closes_by_itself_seven_days_after_the_resolution_without_an_answer(biz):
    iid = biz.start("complaint_handling", "agnes", {**COMPLAINT, "severity": "low"})["id"]
    biz.complete(iid, "first_response", "agnes", RESPONSE)
    biz.complete(iid, "investigate", "agnes", NO_COMPENSATION)
    biz.complete(iid, "communicate_resolution", "agnes", MESSAGE)
    biz.later(days=6, hours=23)
    assert biz.open(iid) == ["customer_confirmation"]
    biz.later(hours=1)
    done = biz.instance(iid)
    assert done["status"] == "completed"
    assert biz.record("complaint_case", done["data"]["case_id"])["data"]["closure"] == "auto_closed_no_answer"
