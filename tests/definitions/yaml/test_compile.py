"""Compiling: standard BPMN 2.0 and DMN 1.3 (XSD-valid), in the conventions the engine reads,
parsed by SpiffWorkflow unchanged, and the same bytes every time."""

from __future__ import annotations

import pytest
from flowdesk.engine.definitions.dialects import translate_bpmn
from flowdesk.engine.definitions.pipeline import build_bundle
from flowdesk.engine.definitions.sources import SourceFile, read_paths
from flowdesk.engine.runtime import XmlDocument, parse_processes
from lxml import etree

from tests.support.definitions import YAML_FIXTURES, compiled, every_yaml_process, source

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}
SINK = [YAML_FIXTURES / n for n in ("kitchen_sink.yaml", "sink_archive.yaml", "sink_start.yaml", "sink_decision.yaml")]


@pytest.fixture(scope="module")
def sink() -> dict[str, SourceFile]:
    """The kitchen sink (every construct once) compiled by a deployment of its files."""
    bundle = build_bundle(read_paths(SINK))
    return {f.name: f for f in bundle.files}


def xml(file: SourceFile) -> etree._Element:
    return etree.fromstring(file.content)


@pytest.mark.parametrize("path", every_yaml_process(), ids=lambda p: p.name)
def test_every_compiled_process_is_valid_bpmn_20_with_a_diagram(path, bpmn_xsd):
    (bpmn, *_decisions) = compiled(path.read_text(), path.name)
    root = xml(bpmn.file)
    assert bpmn_xsd.validate(root), bpmn_xsd.error_log
    shapes = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    process = root.find("bpmn:process", NS)
    nodes = {el.get("id") for el in process if etree.QName(el).localname not in ("laneSet", "sequenceFlow",
                                                                                 "documentation")}
    assert nodes <= shapes
    assert {f.get("id") for f in process.iterfind("bpmn:sequenceFlow", NS)} == edges


def test_the_kitchen_sink_parses_in_spiffworkflow(sink):
    bpmn = [XmlDocument(n, xml(f)) for n, f in sink.items() if n.endswith(".bpmn")]
    for doc in bpmn:
        assert translate_bpmn(doc.name, doc.root) == []
    dmn = [XmlDocument(n, xml(f)) for n, f in sink.items() if n.endswith(".dmn")]
    parsed = parse_processes(bpmn, dmn, ["kitchen_sink", "sink_archive"])
    assert set(parsed) == {"kitchen_sink", "sink_archive"}
    assert "sink_archive" in parsed["kitchen_sink"].subprocess_specs


def test_decision_tables_compile_to_valid_dmn_13(sink, dmn_xsd):
    (table,) = [f for n, f in sink.items() if n.endswith(".dmn")]
    assert table.name == "route.dmn"
    assert dmn_xsd.validate(xml(table)), dmn_xsd.error_log
    decision_file = source("""
        decision: levels
        hit_policy: collect
        inputs: [amount, {id: kind, expression: category.lower(), label: Kind}]
        outputs: [level, {name: note, label: Note}]
        rules:
          - when: {amount: [1, 2, 3], kind: "= ? != 'x'"}
            then: {level: low, note: "= 'amount ' + str(amount)"}
            note: Small ones.
    """, "levels.yaml")
    (dmn,) = compiled(decision_file.content.decode(), "levels.yaml")
    root = xml(dmn.file)
    assert dmn.file.name == "levels.dmn" and dmn_xsd.validate(root), dmn_xsd.error_log
    texts = [t.text for t in root.iterfind(".//dmn:rule/*/dmn:text", NS)]
    assert texts == ["? in [1, 2, 3]", "? != 'x'", '"low"', "'amount ' + str(amount)"]
    assert root.find(".//dmn:decisionTable", NS).get("hitPolicy") == "COLLECT"
    assert root.find(".//dmn:rule/dmn:description", NS).text == "Small ones."


def test_flowdesk_conventions_are_what_the_engine_reads(sink):
    root = xml(sink["kitchen_sink.bpmn"])
    lanes = {lane.get("name"): [r.text for r in lane] for lane in root.iterfind(".//bpmn:lane", NS)}
    assert list(lanes) == ["clerks", "managers", "integration"]
    assert "approve" in lanes["managers"] and "approve_timer" in lanes["managers"]
    approve = root.find(".//bpmn:userTask[@id='approve']", NS)
    properties = {p.get("name"): p.get("value") for p in approve.iterfind(".//spiff:property", NS)}
    assert properties == {"formJsonSchemaFilename": "sink_decision", "candidateGroups": "managers, auditors",
                          "assignee": "${starter}", "dueDate": "P2D", "priority": "70", "separateFrom": "@starter"}
    assert approve.find("bpmn:documentation", NS).text == "Approve the big ones."
    decide = root.find(".//bpmn:businessRuleTask[@id='classify']", NS)
    assert decide.find(".//spiff:calledDecisionId", NS).text == "route"
    operator = root.find(".//bpmn:serviceTask[@id='reserve']//spiff:serviceTaskOperator", NS)
    assert (operator.get("id"), operator.get("resultVariable")) == ("stock/reserve", "reservation")
    assert [(p.get("id"), p.get("type"), p.get("value")) for p in operator.iterfind(".//spiff:parameter", NS)] == [
        ("item", "any", "item"), ("quantity", "any", "4"), ("urgent", "any", "True"), ("note", "str", '"rush"')]
    assert root.find(".//bpmn:callActivity[@id='archive']", NS).get("calledElement") == "sink_archive"


