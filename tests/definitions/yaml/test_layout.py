"""The generated diagram: lanes as bands, no overlapping shapes, flows that do not run
through shapes, left to right, on real processes and on a few hundred random graphs."""

from __future__ import annotations

import itertools
import random

import pytest
from flowdesk.engine.definitions.yaml.compile_bpmn import compile_process
from flowdesk.engine.definitions.yaml.lines import load_yaml
from flowdesk.engine.definitions.yaml.reading import build_process
from flowdesk.engine.diagrams.layout import Attached, Edge, Node, layout
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.support.definitions import EXAMPLE, YAML_FIXTURES, every_yaml_process
from tests.support.geometry import edges_crossing_shapes, overlapping_shapes, shapes_outside_their_lane


def compile_file(path):
    model = build_process(load_yaml(path.name, path.read_bytes()))
    return model, compile_process(model)


@pytest.mark.parametrize("path", every_yaml_process(), ids=lambda p: p.name)
def test_real_processes_are_drawn_without_overlaps_or_flows_through_shapes(path):
    model, result = compile_file(path)
    diagram = result.diagram
    attached = {b.id: b.host for b in model.boundaries()}
    root = etree.fromstring(result.content)
    ends = {f.get("id"): (f.get("sourceRef"), f.get("targetRef")) for f in root.iter("{*}sequenceFlow")}
    assert overlapping_shapes(diagram, attached) == []
    assert edges_crossing_shapes(diagram, ends, attached) == []
    if model.lanes:
        lane_of = {model.start.id: model.start.lane, **{s.id: s.lane for s in model.steps},
                   **{b.id: model.step(b.host).lane for b in model.boundaries()}}
        assert shapes_outside_their_lane(diagram, lane_of) == []
        assert all(diagram.pool.contains(rect) for rect in diagram.lanes.values())


def test_lanes_are_stacked_bands_in_declaration_order():
    model, result = compile_file(EXAMPLE / "expense_claim.yaml")
    bands = [result.diagram.lanes[lane] for lane in model.lanes]
    assert [b.y for b in bands] == sorted(b.y for b in bands)
    for upper, lower in itertools.pairwise(bands):
        assert upper.bottom == lower.y and upper.x == lower.x and upper.width == lower.width


def test_flows_go_left_to_right_and_a_straight_sequence_stays_on_one_line():
    _model, result = compile_file(EXAMPLE / "expense_claim.yaml")
    shapes = result.diagram.shapes
    order = ["start", "classify", "needs_approval"]
    assert [shapes[n].x for n in order] == sorted(shapes[n].x for n in order)
    assert len({shapes[n].y + shapes[n].height // 2 for n in order}) == 1
    assert shapes["approve"].x < shapes["approved"].x < shapes["pay"].x


def test_a_boundary_event_sits_on_the_bottom_border_of_its_step():
    _, result = compile_file(EXAMPLE / "expense_claim.yaml")
    host, event = result.diagram.shapes["approve"], result.diagram.shapes["approve_timer"]
    assert event.y + event.height // 2 == host.bottom and host.x <= event.x and event.right <= host.right


def test_every_flow_is_orthogonal_and_starts_and_ends_on_its_shapes():
    _model, result = compile_file(YAML_FIXTURES / "kitchen_sink.yaml")
    root = etree.fromstring(result.content)
    ends = {f.get("id"): (f.get("sourceRef"), f.get("targetRef")) for f in root.iter("{*}sequenceFlow")}
    for flow_id, points in result.diagram.edges.items():
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in itertools.pairwise(points)), flow_id
        source, target = (result.diagram.shapes[e] for e in ends[flow_id])
        assert points[0] in ((source.right, source.y + source.height // 2),
                             (source.x + source.width // 2, source.bottom))
        assert points[-1] == (target.x, target.y + target.height // 2)


def test_loops_are_drawn_back_along_the_bottom_of_the_lane():
    text = """
        process: rework
        lanes: {clerk: clerks}
        steps:
          - user: draft
          - user: review
          - exclusive: ok
            branches:
              - {if: not approved, to: draft}
            default: done
          - end: done
    """
    import textwrap

    model = build_process(load_yaml("rework.yaml", textwrap.dedent(text)))
    result = compile_process(model)
    shapes, lane = result.diagram.shapes, result.diagram.lanes["clerk"]
    (back,) = [points for flow_id, points in result.diagram.edges.items() if flow_id == "flow_ok_draft"]
    lowest = max(y for _, y in back)
    assert lowest > max(s.bottom for s in shapes.values()) and lowest < lane.bottom


# -- random graphs -------------------------------------------------------------------------------


def random_graph(seed: int) -> tuple[list[Node], list[Edge], list[Attached], list[str]]:
    """A chain with random extra flows (forward, backward, self-loops), random lanes and
    boundary events: harder than real processes, and anything may happen."""
    rng = random.Random(seed)
    lanes = [f"lane{i}" for i in range(rng.randint(0, 4))]
    count = rng.randint(2, 22)
    nodes = [Node(f"n{i}", "event" if i == 0 else rng.choice(["task", "gateway", "event"]),
                  rng.choice(lanes) if lanes else None) for i in range(count)]
    edges = [Edge(f"e{i}", f"n{i}", f"n{i + 1}") for i in range(count - 1)]
    for _ in range(rng.randint(0, count)):
        edges.append(Edge(f"e{len(edges)}", f"n{rng.randrange(count)}", f"n{rng.randrange(1, count)}"))
    attached = []
    tasks = [n.id for n in nodes if n.kind == "task"]
    for _ in range(rng.randint(0, 6) if tasks else 0):
        attached.append(Attached(f"b{len(attached)}", rng.choice(tasks)))
        edges.append(Edge(f"e{len(edges)}", attached[-1].id, f"n{rng.randrange(1, count)}"))
    return nodes, edges, attached, lanes


@settings(max_examples=250, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_any_graph_is_drawn_without_overlaps_or_flows_through_shapes(seed):
    nodes, edges, attached, lanes = random_graph(seed)
    diagram = layout(nodes, edges, attached, lanes)
    hosts = {a.id: a.host for a in attached}
    assert overlapping_shapes(diagram, hosts) == []
    assert edges_crossing_shapes(diagram, {e.id: (e.source, e.target) for e in edges}, hosts) == []
    if lanes:
        lane_of = {n.id: n.lane for n in nodes}
        lane_of.update({a.id: lane_of[a.host] for a in attached})
        assert shapes_outside_their_lane(diagram, lane_of) == []
