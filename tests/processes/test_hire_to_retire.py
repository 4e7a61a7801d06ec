"""hire_to_retire through the HTTP API: a job requisition is approved, a recruiting round
ends in a hire, the offer is approved by someone other than who prepared it and accepted,
the employee is onboarded in parallel (equipment through procure_to_pay, workplace,
payroll entered and verified by two people, the employee record), the first day is
confirmed and a timer brings the probation review.

procure_to_pay is played by the integration account here (its goods_received and
purchase_request_rejected replies); the make-to-order test runs the real one. Time is a
fake clock, background work runs when the test says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.database import build_template, copy_database
from tests.support.paths import REPO
from tests.support.scenario import PURCHASING_STUB, Scenario, open_scenario

DEFINITIONS = [REPO / "processes" / "hire_to_retire.yaml", REPO / "processes" / "hire_to_retire_equipment.yaml",
               *sorted((REPO / "forms").glob("h2r_*.yaml"))]
SEED = [REPO / "seed" / "hr.yaml", REPO / "seed" / "procurement.yaml"]
USERS = {
    "hank": ["employees", "hiring_managers"],
    "holly": ["employees", "hiring_managers", "hr"],
    "carol": ["employees", "hr"],
    "hugo": ["employees", "hr"],
    "dan": ["employees", "department_managers", "hr"],
    "bob": ["employees", "department_managers"],
    "frank": ["employees", "finance_controllers"],
    "cora": ["employees", "cfo"],
    # approves at every level: still only at one of them per requisition or offer
    "fern": ["employees", "hr", "finance_controllers", "cfo"],
    "rita": ["employees", "recruiters"],
    "ivan": ["employees", "it"],
    "fiona": ["employees", "facilities"],
    "pam": ["employees", "payroll"],
    "pete": ["employees", "payroll"],
    "ian": ["integration"],
    "erin": ["auditor"],
}
REQUISITION = {
    "job_title": "Backend engineer", "department": "IT", "employment_type": "full_time", "reason": "new_headcount",
    "pay_band": "B3", "expected_compensation": 82000, "currency": "EUR", "work_location": "hybrid",
    "role_family": "engineering", "expected_by": "2026-04-01", "budgeted": True,
    "job_description": "Builds and runs the services behind our order and production systems: Python, SQL, "
                       "messaging; on call one week in six.",
}
ROUND = {
    "candidate_name": "Jordan Smith", "candidate_email": "jordan.smith@example.org", "source": "referral",
    "consent_data_processing": True, "screening_rating": 4,
    "interviews": [
        {"interviewer": "Hank Holloway", "recommendation": "strong_yes", "score": 5,
         "comments": "Strong system design, clear communication, good questions."},
        {"interviewer": "Ivan Ivanov", "recommendation": "yes", "score": 4,
         "comments": "Solid coding exercise; would like more experience with messaging."},
    ],
}
# B3: min 65 000, mid 80 000, max 95 000. The clock starts on Monday 2026-01-05.
OFFER = {
    "offer_date": "2026-01-20", "offer_valid_till": "2026-02-03", "date_of_joining": "2026-02-16",
    "base_salary": 80000, "variable_pay": 5000, "sign_on_bonus": 0, "currency": "EUR", "probation_days": 90,
    "notice_days": 30, "reports_to": "EMP-0005",
}
APPROVE = {"decision": "approve"}


# -- an API over a database holding these definitions, users and the reference data ------------
@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("h2r") / "flowdesk.db", USERS, paths=DEFINITIONS,
                          sources=[PURCHASING_STUB], seed=SEED)


class Api(Scenario):
    """The shared scenario verbs; `start` starts a hire."""

    def start(self, user: str, data: dict) -> dict:  # type: ignore[override]
        return super().start("hire_to_retire", user, data)


@pytest.fixture
def api(template: Path, tmp_path: Path) -> Iterator[Api]:
    with open_scenario(template, tmp_path, scenario=Api) as made:
        yield made


# -- steps of the story; each stage is reached once per module and copied for each test --------
PAYROLL = {"account_holder": "Jordan Smith", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX",
           "tax_id": "12345678901", "pay_start_date": "2026-02-16"}
EMPLOYEE_RECORD = {"work_email": "jordan.smith@flowdesk.example", "contract_signed": True,
                   "contract_signed_on": "2026-01-23", "emergency_contact_name": "Alex Smith",
                   "emergency_contact_phone": "+4915187654321"}


def walk(api: Api, instance_id: str, stage: str) -> None:
    """Take an instance from the stage before `stage` to `stage` along the happy path."""
    if stage == "approved":
        api.complete(instance_id, "hr_approval", "carol", APPROVE)
    elif stage == "hire_decided":
        api.complete(instance_id, "recruiting_round", "rita", ROUND)
        api.complete(instance_id, "hiring_decision", "hank", {"decision": "hire", "comment": "Best of the round."})
    elif stage == "offer_sent":
        api.complete(instance_id, "prepare_offer", "rita", OFFER)
        api.complete(instance_id, "approve_offer", "carol", APPROVE)
    elif stage == "employee_created":
        api.complete(instance_id, "candidate_response", "rita", {"response": "accepted", "signed_on": "2026-01-22"})
        api.complete(instance_id, "background_check", "carol", {"result": "pass", "provider_reference": "BGC-0117"})
    elif stage == "onboarded":
        employee = api.instance(instance_id)["data"]["employee_number"]
        api.message("goods_received", {"origin_ref": employee},
                    {"origin_ref": employee, "goods_receipt": "GR-2026-000001", "lines": []})
        api.complete(instance_id, "hand_over_equipment", "ivan",
                     {"username": "jsmith", "accounts_created": True, "asset_tags": ["AST-100231"]})
        api.complete(instance_id, "prepare_workplace", "fiona", {"desk": "HQ-2-114", "badge_number": "B004711"})
        api.complete(instance_id, "enter_payroll_data", "pam", PAYROLL)
        api.complete(instance_id, "verify_payroll_data", "pete", {"decision": "verified"})
        api.complete(instance_id, "complete_employee_record", "carol", EMPLOYEE_RECORD)
    elif stage == "in_probation":
        api.complete(instance_id, "confirm_start", "bob", {"outcome": "started", "first_day": "2026-02-16"})


STAGES = ["started", "approved", "hire_decided", "offer_sent", "employee_created", "onboarded", "in_probation"]


@pytest.fixture(scope="module")
def stages(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One hire walked once along the happy path, its database copied at every stage."""
    folder = tmp_path_factory.mktemp("h2r_stages")
    found = {}
    with open_scenario(template, folder, scenario=Api) as api:
        instance_id = api.start("hank", REQUISITION)["id"]
        for stage in STAGES:
            walk(api, instance_id, stage)
            found[stage] = folder / f"{stage}.db"
            copy_database(folder / "flowdesk.db", found[stage])
    return found


