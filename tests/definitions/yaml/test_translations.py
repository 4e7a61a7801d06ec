"""Translated process and step names and descriptions (``name_i18n``, ``documentation_i18n``): on the
process, on every kind of step, on the start event and (names only) on boundary events."""

from __future__ import annotations

import pytest
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.diagrams.labels import element_names
from flowdesk.engine.errors import DefinitionInvalid
from flowdesk.engine.identity import SYSTEM
from lxml import etree

from tests.support.definitions import compiled, problems, source
from tests.support.models import HEADER

TRANSLATED = """
    process: translated
    name: Purchase
    name_i18n: {zh-CN: 采购}
    documentation: Buying what a team needs.
    documentation_i18n: {zh-CN: 采购团队所需物品。}
    steps:
      - user: review
        name: Review the request
        name_i18n: {zh-CN: 审核申请, de: Antrag prüfen}
        documentation_i18n: {zh-CN: 请核对预算。}
"""


def test_translations_reach_the_definition_and_its_tasks(engine):
    engine.repository.deploy([source(TRANSLATED)], by=SYSTEM)
    definition = engine.repository.definition("translated", by=SYSTEM)
    assert definition["name_i18n"] == {"zh-CN": "采购"}
    assert definition["documentation"] == "Buying what a team needs."
    assert definition["documentation_i18n"] == {"zh-CN": "采购团队所需物品。"}
    (review,) = definition["user_tasks"]
    assert review["name"] == "Review the request"
    assert review["name_i18n"] == {"de": "Antrag prüfen", "zh-CN": "审核申请"}
    assert review["documentation_i18n"] == {"zh-CN": "请核对预算。"}
    (listed,) = [d for d in engine.repository.list_definitions(by=SYSTEM).items if d["key"] == "translated"]
    assert listed["name_i18n"] == {"zh-CN": "采购"}


def test_a_translation_must_map_locales_to_text():
    found = problems("""
        process: bad
        name_i18n: {chinese: 采购}
        steps:
          - user: review
            name_i18n: {zh-CN: ""}
    """)
    assert {p.line for p in found} == {2, 5}
    assert any("name_i18n.chinese" in p.message for p in found)


def test_bpmn_translations_are_json_objects_checked_at_deploy(engine):
    bad = HEADER + """
  <bpmn:process id="bpmn_bad" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="nameI18n" value="not json"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
  </bpmn:process>
</bpmn:definitions>
"""
    with pytest.raises(DefinitionInvalid) as refused:
        engine.repository.deploy([SourceFile("bad.bpmn", bad.encode())], by=SYSTEM)
    assert any("nameI18n must be a JSON object" in p.message for p in refused.value.problems)


EVERY_KIND = """
    process: every_kind
    start:
      name: Submitted
      name_i18n: {zh-CN: 已提交}
    messages:
      ping: {}
    steps:
      - script: check_budget
        name_i18n: {zh-CN: 检查预算}
        documentation: Compares the total with what is left.
        documentation_i18n: {zh-CN: 将合计与剩余预算比较。}
        code: ok = True
        boundary:
          - {timer: PT1H, to: failed, name: Too slow, name_i18n: {zh-CN: 超时}}
      - exclusive: within_budget
        name_i18n: {zh-CN: 预算充足}
        branches:
          - {if: ok, to: pause}
        default: failed
      - wait: pause
        name_i18n: {zh-CN: 稍候}
        timer: PT1M
      - send: notify
        name_i18n: {zh-CN: 发出通知}
        message: ping
      - end: done
        name_i18n: {zh-CN: 完成}
      - end: failed
        name_i18n: {zh-CN: 失败}
"""


def test_every_kind_of_step_the_start_and_boundary_events_translate_their_names(bpmn_xsd):
    (bpmn,) = [g for g in compiled(EVERY_KIND) if g.file.name.endswith(".bpmn")]
    chinese = element_names(bpmn.file.content, "zh-CN")
    assert {key: chinese.get(key) for key in ("start", "check_budget", "check_budget_timer", "within_budget",
                                              "pause", "notify", "done", "failed")} == {
        "start": "已提交", "check_budget": "检查预算", "check_budget_timer": "超时", "within_budget": "预算充足",
        "pause": "稍候", "notify": "发出通知", "done": "完成", "failed": "失败"}
    assert element_names(bpmn.file.content, "en")["check_budget"] == "Check budget"
    assert b"\\u" not in bpmn.file.content and "将合计与剩余预算比较。".encode() in bpmn.file.content
    bpmn_xsd.assertValid(etree.fromstring(bpmn.file.content))
