"""A user task's (or start event's) validation rules (``validate:``): checked at deploy, and
at submission against the process data and business records, refusing with 422 at the
field before anything is stored."""

from __future__ import annotations

import json

import pytest
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.errors import DefinitionInvalid, InvalidData
from flowdesk.engine.identity import SYSTEM

from tests.support.definitions import problems, source
from tests.support.models import form_file, one_task_process

ORDER_FORM = SourceFile("order_form.yaml", b"""
type: object
required: [action]
properties:
  action: {type: string, enum: [order, cancel]}
  supplier: {type: string}
  lines:
    type: array
    items:
      type: object
      required: [line, quantity]
      properties:
        line: {type: integer}
        quantity: {type: number}
""")

REQUEST_FORM = SourceFile("request_form.yaml", b"""
type: object
required: [lines]
properties:
  needed_by: {type: string, format: date}
  lines:
    type: array
    items: {type: object, properties: {line: {type: integer}, quantity: {type: number}}}
""")

ORDERING = """
    process: ordering
    lanes: {clerks: clerks}
    start:
      form: request_form
      validate:
        - field: /needed_by
          rule: needed_by is None or needed_by > deadline("P0D")[:10]
          message: {en: must be after today, zh-CN: 必须晚于今天}
    steps:
      - script: remember
        code: requested = lines
      - user: order
        form: order_form
        validate:
          - field: /supplier
            when: action == "order"
            rule: '(record("supplier", supplier) or {"data": {}})["data"].get("approved") is True'
            message: {en: is not an approved supplier, zh-CN: 不是合格供应商}
          - field: /lines/*/line
            rule: item["line"] in [l["line"] for l in requested]
            message: is not a line of the request
            message_i18n: {zh-CN: 不是申请中的明细行}
          - field: /lines/*/quantity
            rule: all([item["quantity"] <= l["quantity"] for l in requested if l["line"] == item["line"]])
            message: {en: is more than requested, zh-CN: 超过申请数量}
      - end: done
"""


@pytest.fixture
def ordering(engine):
    engine.repository.deploy([source(ORDERING, "ordering.yaml"), ORDER_FORM, REQUEST_FORM], by=SYSTEM)
    engine.identity.create_user("cleo", "password1", ["clerks", "employees"], by=SYSTEM)
    with engine.transaction() as session:
        engine.context.records.load_reference(session, {"supplier": [
            {"number": "SUP-1", "approved": True}, {"number": "SUP-2", "approved": False}]})
    return engine, engine.identity.actor("cleo")


def start(engine, actor, data=None):
    return engine.instances.start_instance(
        "ordering", data or {"needed_by": "2026-02-01", "lines": [{"line": 1, "quantity": 5}, {"line": 2, "quantity": 2}]},
        by=actor)


def refusal(call) -> list[tuple[str, str, dict]]:
    with pytest.raises(InvalidData) as refused:
        call()
    return [(e.path, e.message, e.translations) for e in refused.value.errors]


def test_a_task_rule_reads_the_submission_the_process_data_and_business_records(ordering):
    engine, cleo = ordering
    instance = start(engine, cleo)
    (task,) = instance["open_tasks"]
    history = engine.history.instance_history(instance["id"], by=SYSTEM, limit=100).items
    # `requested` is process data (the start's lines); `lines` here is the submitted one
    bad = {"action": "order", "supplier": "SUP-2",
           "lines": [{"line": 1, "quantity": 6}, {"line": 3, "quantity": 1}, {"line": 2, "quantity": 2}]}
    assert refusal(lambda: engine.tasks.complete_task(task["id"], bad, by=cleo)) == [
        ("/lines/0/quantity", "is more than requested", {"zh-CN": "超过申请数量"}),
        ("/lines/1/line", "is not a line of the request", {"zh-CN": "不是申请中的明细行"}),
        ("/supplier", "is not an approved supplier", {"zh-CN": "不是合格供应商"}),
    ]
    # a supplier that is not in the reference data is not approved either
    unknown = {"action": "order", "supplier": "SUP-9", "lines": [{"line": 1, "quantity": 5}]}
    assert [p for p, _m, _t in refusal(lambda: engine.tasks.complete_task(task["id"], unknown, by=cleo))] == [
        "/supplier"]
    # nothing was stored: the task is open, the instance where it was, no event written
    after = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert [t["id"] for t in after["open_tasks"]] == [task["id"]] and "action" not in after["data"]
    assert engine.history.instance_history(instance["id"], by=SYSTEM, limit=100).items == history
    # `when` false: the supplier rule does not apply, and no lines means no line rules
    done = engine.tasks.complete_task(task["id"], {"action": "cancel"}, by=cleo)
    assert done["instance"]["status"] == "completed"


def test_a_valid_order_passes_every_rule(ordering):
    engine, cleo = ordering
    (task,) = start(engine, cleo)["open_tasks"]
    good = {"action": "order", "supplier": "SUP-1", "lines": [{"line": 2, "quantity": 2}]}
    assert engine.tasks.complete_task(task["id"], good, by=cleo)["instance"]["status"] == "completed"


