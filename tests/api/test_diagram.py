"""The BPMN-to-SVG renderer, as the pure function it is."""

from __future__ import annotations

import pytest
from flowdesk.engine.diagrams.render import render
from lxml import etree

from tests.support.models import HEADER
from tests.support.paths import CORPUS

SVG = "{http://www.w3.org/2000/svg}"


def groups(svg_text: str) -> dict[str, etree._Element]:
    svg = etree.fromstring(svg_text.encode())
    assert svg.tag == f"{SVG}svg"
    return {g.get("data-element-id"): g for g in svg.iter(f"{SVG}g") if g.get("data-element-id")}


LOOP = HEADER + """
  <bpmn:process id="loop" name="Review &amp; fix" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="a" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="Review &quot;it&quot; &lt;now&gt;"><bpmn:incoming>a</bpmn:incoming>
      <bpmn:incoming>again</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="late" attachedToRef="review"><bpmn:outgoing>c</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="b" sourceRef="review" targetRef="ok"/>
    <bpmn:exclusiveGateway id="ok" default="done"><bpmn:incoming>b</bpmn:incoming>
      <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>done</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="again" name="not yet" sourceRef="ok" targetRef="review">
      <bpmn:conditionExpression>redo</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="done" sourceRef="ok" targetRef="end"/>
    <bpmn:sequenceFlow id="c" sourceRef="late" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>done</bpmn:incoming><bpmn:incoming>c</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_without_diagram_interchange_elements_run_left_to_right_and_loops_go_back_below():
    shapes = groups(render(LOOP.encode(), "loop"))
    x = {k: float(next(n for n in g.iter() if n.tag in (f"{SVG}rect", f"{SVG}circle", f"{SVG}polygon"))
                  .get("x") or next(n for n in g.iter() if n.tag == f"{SVG}circle").get("cx"))
         for k, g in shapes.items() if k in ("start", "review", "end")}
    assert x["start"] < x["review"] < x["end"]
    back = [tuple(map(float, point.split(","))) for point in
            shapes["again"].find(f"{SVG}polyline").get("points").split()]
    review = next(n for n in shapes["review"].iter() if n.tag == f"{SVG}rect")
    bottom = float(review.get("y")) + float(review.get("height"))
    assert max(y for _, y in back) > bottom  # the loop goes back below the shapes it joins
    assert back[-1][0] <= float(review.get("x")) < back[0][0]
    assert "boundaryEvent" in shapes["late"].get("class")
    assert "not yet" in "".join(shapes["again"].itertext())


def test_names_are_text_never_markup():
    svg = render(LOOP.encode(), "loop")
    assert "<now>" not in svg and "&lt;now&gt;" in svg
    assert 'Review "it" <now>' in "".join(groups(svg)["review"].itertext())


def test_states_mark_elements():
    shapes = groups(render(LOOP.encode(), "loop", {"start": "completed", "review": "active", "ok": "failed",
                                                   "end": "<script>"}))
    assert "state-completed" in shapes["start"].get("class")
    assert "state-active" in shapes["review"].get("class")
    assert "state-failed" in shapes["ok"].get("class")
    assert "state-" not in shapes["end"].get("class")  # only known states


def test_not_a_bpmn_document_still_gives_an_svg():
    svg = etree.fromstring(render(b"<not-bpmn").encode())
    assert svg.tag == f"{SVG}svg"


def test_entities_are_not_expanded():
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + LOOP.split("?>", 1)[1] \
        .replace('name="Review &amp; fix"', 'name="&e;"').encode()
    assert "root:" not in render(evil, "loop")


@pytest.mark.skipif(not (CORPUS / "bpmnio_examples" / "pizza-collaboration.bpmn").exists(),
                    reason="the shared model corpus is not present")
def test_a_modellers_collaboration_is_drawn_with_pools_lanes_and_message_flows():
    content = (CORPUS / "bpmnio_examples" / "pizza-collaboration.bpmn").read_bytes()
    shapes = groups(render(content))
    kinds = {g.get("class").split()[1] for g in shapes.values()}
    assert {"participant", "lane", "startEvent", "eventBasedGateway", "intermediateCatchEvent", "task",
            "endEvent", "sequenceFlow", "messageFlow"} <= kinds
    message_flow = next(g for g in shapes.values() if "messageFlow" in g.get("class"))
    assert message_flow.find(f"{SVG}polyline").get("class") == "flow message-flow"
