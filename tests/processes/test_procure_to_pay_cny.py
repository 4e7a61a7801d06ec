"""procure_to_pay for the Chinese subsidiary: a requisition in CNY is converted with the
p2p_exchange_rate table and routed like any other (it used to go back to the requester with
"there is no exchange rate for CNY"), and the Chinese supplier is written to in Chinese.

The scenario plays on the shipped procurement reference data plus seed/china.yaml (company
CN01, cost centres CC-8xx, suppliers SUP-10x that invoice in CNY, items priced in CNY).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.support.database import build_template
from tests.support.paths import REPO
from tests.support.procure_to_pay import FILES, P2P, USERS, dec
from tests.support.scenario import open_scenario

SEED = [REPO / "seed" / "procurement.yaml", REPO / "seed" / "china.yaml"]
RATE = Decimal("0.128")  # CNY -> EUR in processes/procure_to_pay_exchange_rate.yaml


@pytest.fixture(scope="module")
def cny_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("p2p_cny") / "flowdesk.db", USERS, paths=FILES, seed=SEED)


@pytest.fixture
def p2p(cny_template: Path, tmp_path: Path) -> Iterator[P2P]:
    with open_scenario(cny_template, tmp_path, scenario=P2P) as scenario:
        yield scenario


def chairs(quantity: int, unit_price: float) -> dict:
    return {"title": "上海办公室人体工学椅", "cost_center": "CC-810", "currency": "CNY", "needed_by": "2026-03-02",
            "category": "indirect_material", "justification": "上海新办公室启用，需要为客服团队配备办公椅。",  # noqa: RUF001
            "lines": [{"item": "CN-CHAIR-TASK", "description": "人体工学办公椅", "quantity": quantity,
                       "unit_price": unit_price}]}


def test_a_cny_requisition_is_converted_and_routed_not_sent_back(p2p):
    iid = p2p.request(**chairs(10, 1680))
    data = p2p.data(iid)
    assert data["problems"] == [] and dec(data["rate_to_company"]) == RATE
    assert dec(data["total"]) == Decimal("16800") and dec(data["total_company"]) == Decimal("2150.40")
    assert data["approval_levels"] == ["department_managers"]
    requisition = p2p.latest("purchase_requisition", iid)
    assert requisition["status"] == "pending_approval" and requisition["data"]["currency"] == "CNY"
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["approve_department"]

    p2p.approve(iid, ("approve_department", "bob"))
    assert [t["element_id"] for t in p2p.tasks(iid)] == ["prepare_purchase_order"]
    p2p.order(iid, [{"line": 1, "quantity": 10, "unit_price": 1680}], supplier="SUP-101")
    order = p2p.latest("purchase_order", iid)
    assert order["status"] == "sent" and order["data"]["currency"] == "CNY"
    assert dec(order["data"]["total"]) == Decimal("16800") and dec(order["data"]["total_company"]) == Decimal("2150.40")
    (mail,) = p2p.mails()
    assert (mail["To"], mail["Subject"], mail["Content-Language"]) == (
        "orders@huadong-office.example", "采购订单 PO-2026-000001", "zh-CN")
    assert "人体工学办公椅 × 10，单价 1680 CNY" in mail.get_content()  # noqa: RUF001 (Chinese punctuation)
    assert "合计 16800.00 CNY" in mail.get_content()


@pytest.mark.parametrize(("unit_price", "levels"), [
    (3906.25, []),                                             # 500.00 EUR: approved automatically
    (3906.33, ["department_managers"]),                        # 500.01 EUR
    (100000, ["department_managers", "finance_controllers"]),  # 12,800 EUR
    (400000, ["department_managers", "finance_controllers", "cfo"]),  # 51,200 EUR
])
def test_the_routing_thresholds_apply_to_the_cny_total_in_eur(p2p, unit_price, levels):
    changes = chairs(1, unit_price)
    changes["cost_center"] = "CC-830" if unit_price > 10000 else "CC-810"
    iid = p2p.request(**changes)
    data = p2p.data(iid)
    assert data["problems"] == []
    assert dec(data["total_company"]) == (Decimal(str(unit_price)) * RATE).quantize(Decimal("0.01"))
    assert data["approval_levels"] == levels
    first = "approve_department" if levels else "prepare_purchase_order"
    assert [t["element_id"] for t in p2p.tasks(iid)] == [first]


def test_a_currency_without_a_rate_is_refused_at_the_field_and_nothing_starts(p2p):
    response = p2p.api.post("/api/v1/definitions/procure_to_pay/instances", "alice",
                            json={"data": {**chairs(1, 100), "currency": "HKD"}})
    assert response.status_code == 422, response.text
    assert [e["path"] for e in response.json()["errors"]] == ["/currency"]
    assert p2p.instances("procure_to_pay") == []


def test_the_requisition_form_offers_exactly_the_currencies_with_an_exchange_rate():
    table = yaml.safe_load((REPO / "processes" / "procure_to_pay_exchange_rate.yaml").read_text())
    rated = {rule["when"]["currency"] for rule in table["rules"] if "when" in rule}
    form = yaml.safe_load((REPO / "forms" / "p2p_requisition.yaml").read_text())
    assert set(form["properties"]["currency"]["enum"]) == rated and "CNY" in rated


def test_mails_to_colleagues_follow_the_models_mail_language(p2p):
    iid = p2p.request(**chairs(10, 1680))
    assert p2p.data(iid)["mail_language"] == "en"
    p2p.api.clock.advance(days=2, seconds=1)
    p2p.run()
    (reminder,) = p2p.mails()
    assert reminder["Subject"] == "Reminder: purchase requisition PR-2026-000001 waits for your approval"
    assert reminder["Content-Language"] is None