@pytest.fixture
def at(stages: dict[str, Path], tmp_path: Path):
    """``api, instance_id = at("offer_sent")``: a fresh copy of the hire at that stage."""
    with ExitStack() as stack:
        def open_at(stage: str) -> tuple[Api, str]:
            place = tmp_path / stage
            place.mkdir()
            api = stack.enter_context(open_scenario(stages[stage], place, scenario=Api))
            (instance,) = api.instances("hire_to_retire")
            return api, instance["id"]

        yield open_at


# -- the main flow --------------------------------------------------------------------------------
def test_a_hire_from_requisition_to_confirmed_employee(api):
    instance = api.start("hank", REQUISITION)
    instance_id = instance["id"]
    jr = instance["data"]["jr_number"]
    assert jr == "JR-2026-000001"
    assert api.record("job_requisition", jr)["status"] == "pending_approval"
    assert api.record("job_requisition", jr)["data"]["cost_center"] == "CC-200"  # from the department
    assert api.open_elements(instance_id) == ["hr_approval"]
    assert instance["data"]["approver"] == ["hr"]  # budgeted, within the band: HR alone

    api.complete(instance_id, "hr_approval", "carol", APPROVE)
    assert api.record("job_requisition", jr)["status"] == "open"

    api.complete(instance_id, "recruiting_round", "rita", ROUND)
    data = api.instance(instance_id)["data"]
    assert data["recommendation"] == "hire_recommended" and data["candidate_number"] == "CAND-2026-000001"
    hiring = api.task(instance_id, "hiring_decision")
    assert hiring["assignee"] == "hank"  # the hiring manager who raised the requisition decides
    api.complete(instance_id, "hiring_decision", "hank", {"decision": "hire", "comment": "Best of the round."})

    api.complete(instance_id, "prepare_offer", "rita", OFFER)
    offer = api.instance(instance_id)["data"]["offer_number"]
    assert offer == "OFR-2026-000001"
    assert api.record("offer", offer)["data"]["compa_ratio"] == Decimal("1.000")
    assert api.open_elements(instance_id) == ["approve_offer"]  # compa-ratio 100 %: HR alone
    api.complete(instance_id, "approve_offer", "carol", APPROVE)
    assert api.record("offer", offer)["status"] == "sent"
    assert api.task(instance_id, "candidate_response")["due_at"].startswith("2026-02-03T23:59:59")

    api.complete(instance_id, "candidate_response", "rita", {"response": "accepted", "signed_on": "2026-01-22"})
    assert api.record("offer", offer)["status"] == "accepted"
    assert api.open_elements(instance_id) == ["background_check"]  # no employee before the check passed
    assert api.call("GET", "/records/employee", "erin", params={"status": "onboarding"})["items"] == []
    api.complete(instance_id, "background_check", "carol", {"result": "pass", "provider_reference": "BGC-0117"})

    data = api.instance(instance_id)["data"]
    employee = data["employee_number"]
    assert employee == "EMP-2026-000001"
    assert api.record("employee", employee)["status"] == "onboarding"
    assert api.record("job_requisition", jr)["status"] == "filled"
    assert api.record("candidate", data["candidate_number"])["status"] == "hired"
    assert api.open_elements(instance_id) == ["complete_employee_record", "enter_payroll_data", "prepare_workplace"]

    # IT asked procure_to_pay for the equipment: type equipment, origin_ref = the employee number.
    sent = [e for e in api.call("GET", f"/instances/{instance_id}/history", "erin", params={"limit": 500})["items"]
            if e["type"] == "message.sent"]
    assert [e["data"]["name"] for e in sent] == ["purchase_request"]
    assert sent[0]["data"]["correlation"]["purchase_request"] == {"origin_ref": employee}
    request = data["equipment_lines"]
    assert [(line["item"], line["quantity"]) for line in request] == [("LAPTOP-14", 1), ("MONITOR-27", 2),
                                                                      ("DOCK-USBC", 1)]
    assert request[0]["unit_price"] == 1450  # the item's standard price, from the reference data

    reply = api.message("goods_received", {"origin_ref": employee},
                        {"origin_ref": employee, "goods_receipt": "GR-2026-000001", "lines": []})
    # The call activity runs hire_to_retire_equipment as a child instance, which took the receipt.
    children = api.call("GET", "/instances", "erin", params={"parent_instance_id": instance_id})["items"]
    assert [(c["definition_key"], c["status"]) for c in children] == [("hire_to_retire_equipment", "completed")]
    assert reply["correlated_instances"] == [children[0]["id"]]
    assert children[0]["parent_instance_id"] == instance_id
    api.complete(instance_id, "hand_over_equipment", "ivan",
                 {"username": "jsmith", "accounts_created": True, "asset_tags": ["AST-100231", "AST-100232"]})
    api.complete(instance_id, "prepare_workplace", "fiona", {"desk": "HQ-2-114", "badge_number": "B004711"})
    api.complete(instance_id, "enter_payroll_data", "pam", PAYROLL)
    api.complete(instance_id, "verify_payroll_data", "pete", {"decision": "verified"})
    api.complete(instance_id, "complete_employee_record", "carol", EMPLOYEE_RECORD)
    assert api.record("employee", employee)["status"] == "onboarded"
    assert api.record("employee", employee)["data"]["work_email"] == "jordan.smith@flowdesk.example"

    api.complete(instance_id, "confirm_start", "bob", {"outcome": "started", "first_day": "2026-02-16"})
    assert api.record("employee", employee)["status"] == "probation"
    assert api.open_elements(instance_id) == []

    # The review comes 14 days before the 90-day probation ends, by timer.
    api.later(days=75)
    assert api.open_elements(instance_id) == []
    api.later(days=1, seconds=1)
    assert api.open_elements(instance_id) == ["probation_review"]
    api.complete(instance_id, "probation_review", "bob", {
        "outcome": "confirm", "assessment": "Met every objective of the probation plan; owns the order service."})
    assert api.instance(instance_id)["status"] == "completed"
    assert api.record("employee", employee)["status"] == "active"

    # Every document the hire produced is linked to the instance that produced it.
    for type_, number in [("job_requisition", jr), ("offer", offer), ("employee", employee),
                          ("candidate", data["candidate_number"])]:
        links = api.record(type_, number)["instances"]
        assert {"instance_id": instance_id, "relation": "created"} in links, (type_, links)
    completed = [(e["element_id"], e["actor"]) for e in api.call(
        "GET", f"/instances/{instance_id}/history", "erin", params={"limit": 500})["items"]
        if e["type"] == "task.completed"]
    assert ("verify_payroll_data", "pete") in completed and ("enter_payroll_data", "pam") in completed


