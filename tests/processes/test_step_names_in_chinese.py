"""A Chinese reader sees every step of procure_to_pay by its Chinese name, not only its user
tasks: scripts, service and decision tasks and gateways carry ``name_i18n`` too, and the
instance history and diagram read it from the model (issue 18)."""

from __future__ import annotations


def test_the_history_in_chinese_names_the_engines_own_steps_in_chinese(p2p):
    iid = p2p.priced("600")
    auditor = p2p.engine.identity.actor("erin")
    history = p2p.engine.history.instance_history(iid, by=auditor, limit=500, locale="zh-CN").items
    names = {(e["type"], e["element_id"]): e["element_name"] for e in history if e.get("element_id")}
    assert names[("service.completed", "create_requisition")] == "创建请购单"
    assert names[("service.completed", "check_budget")] == "检查预算"
    assert names[("decision.evaluated", "exchange_rate")] == "换算汇率"
    assert names[("decision.evaluated", "route_approval")] == "确定审批路径"
    assert names[("gateway.taken", "requisition_complete")] == "申请是否完整"
    assert names[("task.created", "approve_department")] == "部门审批"  # user tasks as before

    english = p2p.engine.history.instance_history(iid, by=auditor, limit=500, locale="en").items
    assert {e["element_name"] for e in english if e.get("element_id") == "check_budget"} == {"Check budget"}


def test_the_diagram_in_chinese_labels_the_engines_own_steps_in_chinese(p2p):
    iid = p2p.priced("600")
    diagram = p2p.engine.instances.instance_diagram(iid, by=p2p.engine.identity.actor("erin"), locale="zh-CN")
    for name in ("创建请购单", "换算汇率", "检查预算", "确定审批路径", "申请是否完整"):
        assert name in diagram.svg
    assert "Check budget" not in diagram.svg
