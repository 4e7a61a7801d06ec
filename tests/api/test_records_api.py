"""GET /records: auditors see every record; employees see the records of instances they
may read; designers none."""

from __future__ import annotations

from flowdesk.engine.connectors import CallContext

from tests.support.client import assert_problem


def make_order(api, instance_id: str) -> dict:
    create = api.engine.context.connectors.get("record.create")
    return create.call({"type": "purchase_order", "status": "open", "data": {"total": "120.50"}},
                       CallContext(f"{instance_id}:t", 1, instance_id, "create_po"))


def test_records_follow_the_instances_a_user_may_read(api):
    mine = api.start_leave("alice")
    theirs = api.start_leave("carol")
    order = make_order(api, mine["id"])
    make_order(api, theirs["id"])

    listed = api.get("/api/v1/records/purchase_order", "alice").json()["items"]
    assert [r["number"] for r in listed] == [order["number"]]
    assert listed[0]["instances"] == [{"instance_id": mine["id"], "relation": "created"}]
    assert listed[0]["data"] == {"total": "120.50"}

    assert len(api.get("/api/v1/records/purchase_order", "erin").json()["items"]) == 2
    one = api.get(f"/api/v1/records/purchase_order/{order['number']}", "alice")
    assert one.status_code == 200 and one.json()["id"] == order["id"]
    assert_problem(api.get(f"/api/v1/records/purchase_order/{order['number']}", "carol"), 404)
    assert_problem(api.get("/api/v1/records/purchase_order", "dave"), 403)
    assert_problem(api.get("/api/v1/records/purchase_order"), 401)


def test_record_filters_and_bad_types(api):
    mine = api.start_leave("alice")
    order = make_order(api, mine["id"])
    by_instance = api.get("/api/v1/records/purchase_order", "erin", params={"instance_id": mine["id"]}).json()
    assert [r["number"] for r in by_instance["items"]] == [order["number"]]
    assert api.get("/api/v1/records/purchase_order", "erin", params={"status": "paid"}).json()["items"] == []
    assert_problem(api.get("/api/v1/records/Purchase-Order", "erin"), 422)