# -- decision tables at their boundaries -----------------------------------------------------------
@pytest.mark.parametrize(("changes", "approvers", "tasks"), [
    ({"expected_compensation": 95000}, ["hr"], ["hr_approval"]),
    ({"expected_compensation": 95000.01}, ["hr"], ["hr_approval"]),
    ({"budgeted": False}, ["hr", "department_manager", "finance"],
     ["hr_approval", "department_approval", "finance_approval"]),
    ({"pay_band": "B5", "expected_compensation": 150000}, ["hr", "executive"], ["hr_approval", "executive_approval"]),
], ids=["at-band-max", "above-band-max", "unbudgeted", "director"])
def test_requisition_routing(api, changes, approvers, tasks):
    instance = api.start("hank", {**REQUISITION, **changes})
    assert sorted(set(instance["data"]["approver"])) == sorted(approvers)
    assert instance["data"]["over_band"] is (changes.get("expected_compensation") == 95000.01)
    approver_for = {"hr_approval": "carol", "department_approval": "bob", "finance_approval": "frank",
                    "executive_approval": "cora"}
    for element in tasks:
        assert api.open_elements(instance["id"]) == [element]
        api.complete(instance["id"], element, approver_for[element], APPROVE)
    assert api.open_elements(instance["id"]) == ["recruiting_round"]
    assert api.record("job_requisition", instance["data"]["jr_number"])["status"] == "open"