def test_a_start_rule_refuses_the_start_and_nothing_is_started(ordering, clock):
    engine, cleo = ordering
    today = clock.now().date().isoformat()
    assert refusal(lambda: start(engine, cleo, {"needed_by": today, "lines": []})) == [
        ("/needed_by", "must be after today", {"zh-CN": "必须晚于今天"})]
    assert engine.instances.list_instances(by=SYSTEM).items == []


def test_a_rule_that_cannot_be_evaluated_refuses_the_data(engine):
    model = ORDERING.replace('rule: item["line"] in [l["line"] for l in requested]',
                             'rule: item["line"] in no_such_variable')
    engine.repository.deploy([source(model, "ordering.yaml"), ORDER_FORM, REQUEST_FORM], by=SYSTEM)
    engine.identity.create_user("cleo", "password1", ["clerks", "employees"], by=SYSTEM)
    cleo = engine.identity.actor("cleo")
    (task,) = engine.instances.start_instance("ordering", {"lines": []}, by=cleo)["open_tasks"]
    data = {"action": "cancel", "lines": [{"line": 1, "quantity": 1}]}
    assert [p for p, _m, _t in refusal(lambda: engine.tasks.complete_task(task["id"], data, by=cleo))] == [
        "/lines/0/line"]


def test_a_rule_is_metered_like_every_expression(engine):
    model = ORDERING.replace('rule: item["line"] in [l["line"] for l in requested]',
                             'rule: len([i for i in range(10 ** 9)]) > 0')
    engine.repository.deploy([source(model, "ordering.yaml"), ORDER_FORM, REQUEST_FORM], by=SYSTEM)
    engine.identity.create_user("cleo", "password1", ["clerks", "employees"], by=SYSTEM)
    cleo = engine.identity.actor("cleo")
    (task,) = engine.instances.start_instance("ordering", {"lines": []}, by=cleo)["open_tasks"]
    data = {"action": "cancel", "lines": [{"line": 1, "quantity": 1}]}
    assert [p for p, _m, _t in refusal(lambda: engine.tasks.complete_task(task["id"], data, by=cleo))] == [
        "/lines/0/line"]  # stopped by the meter, so refused


# -- at deploy ----------------------------------------------------------------------------------------
def test_a_malformed_rule_is_reported_on_its_line():
    found = problems("""
        process: bad
        steps:
          - user: order
            validate:
              - {field: supplier, rule: "True", message: no pointer}
              - {field: /a, rule: "1 +", message: bad expression}
              - {field: /a, rule: "True", when: "import os", message: bad when}
              - {field: /a, rule: "True", message: {zh-CN: 只有中文}}
              - {field: /a/*/b/*/c, rule: "True", message: two stars}
              - {field: /a, rule: "True"}
    """)
    by_line = {p.line: p.message for p in found}
    assert set(by_line) >= {5, 6, 7, 8, 9, 10}, found
    assert "JSON Pointer" in by_line[5] and "not a valid expression" in by_line[6]
    assert "`when`" in by_line[7] and "English" in by_line[8]


def test_a_rule_must_name_a_field_of_the_tasks_form(engine):
    model = ORDERING.replace("field: /lines/*/quantity", "field: /lines/*/amount")
    with pytest.raises(DefinitionInvalid) as refused:
        engine.repository.deploy([source(model, "ordering.yaml"), ORDER_FORM, REQUEST_FORM], by=SYSTEM)
    (problem,) = refused.value.problems
    assert (problem.file, problem.line) == ("ordering.yaml", 12)  # the step's line
    assert "`/lines/*/amount` is not a field of the form" in problem.message


def test_bpmn_models_carry_rules_in_the_validation_rules_property(engine, clerk):
    rules = json.dumps([{"field": "/comment", "rule": "len(comment) > len(title)",
                         "message": {"en": "must say more than the title", "zh-CN": "内容应多于标题"}}])
    form = form_file("note_form", "type: object\nproperties: {comment: {type: string}}\n")
    model = one_task_process("noted", form="note_form.json", validationRules=rules)
    engine.repository.deploy([model, form], by=SYSTEM)
    instance = engine.instances.start_instance("noted", {"title": "A long title"}, by=clerk)
    (task,) = instance["open_tasks"]
    assert refusal(lambda: engine.tasks.complete_task(task["id"], {"comment": "short"}, by=clerk)) == [
        ("/comment", "must say more than the title", {"zh-CN": "内容应多于标题"})]
    done = engine.tasks.complete_task(task["id"], {"comment": "much more than the title"}, by=clerk)
    assert done["instance"]["status"] == "completed"

    bad = one_task_process("noted2", form="note_form.json", validationRules=rules.replace("len(title)", "len("))
    with pytest.raises(DefinitionInvalid) as refused:
        engine.repository.deploy([bad, form], by=SYSTEM)
    assert any(p.file == "noted2.bpmn" and p.line and "validationRules" in p.message
               and "not a valid expression" in p.message for p in refused.value.problems), refused.value.problems
