"""Geometric checks of a compiled diagram, shared by the layout tests."""

from __future__ import annotations

import itertools

from flowdesk.engine.diagrams.layout import Diagram, Rect


def overlapping_shapes(diagram: Diagram, attached: dict[str, str]) -> list[tuple[str, str]]:
    """Pairs of shapes that overlap, except a boundary event and its host (it sits on
    the host's border by design)."""
    items = sorted(diagram.shapes.items())
    found = []
    for i, (a, ra) in enumerate(items):
        for b, rb in items[i + 1:]:
            if attached.get(a) == b or attached.get(b) == a:
                continue
            if ra.overlaps(rb):
                found.append((a, b))
    return found


def _crosses(p: tuple[int, int], q: tuple[int, int], rect: Rect) -> bool:
    """True when the axis-parallel segment p-q passes through the inside of `rect`."""
    (x1, y1), (x2, y2) = p, q
    left, right, top, bottom = rect.x + 1, rect.right - 1, rect.y + 1, rect.bottom - 1
    if y1 == y2:
        lo, hi = sorted((x1, x2))
        return top < y1 < bottom and lo < right and hi > left
    if x1 == x2:
        lo, hi = sorted((y1, y2))
        return left < x1 < right and lo < bottom and hi > top
    raise AssertionError(f"segment {p}-{q} is not orthogonal")


def edges_crossing_shapes(diagram: Diagram, ends: dict[str, tuple[str, str]],
                          attached: dict[str, str]) -> list[tuple[str, str]]:
    """(edge, shape) pairs where a flow runs through a shape other than the ones it
    connects (for a flow out of a boundary event, its host counts as connected)."""
    found = []
    for edge_id, points in diagram.edges.items():
        source, target = ends[edge_id]
        own = {source, target, attached.get(source)}
        for shape_id, rect in diagram.shapes.items():
            if shape_id in own:
                continue
            if any(_crosses(p, q, rect) for p, q in itertools.pairwise(points)):
                found.append((edge_id, shape_id))
    return found


def shapes_outside_their_lane(diagram: Diagram, lane_of: dict[str, str]) -> list[str]:
    return [shape_id for shape_id, lane in lane_of.items()
            if not diagram.lanes[lane].contains(diagram.shapes[shape_id])]