@pytest.mark.parametrize(("base_salary", "approvals"), [
    (92000, ["approve_offer"]),  # 115 % of the midpoint: HR
    (92000.01, ["approve_offer", "approve_offer_finance"]),  # above 115 %: finance too
])
def test_offer_approval_at_115_percent_of_the_midpoint(at, base_salary, approvals):
    api, instance_id = at("hire_decided")
    api.complete(instance_id, "prepare_offer", "rita", {**OFFER, "base_salary": base_salary})
    approver_for = {"approve_offer": "carol", "approve_offer_finance": "frank"}
    for element in approvals:
        assert api.open_elements(instance_id) == [element]
        api.complete(instance_id, element, approver_for[element], APPROVE)
    assert api.open_elements(instance_id) == ["candidate_response"]


def test_hiring_recommendation_is_advisory(at):
    api, instance_id = at("approved")
    weak = {**ROUND, "interviews": [{**i, "recommendation": "strong_no" if n == 0 else "yes"}
                                    for n, i in enumerate(ROUND["interviews"])]}
    api.complete(instance_id, "recruiting_round", "rita", weak)
    assert api.instance(instance_id)["data"]["recommendation"] == "reject_recommended"
    api.complete(instance_id, "hiring_decision", "hank", {"decision": "hire", "comment": "Overruled: see notes."})
    assert api.open_elements(instance_id) == ["prepare_offer"]


