"""A modelled loop may go round many times without the instance losing track of itself."""

from __future__ import annotations

from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.identity import SYSTEM

from tests.support.models import HEADER

LOOP = HEADER + """
  <bpmn:process id="loop" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="count"/>
    <bpmn:scriptTask id="count"><bpmn:incoming>a</bpmn:incoming><bpmn:incoming>again</bpmn:incoming>
      <bpmn:outgoing>b</bpmn:outgoing><bpmn:script>done = done + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="b" sourceRef="count" targetRef="more"/>
    <bpmn:exclusiveGateway id="more" default="stop"><bpmn:incoming>b</bpmn:incoming>
      <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>stop</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="again" sourceRef="more" targetRef="count">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">done &lt; rounds</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="stop" sourceRef="more" targetRef="e"/>
    <bpmn:endEvent id="e"><bpmn:incoming>stop</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_loop_of_600_rounds_runs_to_its_end_with_its_data(engine):
    # Each round adds two levels to SpiffWorkflow's task tree; its iterators used to stop
    # at depth 1000, and the instance then looked completed with its data gone.
    engine.repository.deploy([SourceFile("loop.bpmn", LOOP.encode())], by=SYSTEM)
    done = engine.instances.start_instance("loop", {"done": 0, "rounds": 600}, by=SYSTEM)
    assert done["status"] == "completed" and done["data"]["done"] == 600
