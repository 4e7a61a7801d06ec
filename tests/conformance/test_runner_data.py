"""What the runner's tireless user supplies: lists for the collections multi-instance
activities iterate, even when the activity maps a local variable of the same name."""

from __future__ import annotations

from pathlib import Path

from flowdesk.conformance import run
from tests.support.dialects import bpmn, chain
from tests.support.engines import quick_hashing

ZEEBE = 'modeler:executionPlatform="Camunda Cloud"'

# Zeebe evaluates the input collection before the activity's input mappings, so the
# process's `items` is iterated although the activity maps a local `items` of its own.
EACH = f"""
  <bpmn:startEvent id="s"/>{chain("s", "fetch", "each", "e")}
  <bpmn:serviceTask id="fetch"><bpmn:extensionElements><zeebe:taskDefinition type="fetch"/>
  </bpmn:extensionElements></bpmn:serviceTask>
  <bpmn:serviceTask id="each"><bpmn:extensionElements><zeebe:taskDefinition type="handle"/>
    <zeebe:ioMapping><zeebe:input source="=null" target="items"/></zeebe:ioMapping></bpmn:extensionElements>
    <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>
      <zeebe:loopCharacteristics inputCollection="=items" inputElement="item"/>
    </bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
  </bpmn:serviceTask>
  <bpmn:endEvent id="e"/>"""


def test_the_collection_of_a_multi_instance_activity_is_supplied_despite_a_local_mapping(tmp_path: Path):
    folder = tmp_path / "models"
    folder.mkdir()
    source = bpmn("each.bpmn", EACH, key="each", attrs=ZEEBE)
    (folder / source.name).write_bytes(source.content)
    with quick_hashing():
        report = run([folder])
    (result,) = report.files
    assert [(p.key, p.status) for p in result.processes] == [("each", "completed")]


# Camunda 7 JUEL reading a list by index: the user supplies a list of objects.
INDEXED = f"""
  <bpmn:startEvent id="s"/>{chain("s", "price?")}
  <bpmn:exclusiveGateway id="price?"/>
  <bpmn:sequenceFlow id="cheap" sourceRef="price?" targetRef="basic">
    <bpmn:conditionExpression>${{orders[1].price &lt;= 100}}</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="dear" sourceRef="price?" targetRef="gold">
    <bpmn:conditionExpression>${{orders[1].price &gt; 100}}</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:userTask id="basic"/>{chain("basic", "e")}
  <bpmn:userTask id="gold"/>{chain("gold", "e2")}
  <bpmn:endEvent id="e"/><bpmn:endEvent id="e2"/>"""


def test_items_of_a_list_read_by_index_are_supplied_as_a_list_of_objects(tmp_path: Path):
    folder = tmp_path / "models"
    folder.mkdir()
    source = bpmn("orders.bpmn", INDEXED, key="orders")
    (folder / source.name).write_bytes(source.content)
    with quick_hashing():
        report = run([folder])
    (result,) = report.files
    assert [(p.key, p.status) for p in result.processes] == [("orders", "completed")]


# A loop that ends when a counter the model keeps reaches a number only the starter gives.
LOOP = f"""
  <bpmn:startEvent id="s"><bpmn:extensionElements><zeebe:ioMapping>
    <zeebe:output source="= 0" target="count"/></zeebe:ioMapping></bpmn:extensionElements></bpmn:startEvent>
  {chain("s", "work", "more?")}
  <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work"/>
    <zeebe:ioMapping><zeebe:output source="= count + 1" target="count"/></zeebe:ioMapping>
  </bpmn:extensionElements></bpmn:serviceTask>
  <bpmn:exclusiveGateway id="more?" default="done"/>
  <bpmn:sequenceFlow id="again" sourceRef="more?" targetRef="work">
    <bpmn:conditionExpression>= count != total</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="done" sourceRef="more?" targetRef="e"/>
  <bpmn:endEvent id="e"/>"""


def test_a_variable_compared_with_another_gets_a_number_that_can_end_the_loop(tmp_path: Path):
    folder = tmp_path / "models"
    folder.mkdir()
    source = bpmn("loop.bpmn", LOOP, key="loop", attrs=ZEEBE)
    (folder / source.name).write_bytes(source.content)
    with quick_hashing():
        report = run([folder])
    (result,) = report.files
    assert [(p.key, p.status) for p in result.processes] == [("loop", "completed")]


def test_the_items_of_a_camunda_7_loop_satisfy_the_conditions_on_its_element_variable(tmp_path: Path):
    # ${score >= 50} inside a loop over ${scores}: the items are numbers, not placeholders
    folder = tmp_path / "models"
    folder.mkdir()
    name = "camunda_loop_over_scores.bpmn"
    (folder / name).write_bytes((Path(__file__).parent.parent / "fixtures" / "unseen" / name).read_bytes())
    with quick_hashing():
        report = run([folder])
    (result,) = report.files
    assert [(p.key, p.status) for p in result.processes] == [("grade_each", "completed")]