# -- separation of duties ------------------------------------------------------------------------
def test_whoever_raised_a_requisition_cannot_approve_it(api):
    instance = api.start("holly", REQUISITION)  # holly is a hiring manager and in HR
    task = api.task(instance["id"], "hr_approval")
    assert task["id"] not in [t["id"] for t in api.call("GET", "/tasks", "holly")["items"]]
    refused = api.call("POST", f"/tasks/{task['id']}/complete", "holly", 403, json={"data": APPROVE})
    assert refused["type"].endswith("/separation-of-duties")
    assert api.denied("holly")
    api.complete(instance["id"], "hr_approval", "carol", APPROVE)


def test_each_approval_level_is_a_different_person(api):
    instance = api.start("hank", {**REQUISITION, "budgeted": False})
    api.complete(instance["id"], "hr_approval", "dan", APPROVE)  # dan: HR and department manager
    api.complete(instance["id"], "department_approval", "dan", APPROVE, expect=403)
    assert api.denied("dan")
    api.complete(instance["id"], "department_approval", "bob", APPROVE)


def test_who_approved_one_level_may_not_approve_finance_or_executive_levels(api):
    instance = api.start("hank", {**REQUISITION, "budgeted": False, "pay_band": "B5",
                                  "expected_compensation": 150000})
    iid = instance["id"]
    api.complete(iid, "hr_approval", "fern", APPROVE)
    seen = []
    for _ in range(4):
        (element,) = api.open_elements(iid)
        if element == "recruiting_round":
            break
        seen.append(element)
        if element in ("finance_approval", "executive_approval"):
            api.complete(iid, element, "fern", APPROVE, expect=403)  # fern approved for HR
            assert any(e["task_id"] == api.task(iid, element)["id"] for e in api.denied("fern"))
        api.complete(iid, element, {"department_approval": "bob", "finance_approval": "frank",
                                    "executive_approval": "cora"}[element], APPROVE)
    assert seen == ["department_approval", "finance_approval", "executive_approval"]
    assert api.open_elements(iid) == ["recruiting_round"]


def test_who_approved_an_offer_for_hr_may_not_approve_it_for_finance(at):
    api, instance_id = at("hire_decided")
    api.complete(instance_id, "prepare_offer", "rita", {**OFFER, "base_salary": 92000.01})  # above 115 %
    api.complete(instance_id, "approve_offer", "fern", APPROVE)
    api.complete(instance_id, "approve_offer_finance", "fern", APPROVE, expect=403)
    assert any(e["task_id"] == api.task(instance_id, "approve_offer_finance")["id"] for e in api.denied("fern"))
    api.complete(instance_id, "approve_offer_finance", "rita", APPROVE, expect=403)  # not finance at all
    api.complete(instance_id, "approve_offer_finance", "frank", APPROVE)
    assert api.open_elements(instance_id) == ["candidate_response"]


def test_a_director_offer_is_approved_by_the_cfo_who_did_not_approve_it_for_hr(api):
    iid = api.start("hank", {**REQUISITION, "pay_band": "B5", "expected_compensation": 150000})["id"]
    api.complete(iid, "hr_approval", "carol", APPROVE)
    api.complete(iid, "executive_approval", "cora", APPROVE)
    api.complete(iid, "recruiting_round", "rita", ROUND)
    api.complete(iid, "hiring_decision", "hank", {"decision": "hire", "comment": "Best of the round."})
    api.complete(iid, "prepare_offer", "rita", {**OFFER, "base_salary": 140000})  # the band's midpoint
    api.complete(iid, "approve_offer", "fern", APPROVE)
    assert api.open_elements(iid) == ["approve_offer_executive"]
    api.complete(iid, "approve_offer_executive", "fern", APPROVE, expect=403)  # fern approved it for HR
    assert any(e["task_id"] == api.task(iid, "approve_offer_executive")["id"] for e in api.denied("fern"))
    api.complete(iid, "approve_offer_executive", "cora", APPROVE)
    assert api.open_elements(iid) == ["candidate_response"]


def test_whoever_prepared_an_offer_cannot_approve_it(at):
    api, instance_id = at("hire_decided")
    api.complete(instance_id, "prepare_offer", "carol", OFFER)  # HR may prepare offers too
    api.complete(instance_id, "approve_offer", "carol", APPROVE, expect=403)
    assert api.denied("carol")
    api.complete(instance_id, "approve_offer", "hugo", APPROVE)
    assert api.open_elements(instance_id) == ["candidate_response"]


