"""Business records: numbered documents, reference data, and the connectors processes
use to reach them."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from flowdesk.engine.connectors import BpmnError, CallContext
from flowdesk.engine.errors import Conflict, NotFound
from flowdesk.engine.identity import SYSTEM

SEED = {
    "item": [
        {"number": "DESK", "name": "Office desk", "on_hand": 5, "bom": [{"item": "TOP", "quantity": 1},
                                                                        {"item": "LEG", "quantity": 4}]},
        {"number": "TOP", "name": "Desk top", "on_hand": 2},
        {"number": "LEG", "name": "Desk leg", "on_hand": 10},
    ],
    "customer": [{"number": "ACME", "name": "ACME Corp", "credit_limit": "10000.00"}],
}


def ctx(key: str, instance_id: str = "") -> CallContext:
    return CallContext(idempotency_key=key, attempt=1, instance_id=instance_id, element_id="t")


@pytest.fixture
def seeded(engine):
    with engine.transaction() as s:
        engine.context.records.load_reference(s, SEED)
    return engine


def test_document_numbers_count_up_per_prefix_and_year(engine, clock):
    with engine.transaction() as s:
        numbers = [engine.context.records.create(s, "purchase_order", {}, "alice").number for _ in range(3)]
        other = engine.context.records.create(s, "sales_order", {}, "alice").number
    assert numbers == ["PO-2026-000001", "PO-2026-000002", "PO-2026-000003"] and other == "SO-2026-000001"
    clock.advance(days=365)
    with engine.transaction() as s:
        assert engine.context.records.create(s, "purchase_order", {}, "alice").number == "PO-2027-000001"


def test_concurrent_creations_never_share_a_number(engine):
    numbers: list[str] = []

    def create() -> None:
        with engine.transaction() as s:
            numbers.append(engine.context.records.create(s, "purchase_order", {}, "bob").number)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(numbers)) == 8


def test_reference_data_loads_and_refreshes_idempotently(seeded):
    with seeded.transaction() as s:
        assert seeded.context.records.load_reference(s, SEED) == 0
        changed = {"customer": [{"number": "ACME", "name": "ACME Corp", "credit_limit": "20000.00"}]}
        assert seeded.context.records.load_reference(s, changed) == 1
        assert seeded.context.records.get(s, "customer", "ACME").data["credit_limit"] == "20000.00"


def test_create_connector_is_idempotent_and_links_the_instance(seeded):
    create = seeded.context.connectors.get("record.create")
    first = create.call({"type": "purchase_order", "data": {"supplier": "S1"}}, ctx("i1:t1", "i1"))
    again = create.call({"type": "purchase_order", "data": {"supplier": "S1"}}, ctx("i1:t1", "i1"))
    assert first["number"] == again["number"] == "PO-2026-000001"
    with seeded.transaction() as s:
        record = seeded.context.records.get(s, "purchase_order", first["number"])
        links = seeded.context.records.links(s, [record.id])[record.id]
    assert [(link.instance_id, link.relation) for link in links] == [("i1", "created")]


def test_stock_moves_book_once_and_refuse_to_go_negative(seeded):
    move = seeded.context.connectors.get("stock.move")
    assert move.call({"item": "TOP", "quantity": 3}, ctx("k1"))["on_hand"] == Decimal(5)
    assert move.call({"item": "TOP", "quantity": 3}, ctx("k1"))["on_hand"] == Decimal(5)  # a retry: once
    with pytest.raises(BpmnError) as err:
        move.call({"item": "TOP", "quantity": -9}, ctx("k2"))
    assert err.value.code == "insufficient_stock"
    check = seeded.context.connectors.get("stock.check").call({"item": "TOP", "quantity": 6}, ctx("k3"))
    assert check["in_stock"] is False and check["short"] == Decimal(1)


def test_bom_explosion_reports_shortages(seeded):
    result = seeded.context.connectors.get("bom.explode").call({"item": "DESK", "quantity": 3}, ctx("b1"))
    assert [(c["item"], c["needed"], c["short"]) for c in result["components"]] == [
        ("TOP", Decimal(3), Decimal(1)), ("LEG", Decimal(12), Decimal(2))]
    assert [s["item"] for s in result["shortages"]] == ["TOP", "LEG"]


def test_employees_are_numbered_with_the_emp_prefix(engine):
    with engine.transaction() as s:
        numbers = [engine.context.records.create(s, "employee", {"name": n}, "hr").number for n in ("A", "B")]
    assert numbers == ["EMP-2026-000001", "EMP-2026-000002"]


def test_credit_exposure_counts_open_orders_and_unpaid_invoices(seeded):
    create = seeded.context.connectors.get("record.create")
    create.call({"type": "sales_order", "status": "confirmed", "data": {"customer": "ACME", "total": "6000"}},
                ctx("so1"))
    create.call({"type": "customer_invoice", "status": "unpaid", "data": {"customer": "ACME", "total": "3000"}},
                ctx("inv1"))
    create.call({"type": "sales_order", "status": "cancelled", "data": {"customer": "ACME", "total": "9000"}},
                ctx("so2"))
    exposure = seeded.context.connectors.get("credit.exposure").call({"customer": "ACME", "amount": "1500"}, ctx("c1"))
    assert exposure["exposure"] == Decimal(9000) and exposure["would_exceed"] is True
    assert seeded.context.connectors.get("credit.exposure").call({"customer": "ACME", "amount": "1000"},
                                                          ctx("c2"))["would_exceed"] is False


def test_credit_exposure_counts_what_is_open_not_totals_and_holds_at_the_limit(seeded):
    create = seeded.context.connectors.get("record.create")
    records = [
        # billed: its invoice carries the amount, so the order does not count again
        ("sales_order", "billed", {"customer": "ACME", "total": "4000"}),
        # 4,000 invoiced, 1,500 paid in two payments, 500 credited: 2,000 open
        ("customer_invoice", "unpaid", {"customer": "ACME", "total": "4000", "credited": "500",
                                        "payments": [{"amount": "1000"}, {"amount": "500"}]}),
        # partly invoiced order: 1,200 of 3,000 not invoiced yet
        ("sales_order", "delivered", {"customer": "ACME", "total": "3000", "invoiced_amount": "1800"}),
        ("customer_invoice", "paid", {"customer": "ACME", "total": "7000"}),
        ("customer_invoice", "written_off", {"customer": "ACME", "total": "700"}),
        ("sales_order", "credit_blocked", {"customer": "ACME", "total": "800"}),  # not a commitment yet
        ("sales_order", "confirmed", {"customer": "OTHER", "total": "900"}),  # someone else's
        # overpaid or fully credited: never negative
        ("customer_invoice", "unpaid", {"customer": "ACME", "total": "100", "credited": "100",
                                        "payments": [{"amount": "50"}]}),
    ]
    for n, (type_, status, data) in enumerate(records):
        create.call({"type": type_, "status": status, "data": data}, ctx(f"r{n}"))
    exposure = seeded.context.connectors.get("credit.exposure")
    at_limit = exposure.call({"customer": "ACME", "amount": "6800.00"}, ctx("c1"))  # limit 10,000.00
    assert (at_limit["open_orders"], at_limit["unpaid_invoices"], at_limit["exposure"]) == (
        Decimal(1200), Decimal(2000), Decimal(3200))
    assert at_limit["available"] == Decimal("6800.00") and at_limit["would_exceed"] is False
    assert exposure.call({"customer": "ACME", "amount": "6800.01"}, ctx("c2"))["would_exceed"] is True


def test_credit_exposure_of_an_unknown_customer_is_a_bpmn_error(seeded):
    with pytest.raises(BpmnError) as caught:
        seeded.context.connectors.get("credit.exposure").call({"customer": "NOPE", "amount": "1"}, ctx("c3"))
    assert caught.value.code == "record_not_found"


def test_unknown_records_and_duplicate_numbers_are_clear_errors(seeded):
    with pytest.raises(NotFound), seeded.transaction() as s:
        seeded.context.records.get(s, "item", "NOPE")
    with pytest.raises(Conflict), seeded.transaction() as s:
        seeded.context.records.create(s, "item", {}, "x", number="DESK")


@pytest.mark.postgres
def test_concurrent_numbering_on_postgres(postgres_url, clock):
    from tests.support.engines import make_engine

    engine = make_engine(postgres_url, clock)
    numbers: list[str] = []

    def create() -> None:
        with engine.transaction() as s:
            numbers.append(engine.context.records.create(s, "sales_order", {}, "bob").number)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.close()
    assert sorted(numbers) == [f"SO-2026-{n:06d}" for n in range(1, 9)]


def test_seed_files_load_into_reference_records(engine, tmp_path):
    from flowdesk.engine.errors import DefinitionInvalid

    (tmp_path / "a.yaml").write_text("item:\n  - {number: BOLT, name: Bolt, on_hand: 100}\n")
    (tmp_path / "b.yaml").write_text("supplier:\n  - {number: S-1, name: Bolts Ltd}\n")
    assert engine.records.load_seed([tmp_path], by=SYSTEM) == 2
    assert engine.records.load_seed([tmp_path], by=SYSTEM) == 0
    (tmp_path / "c.yaml").write_text("- just a list\n")
    with pytest.raises(DefinitionInvalid) as err:
        engine.records.load_seed([tmp_path], by=SYSTEM)
    assert err.value.problems[0].file == "c.yaml"


def test_demo_time_scale_shortens_deadlines(sqlite_url, clock):
    from datetime import datetime, timedelta

    from flowdesk.engine.config import Settings
    from flowdesk.engine.identity import SYSTEM
    from flowdesk.engine.process_engine import ProcessEngine

    from tests.support.models import one_task_process

    engine = ProcessEngine(Settings(database_url=sqlite_url, definitions=(), time_scale=1 / 1440), clock=clock)
    engine.repository.deploy([one_task_process(key="terms", dueDate='=deadline("P30D")')], by=SYSTEM)
    (task,) = engine.instances.start_instance("terms", {}, by=SYSTEM)["open_tasks"]
    assert datetime.fromisoformat(task["due_at"]) == clock.now() + timedelta(minutes=30)
    engine.close()


def test_a_missing_record_is_a_bpmn_error_the_model_can_catch(seeded):
    for name, params in (("record.get", {"type": "customer", "ref": "NOBODY"}),
                         ("record.update", {"type": "customer", "ref": "NOBODY", "status": "x"})):
        with pytest.raises(BpmnError) as err:
            seeded.context.connectors.get(name).call(params, ctx("m1"))
        assert err.value.code == "record_not_found"
