"""Camunda 7 and Camunda 8 decision models from the corpus (FEEL), with results read off
their tables: Camunda's invoice DRD (a required decision read by its output name),
zeebe-play's FIRST table and the customer-onboarding table."""

from __future__ import annotations

import pytest
from flowdesk.engine.decisions import parse_decisions

from tests.support.paths import CORPUS_CANDIDATES as _CANDIDATES

CORPUS = next((path for path in _CANDIDATES if (path / "camunda7_invoice").is_dir()), None)
pytestmark = pytest.mark.skipif(CORPUS is None, reason="shared corpus not present")


def model(name: str):
    assert CORPUS is not None
    return parse_decisions(name, (CORPUS / name).read_bytes())


@pytest.mark.parametrize(
    ("amount", "category", "classification", "approvers"),
    [
        (100, "Travel Expenses", "day-to-day expense", ["accounting", "sales"]),
        (600, "Misc", "budget", ["management"]),
        (5000, "Misc", "exceptional", ["management"]),
        (5000, "Software License Costs", "budget", ["management"]),
    ],
)
def test_camunda7_invoice_drd(amount, category, classification, approvers):
    invoice = model("camunda7_invoice/invoiceBusinessDecisions.dmn")
    assert invoice.dialect == "feel"
    result = invoice.evaluate("invoice-assign-approver", {"amount": amount, "invoiceCategory": category})
    assert result.value == approvers
    assert result.required["Invoice Classification"].value == classification
    assert result.inputs == {"Invoice Classification": classification}
    assert result.variables() == {"result": approvers}


@pytest.mark.parametrize(("item", "legal", "rule"), [("spice", False, 1), ("weapons", False, 2), ("bananas", True, 5)])
def test_camunda8_first_table(item, legal, rule):
    goods = model("camunda8_zeebe_play/is_legal_good.dmn")
    result = goods.evaluate("is_legal_item", {"item": item})
    assert (result.value, result.rule_numbers) == (legal, (rule,))


@pytest.mark.parametrize(
    ("payment", "score", "monthly", "automatic"),
    [("prepaid", 60, 10, True), ("invoice", 20, 10, False), ("invoice", 60, 60, False)],
)
def test_camunda8_customer_onboarding(payment, score, monthly, automatic):
    table = model("camunda8_customer_onboarding_ext/automatic-processing-applicability.dmn")
    context = {"paymentType": payment, "customerRegionScore": score, "monthlyPayment": monthly}
    assert table.evaluate("automatic-processing-applicability", context).value is automatic