def test_payroll_data_is_verified_by_someone_else(at):
    api, instance_id = at("employee_created")
    api.complete(instance_id, "enter_payroll_data", "pam", PAYROLL)
    api.complete(instance_id, "verify_payroll_data", "pam", {"decision": "verified"}, expect=403)
    assert api.denied("pam")
    # a correction round: pete returns it, pam corrects, and now neither... pam may still not verify
    api.complete(instance_id, "verify_payroll_data", "pete",
                 {"decision": "return_for_correction", "comment": "Tax id does not match the certificate."})
    api.complete(instance_id, "enter_payroll_data", "pete", {**PAYROLL, "tax_id": "12345678902"})
    api.complete(instance_id, "verify_payroll_data", "pete", {"decision": "verified"}, expect=403)
    api.complete(instance_id, "verify_payroll_data", "pam", {"decision": "verified"}, expect=403)


# -- rejection, rework, cancellation ----------------------------------------------------------------
def test_a_rejected_requisition_ends_and_a_comment_is_required(api):
    instance = api.start("hank", REQUISITION)
    invalid = api.complete(instance["id"], "hr_approval", "carol", {"decision": "reject"}, expect=422)
    assert invalid["errors"] == [{"path": "/comment", "message": "is required"}]
    api.complete(instance["id"], "hr_approval", "carol", {"decision": "reject", "comment": "No headcount this year."})
    assert api.instance(instance["id"])["status"] == "completed"
    assert api.record("job_requisition", instance["data"]["jr_number"])["status"] == "rejected"


def test_three_returns_reject_the_requisition_and_a_withdrawal_cancels_it(api):
    instance = api.start("hank", REQUISITION)
    back = {"decision": "return_for_rework", "comment": "Please justify the band."}
    for attempt in range(2):
        api.complete(instance["id"], "hr_approval", "carol", back)
        assert api.task(instance["id"], "revise_requisition")["assignee"] == "hank"
        api.complete(instance["id"], "revise_requisition", "hank",
                     {"action": "resubmit", "change_note": f"Justified, attempt {attempt + 1}.",
                      "expected_compensation": 80000})
    api.complete(instance["id"], "hr_approval", "carol", back)
    assert api.instance(instance["id"])["status"] == "completed"
    assert api.record("job_requisition", instance["data"]["jr_number"])["status"] == "rejected"

    other = api.start("hank", REQUISITION)
    api.complete(other["id"], "hr_approval", "carol", back)
    api.complete(other["id"], "revise_requisition", "hank", {"action": "withdraw", "change_note": "Team reorganised."})
    assert api.record("job_requisition", other["data"]["jr_number"])["status"] == "cancelled"


def test_after_three_rounds_hr_reviews_the_sourcing_and_may_cancel(at):
    api, instance_id = at("approved")
    for n in range(3):
        api.complete(instance_id, "recruiting_round", "rita", {**ROUND, "candidate_email": f"c{n}@example.org"})
        api.complete(instance_id, "hiring_decision", "hank", {"decision": "reject_candidate", "comment": "Not a fit."})
    assert api.open_elements(instance_id) == ["sourcing_review"]
    api.complete(instance_id, "sourcing_review", "carol",
                 {"decision": "cancel_requisition", "comment": "Market too thin at this band."})
    data = api.instance(instance_id)["data"]
    assert api.record("job_requisition", data["jr_number"])["status"] == "cancelled"
    assert api.record("candidate", data["candidate_number"])["status"] == "rejected"


