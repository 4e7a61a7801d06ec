"""procure_to_pay's scene: its files, seed and people, and the scenario verbs of its steps
(tests/processes/test_procure_to_pay.py and the suites that walk it too)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .paths import REPO
from .scenario import Scenario

FILES = [*sorted((REPO / "processes").glob("procure_to_pay*.yaml")), *sorted((REPO / "forms").glob("p2p_*.yaml"))]
SEED = REPO / "seed" / "procurement.yaml"
USERS = {
    "alice": ["employees"],
    "bob": ["employees", "department_managers"],
    "dana": ["employees", "department_managers", "finance_controllers"],
    "ivan": ["employees", "it"],
    "frank": ["employees", "finance_controllers"],
    "cora": ["employees", "cfo"],
    # holds every approving group: still never approves a request of her own
    "max": ["employees", "department_managers", "it", "finance_controllers", "cfo"],
    "paul": ["employees", "purchasing"],
    # could buy, receive and post invoices: may do only one of them per order
    "pia": ["employees", "purchasing", "warehouse", "accounts_payable"],
    "wanda": ["employees", "warehouse"],
    "aaron": ["employees", "accounts_payable"],
    "tia": ["employees", "accounts_payable", "treasury"],
    "tracy": ["employees", "treasury"],
    "erin": ["auditor"],
    "ian": ["integration"],
    "dave": ["designer"],
}


def dec(value: Any) -> Decimal:
    """A JSON number as the exact decimal it was written as."""
    return Decimal(str(value))


RECORD_TYPES = ("purchase_requisition", "purchase_order", "goods_receipt", "supplier_invoice", "payment")


class P2P(Scenario):
    """The shared scenario verbs, plus procure_to_pay's steps (one instance at a time)."""

    def instance(self, iid: str) -> dict:
        self.run()
        return super().instance(iid)

    def tasks(self, iid: str) -> list[dict]:
        instance = self.instance(iid)
        assert instance["status"] == "running", [(i["element_id"], i["message"]) for i in self.incidents(iid)]
        return instance["open_tasks"]

    def incidents(self, iid: str) -> list[dict]:
        return self.call("GET", "/incidents", "erin", params={"instance_id": iid})["items"]

    def refused(self, iid: str, element_id: str, user: str, data: dict) -> None:
        """The user may not do this step (separation of duties): 403, audited, and the
        task is not in their inbox."""
        self.assert_sod_refused(iid, element_id, user, data)

    def data(self, iid: str) -> dict:
        return self.instance(iid)["data"]

    def latest(self, type_: str, iid: str) -> dict:
        """The newest record of a type that the instance created or touched."""
        self.run()
        items = self.records(type_, instance_id=iid)
        assert items, f"no {type_} for {iid}"
        return items[0]

    # -- the process's steps -----------------------------------------------------------------
    def request(self, user: str = "alice", **changes: Any) -> str:
        data = {
            "title": "Steel sheets for the spring series",
            "cost_center": "CC-300",
            "currency": "EUR",
            "needed_by": "2026-03-02",
            "lines": [{"item": "STEEL-SHEET-2MM", "description": "Steel sheet 2 mm", "quantity": 10, "unit_price": 42}],
            "category": "direct_material",
            "justification": None,
            **changes,
        }
        response = self.api.post("/api/v1/definitions/procure_to_pay/instances", user, json={"data": data})
        assert response.status_code == 201, response.text
        self.run()
        return response.json()["id"]

    def priced(self, amount: str, **changes: Any) -> str:
        """A one-line request of this exact total (EUR), indirect material, well within budget."""
        return self.request(**{"cost_center": "CC-900", "category": "indirect_material",
                               "lines": [{"description": "Office furniture", "quantity": 1,
                                          "unit_price": float(amount)}],
                               "justification": "Furnishing the new customer centre in Leipzig.", **changes})

    def approve(self, iid: str, *steps_and_users: tuple[str, str]) -> None:
        for element_id, user in steps_and_users:
            self.complete(iid, element_id, user, {"decision": "approve"})

    def order(self, iid: str, lines: list[dict], supplier: str = "SUP-003", user: str = "paul",
              expected: str = "2026-02-16") -> None:
        self.complete(iid, "prepare_purchase_order", user, {
            "po_action": "place_order", "supplier": supplier, "expected_delivery_date": expected,
            "incoterm": "DAP", "order_lines": lines})

    def confirm(self, iid: str, date: str = "2026-02-16", user: str = "paul") -> None:
        self.complete(iid, "record_acknowledgement", user, {
            "supplier_confirmed": True, "confirmed_delivery_date": date, "supplier_reference": "SO-77812"})

    def receive(self, iid: str, lines: list[dict], user: str = "wanda", note: str = "DN-4711") -> None:
        self.complete(iid, "record_goods_receipt", user, {
            "delivery_note": note, "receipt_date": "2026-01-05", "receipt_lines": lines})

    def invoice(self, iid: str, lines: list[dict], user: str = "aaron", number: str = "NS-2026-0815",
                tax_rate: Decimal = Decimal("0.19")) -> None:
        net = sum(Decimal(str(line["quantity"])) * Decimal(str(line["unit_price"])) for line in lines)
        tax = (net * tax_rate).quantize(Decimal("0.01"))
        self.complete(iid, "register_invoice", user, {
            "supplier_invoice_no": number, "invoice_date": "2026-01-05", "invoice_currency": "EUR",
            "invoice_lines": lines, "net_amount": float(net), "tax_amount": float(tax),
            "gross_amount": float(net + tax)})

    def ordered_and_received(self, iid: str, quantity: int = 10, price: float = 42) -> None:
        self.order(iid, [{"line": 1, "quantity": quantity, "unit_price": price}])
        self.confirm(iid)
        self.receive(iid, [{"line": 1, "received_qty": quantity, "accepted_qty": quantity}])