def test_events_timers_and_multi_instance_use_the_standard_elements(sink):
    root = xml(sink["kitchen_sink.bpmn"])

    def timer(element_id: str) -> tuple[str, str]:
        (value,) = root.find(f".//*[@id='{element_id}']/bpmn:timerEventDefinition", NS)
        return etree.QName(value).localname, value.text

    assert timer("cool_off") == ("timeDuration", "P1D")
    assert timer("until_date") == ("timeDate", "2030-01-01T09:00:00Z")
    assert timer("archive_timer") == ("timeCycle", "R3/PT1H")
    assert root.find(".//bpmn:boundaryEvent[@id='approve_timer']", NS).get("cancelActivity") == "false"
    assert root.find(".//bpmn:boundaryEvent[@id='approve_timer_2']", NS).get("cancelActivity") == "true"
    error_ids = {e.get("errorCode"): e.get("id") for e in root.iterfind("bpmn:error", NS)}
    assert set(error_ids) == {"out_of_stock", "too_late"}
    caught = root.find(".//bpmn:boundaryEvent[@id='reserve_error']/bpmn:errorEventDefinition", NS)
    assert caught.get("errorRef") == error_ids["out_of_stock"]
    assert root.find(".//bpmn:boundaryEvent[@id='archive_error']/bpmn:errorEventDefinition", NS).get("errorRef") \
        is None  # `error: any`
    loop = root.find(".//bpmn:userTask[@id='check_lines']/bpmn:multiInstanceLoopCharacteristics", NS)
    assert [(etree.QName(c).localname, c.text or c.get("name")) for c in loop] == [
        ("loopDataInputRef", "lines"), ("loopDataOutputRef", "verdicts"),
        ("inputDataItem", "line"), ("outputDataItem", "verdict")]


def test_messages_carry_payload_variable_and_correlation(sink):
    root = xml(sink["kitchen_sink.bpmn"])
    keys = {k.get("name"): [r.text for r in k] for k in root.iterfind(".//bpmn:correlationKey", NS)}
    assert keys == {"parcel_sent": ["order_id"], "parcel_arrived": ["order_id"]}
    (prop,) = root.iterfind("bpmn:correlationProperty", NS)
    paths = {r.get("messageRef"): r.find("bpmn:messagePath", NS).text for r in prop}
    assert paths == {"message_parcel_sent": "order_id", "message_parcel_arrived": 'parcel["order_id"]'}
    send = root.find(".//*[@id='notify']/bpmn:messageEventDefinition", NS)
    assert send.find(".//spiff:messagePayload", NS).text == '{"order_id": order_id}'
    receive = root.find(".//*[@id='arrived']/bpmn:messageEventDefinition", NS)
    assert receive.find(".//spiff:messageVariable", NS).text == "parcel"
    correlation = receive.find(".//spiff:processVariableCorrelation", NS)
    assert [c.text for c in correlation] == ["order_id", "order_id"]


def test_an_exclusive_gateway_takes_the_first_branch_that_holds_whatever_the_drawing():
    (bpmn, *_) = compiled("""
        process: ordered
        steps:
          - exclusive: size
            branches:
              - {if: amount > 100, to: big}
              - {if: amount > 1000, to: huge}
            default: small
          - end: big
          - end: huge
          - end: small
    """)
    conditions = {f.get("targetRef"): f.findtext("bpmn:conditionExpression", None, NS)
                  for f in xml(bpmn.file).iterfind(".//bpmn:sequenceFlow", NS)}
    assert conditions == {"size": None, "big": "amount > 100", "huge": "not (amount > 100) and (amount > 1000)",
                          "small": None}


def test_compiling_twice_gives_the_same_bytes():
    text = (YAML_FIXTURES / "kitchen_sink.yaml").read_text()
    assert [g.file.content for g in compiled(text, "k.yaml")] == [g.file.content for g in compiled(text, "k.yaml")]


def test_generated_ids_never_collide_with_step_ids():
    (bpmn, *_) = compiled("""
        process: clash
        steps:
          - user: flow_start_a
          - user: a
          - user: start_di
    """)
    ids = [el.get("id") for el in xml(bpmn.file).iter() if el.get("id")]
    assert len(ids) == len(set(ids))