def test_offer_dates_are_checked_and_a_counter_offer_is_approved_again(at):
    api, instance_id = at("hire_decided")
    # The form's cross-field rules (x-rules) refuse impossible dates at submission, at their field.
    for changes, field_ in [({"offer_valid_till": "2026-02-20"}, "/offer_valid_till"),  # 31 days
                            ({"offer_valid_till": "2026-01-20"}, "/offer_valid_till"),  # not after the date
                            ({"date_of_joining": "2026-01-26"}, "/date_of_joining")]:  # 6 days
        problem = api.complete(instance_id, "prepare_offer", "rita", {**OFFER, **changes}, expect=422)
        assert [e["path"] for e in problem["errors"]] == [field_], problem
    assert api.open_elements(instance_id) == ["prepare_offer"]
    assert "offer_valid_till" not in api.instance(instance_id)["data"]  # nothing reached the process
    # at the boundaries: valid 30 days, joining after 7
    api.complete(instance_id, "prepare_offer", "rita",
                 {**OFFER, "offer_valid_till": "2026-02-19", "date_of_joining": "2026-01-27"})
    assert api.open_elements(instance_id) == ["approve_offer"]
    api.complete(instance_id, "approve_offer", "carol", {"decision": "return_for_rework", "comment": "Use the usual dates."})
    api.complete(instance_id, "prepare_offer", "rita", OFFER)
    api.complete(instance_id, "approve_offer", "carol", APPROVE)
    api.complete(instance_id, "candidate_response", "rita",
                 {"response": "counter_offer", "counter_note": "Asks for 85 000 base salary."})
    api.complete(instance_id, "prepare_offer", "rita", {**OFFER, "base_salary": 85000})
    data = api.instance(instance_id)["data"]
    assert api.record("offer", data["offer_number"])["data"]["base_salary"] == 85000  # the same offer, revised
    api.complete(instance_id, "approve_offer", "carol", APPROVE)
    assert api.open_elements(instance_id) == ["candidate_response"]


def test_an_unanswered_offer_expires_and_the_next_round_starts(at):
    api, instance_id = at("offer_sent")
    offer = api.instance(instance_id)["data"]["offer_number"]
    # The clock is at 2026-01-05 09:00; the offer is valid until 2026-02-03 23:59:59.
    api.later(days=29, hours=14, minutes=59)
    assert api.open_elements(instance_id) == ["candidate_response"]
    api.later(minutes=2)
    assert api.record("offer", offer)["status"] == "expired"
    assert api.open_elements(instance_id) == ["recruiting_round"]


def test_a_failed_background_check_withdraws_the_offer(at):
    api, instance_id = at("offer_sent")
    api.complete(instance_id, "candidate_response", "rita", {"response": "accepted", "signed_on": "2026-01-22"})
    offer = api.instance(instance_id)["data"]["offer_number"]
    api.complete(instance_id, "background_check", "carol",
                 {"result": "fail", "provider_reference": "BGC-0118", "comment": "Right to work not shown."})
    assert api.record("offer", offer)["status"] == "withdrawn"
    assert api.call("GET", "/records/employee", "erin", params={"status": "onboarding"})["items"] == []
    assert api.open_elements(instance_id) == ["recruiting_round"]


def test_rejected_equipment_request_and_an_invalid_iban(at):
    api, instance_id = at("employee_created")
    employee = api.instance(instance_id)["data"]["employee_number"]
    api.message("purchase_request_rejected", {"origin_ref": employee},
                {"origin_ref": employee, "reason": "Use the standard kit."})
    assert "resolve_equipment" in api.open_elements(instance_id)
    problem = api.complete(instance_id, "resolve_equipment", "ivan", {  # refused: the request was rejected
        "resolution": "keep_waiting", "new_needed_by": "2026-02-20", "comment": "Nothing to wait for."}, expect=422)
    assert [(e["path"], e["translations"]["zh-CN"]) for e in problem["errors"]] == [
        ("/resolution", "当前没有在途订单：请重新申请或从 IT 库存领用")]  # noqa: RUF001
    assert "resolve_equipment" in api.open_elements(instance_id)
    api.complete(instance_id, "resolve_equipment", "ivan",
                 {"resolution": "request_again", "comment": "Agreed the standard kit with purchasing."})
    requests = api.call("GET", "/instances", "erin", params={"definition_key": "stub_purchasing"})["items"]
    assert len(requests) == 2  # the equipment was requested a second time
    assert "hand_over_equipment" not in api.open_elements(instance_id)
    api.message("goods_received", {"origin_ref": employee},
                {"origin_ref": employee, "goods_receipt": "GR-2026-000002", "lines": []})
    assert "hand_over_equipment" in api.open_elements(instance_id)
    # the rejection's boundary event ended the first wait: its child instance was cancelled with it
    called = api.call("GET", f"/instances/{instance_id}", "erin")["children"]
    assert sorted((c["definition_key"], c["status"]) for c in called) == [
        ("hire_to_retire_equipment", "cancelled"), ("hire_to_retire_equipment", "completed")]

    problem = api.complete(instance_id, "enter_payroll_data", "pam", {**PAYROLL, "iban": "DE89370400440532013001"},
                           expect=422)  # the form's own rule
    assert [(e["path"], e["message"]) for e in problem["errors"]] == [("/iban", "the check digits do not match (mod 97)")]
    problem = api.complete(instance_id, "enter_payroll_data", "pam", {**PAYROLL, "pay_start_date": "2026-02-17"},
                           expect=422)  # the task's rule: the process knows the date of joining
    assert [(e["path"], e["message"]) for e in problem["errors"]] == [("/pay_start_date", "must be the date of joining")]
    assert "enter_payroll_data" in api.open_elements(instance_id)
    assert "iban" not in api.instance(instance_id)["data"]  # nothing reached the process


