"""Translated process and task names and descriptions (``name_i18n``, ``documentation_i18n``)."""

from __future__ import annotations

import pytest
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.errors import DefinitionInvalid
from flowdesk.engine.identity import SYSTEM

from tests.support.definitions import problems, source
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