def test_late_equipment_waits_once_more_then_comes_from_it_stock_and_the_order_is_cancelled(at):
    api, instance_id = at("employee_created")
    employee = api.instance(instance_id)["data"]["employee_number"]
    # Needed by three days before joining: 2026-02-13 09:00; the clock is at 2026-01-05 09:00.
    api.later(days=38, hours=23)
    assert "resolve_equipment" not in api.open_elements(instance_id)
    api.later(hours=1, seconds=1)
    assert "resolve_equipment" in api.open_elements(instance_id)
    api.complete(instance_id, "resolve_equipment", "ivan",
                 {"resolution": "keep_waiting", "new_needed_by": "2026-02-15", "comment": "Supplier promised Sunday."})
    assert "resolve_equipment" not in api.open_elements(instance_id)
    api.later(days=2, seconds=1)
    api.complete(instance_id, "resolve_equipment", "ivan",
                 {"resolution": "issue_from_it_stock", "comment": "Spare laptop from the IT pool."})
    sent = [e["data"] for e in api.call("GET", f"/instances/{instance_id}/history", "erin",
                                        params={"limit": 500})["items"] if e["type"] == "message.sent"]
    assert [m["name"] for m in sent] == ["purchase_request", "purchase_request_cancelled"]
    assert sent[1]["correlation"]["purchase_request_cancelled"] == {"origin_ref": employee}
    assert "hand_over_equipment" in api.open_elements(instance_id)


def test_a_no_show_cancels_the_hire_and_reopens_the_requisition(at):
    api, instance_id = at("onboarded")
    employee = api.instance(instance_id)["data"]["employee_number"]
    api.complete(instance_id, "confirm_start", "bob", {"outcome": "no_show", "comment": "Did not turn up, no answer."})
    data = api.instance(instance_id)["data"]
    assert api.instance(instance_id)["status"] == "cancelled"  # a cancelled hire is not done
    assert api.record("employee", employee)["status"] == "cancelled"
    assert api.record("job_requisition", data["jr_number"])["status"] == "open"


def test_probation_is_extended_once_then_the_employment_ends(at):
    api, instance_id = at("in_probation")
    employee = api.instance(instance_id)["data"]["employee_number"]
    api.later(days=76, seconds=1)
    review = {"outcome": "extend", "extend_days": 30,
              "assessment": "Good progress but the on-call objective is not met yet; extend."}
    api.complete(instance_id, "probation_review", "dan", review)
    assert api.open_elements(instance_id) == []
    api.later(days=30, seconds=1)
    api.complete(instance_id, "probation_review", "dan", review)  # a second extension is refused
    assert api.open_elements(instance_id) == ["probation_review"]
    api.complete(instance_id, "probation_review", "dan", {**review, "outcome": "terminate"})
    ending = {"relieving_date": "2026-06-30", "assets_returned": True, "accounts_disabled": True,
              "settlement_reference": "FNF-2026-0007"}
    api.complete(instance_id, "process_termination", "dan", ending, expect=403)  # not who decided it
    assert api.denied("dan")
    api.complete(instance_id, "process_termination", "carol", ending)
    assert api.record("employee", employee)["status"] == "left"
    assert api.instance(instance_id)["status"] == "completed"
