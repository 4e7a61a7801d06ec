"""An automatic layered layout for the diagram of a compiled process.

The diagram reads left to right in columns (layers) and top to bottom in lanes
(horizontal bands, one per lane, in declaration order). It is built like a Sugiyama
layout, simplified by what process diagrams look like:

1. Loops are found by a depth-first walk from the start in document order; their
   closing flows ("back edges") are left out of the layering.
2. Each node's column is its longest distance from the start, so every forward flow goes
   at least one column to the right.
3. A forward flow that skips columns gets a placeholder in each column it crosses, in
   its source's lane, so it passes through a free slot instead of over a shape.
4. Within each lane and column the nodes are ordered by the barycenter of their
   neighbours (a few sweeps), then given rows, aligned with a predecessor in the same
   lane where possible so that the main path stays straight.
5. Flows are orthogonal. Horizontal segments run only at a node's own height, through
   placeholder slots, or along a corridor at the bottom of a lane reserved for back
   edges; vertical segments run only in the gaps between columns, where nothing is
   drawn. Each vertical gets its own track in its gap (flows leaving one gateway share
   the track, as do flows entering one node), so flows do not lie on top of each other.

The result: no two shapes overlap (a boundary event sits on its host's border, as BPMN
draws it), every shape lies inside its lane's band, and no flow crosses a shape other
than the two it connects. Coordinates are integers, so the output is stable byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

ShapeKind = Literal["task", "gateway", "event"]
SIZES: dict[str, tuple[int, int]] = {"task": (100, 80), "gateway": (50, 50), "event": (36, 36)}

POOL_X, POOL_Y = 120, 60
POOL_LABEL = 30  # the pool's name runs vertically in this band
LANE_LABEL = 30  # each lane's name runs vertically in this band
SLOT = 80  # the tallest shape
ROW = 130  # slot plus the space below it (boundary events and their flows live there)
LANE_TOP = 20
TRACK = 14  # distance between parallel flows in a gap or a corridor
GAP_MIN = 56
BOUNDARY = 36
BOUNDARY_STEP = 45

Point = tuple[int, int]


@dataclass(frozen=True)
class Node:
    """A flow node to place: events, tasks and gateways (not boundary events)."""

    id: str
    kind: ShapeKind
    lane: str | None = None


@dataclass(frozen=True)
class Edge:
    """A sequence flow; `source` may be a boundary event."""

    id: str
    source: str
    target: str


@dataclass(frozen=True)
class Attached:
    """A boundary event and the node it is attached to."""

    id: str
    host: str


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    def contains(self, other: Rect) -> bool:
        return self.x <= other.x and self.y <= other.y and other.right <= self.right and other.bottom <= self.bottom

    def overlaps(self, other: Rect) -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom


@dataclass
class Diagram:
    pool: Rect
    lanes: dict[str, Rect] = field(default_factory=dict)
    shapes: dict[str, Rect] = field(default_factory=dict)
    edges: dict[str, list[Point]] = field(default_factory=dict)


@dataclass
class _Slot:
    """A node or a placeholder in the grid."""

    id: str
    layer: int
    lane: int
    order: float
    row: int = 0
    real: bool = True


def layout(nodes: Sequence[Node], edges: Sequence[Edge], attached: Sequence[Attached] = (),
           lanes: Sequence[str] = ()) -> Diagram:
    """Place `nodes` (the first is where the walk starts) in `lanes` and route `edges`."""
    return _Layout(nodes, edges, attached, lanes).run()


class _Layout:
    def __init__(self, nodes: Sequence[Node], edges: Sequence[Edge], attached: Sequence[Attached],
                 lanes: Sequence[str]) -> None:
        self.nodes = {n.id: n for n in nodes}
        self.order = [n.id for n in nodes]
        self.edges = list(edges)
        self.host = {a.id: a.host for a in attached}
        self.attached: dict[str, list[str]] = {}
        for a in attached:
            self.attached.setdefault(a.host, []).append(a.id)
        self.lane_names = list(lanes)
        self.lane_index = {name: i for i, name in enumerate(self.lane_names)}
        self.lane_count = max(1, len(self.lane_names))
        self.out_degree: dict[str, int] = {}
        self.in_degree: dict[str, int] = {}
        for e in self.edges:
            self.out_degree[e.source] = self.out_degree.get(e.source, 0) + 1
            self.in_degree[e.target] = self.in_degree.get(e.target, 0) + 1

    def node_of(self, element: str) -> str:
        """The grid node an edge end belongs to (a boundary event's host)."""
        return self.host.get(element, element)

    def lane_of(self, node: str) -> int:
        return self.lane_index.get(self.nodes[node].lane or "", 0)

    # -- 1. loops -------------------------------------------------------------------------------
    def find_back_edges(self) -> tuple[set[str], dict[str, int]]:
        successors: dict[str, list[Edge]] = {}
        for e in self.edges:
            successors.setdefault(self.node_of(e.source), []).append(e)
        back: set[str] = set()
        discovered: dict[str, int] = {}
        finished: set[str] = set()
        for root in self.order:
            if root in discovered:
                continue
            discovered[root] = len(discovered)
            stack = [(root, iter(successors.get(root, [])))]
            while stack:
                node, pending = stack[-1]
                for e in pending:
                    target = e.target
                    if target not in discovered:
                        discovered[target] = len(discovered)
                        stack.append((target, iter(successors.get(target, []))))
                        break
                    if target not in finished:
                        back.add(e.id)  # the target is still open: this edge closes a loop
                else:
                    finished.add(node)
                    stack.pop()
        return back, discovered

    # -- 2. columns -----------------------------------------------------------------------------
    def assign_layers(self, back: set[str]) -> dict[str, int]:
        preds: dict[str, list[str]] = {n: [] for n in self.order}
        succs: dict[str, list[str]] = {n: [] for n in self.order}
        for e in self.edges:
            if e.id in back:
                continue
            s, t = self.node_of(e.source), e.target
            preds[t].append(s)
            succs[s].append(t)
        remaining = {n: len(preds[n]) for n in self.order}
        ready = [n for n in self.order if remaining[n] == 0]
        layer = {n: 0 for n in self.order}
        while ready:
            node = ready.pop(0)
            for t in succs[node]:
                layer[t] = max(layer[t], layer[node] + 1)
                remaining[t] -= 1
                if remaining[t] == 0:
                    ready.append(t)
        return layer

    # -- 3. and 4. slots, order and rows -------------------------------------------------------
    def build_grid(self, back: set[str], discovered: dict[str, int], layer: dict[str, int]) -> None:
        self.slots: dict[str, _Slot] = {
            n: _Slot(n, layer[n], self.lane_of(n), float(discovered.get(n, len(discovered)))) for n in self.order
        }
        self.chains: dict[str, list[str]] = {}
        self.up: dict[str, list[str]] = {n: [] for n in self.order}
        self.down: dict[str, list[str]] = {n: [] for n in self.order}
        for e in self.edges:
            s, t = self.node_of(e.source), e.target
            if e.id in back:
                continue
            chain = []
            for k, column in enumerate(range(layer[s] + 1, layer[t])):
                dummy = f"\0{e.id}\0{k}"
                self.slots[dummy] = _Slot(dummy, column, self.slots[s].lane, self.slots[s].order + 0.5, real=False)
                self.up[dummy], self.down[dummy] = [], []
                chain.append(dummy)
            self.chains[e.id] = chain
            path = [s, *chain, t]
            for a, b in pairwise(path):
                self.down[a].append(b)
                self.up[b].append(a)
        self.layers: dict[int, list[str]] = {}
        for slot in sorted(self.slots.values(), key=lambda x: x.order):
            self.layers.setdefault(slot.layer, []).append(slot.id)
        self.max_layer = max(self.layers) if self.layers else 0
        self.reorder()
        self.assign_rows()

    def position(self, slot_id: str) -> float:
        slot = self.slots[slot_id]
        return slot.lane * 10_000 + slot.order

    def reorder(self) -> None:
        """Barycenter sweeps, keeping each lane's nodes together."""
        for layer_ids in self.layers.values():
            self.renumber(layer_ids)
        for _ in range(4):
            for column in range(1, self.max_layer + 1):
                self.sort_layer(column, self.up)
            for column in range(self.max_layer - 1, -1, -1):
                self.sort_layer(column, self.down)

    def renumber(self, layer_ids: list[str]) -> None:
        by_lane: dict[int, list[str]] = {}
        for slot_id in layer_ids:
            by_lane.setdefault(self.slots[slot_id].lane, []).append(slot_id)
        for members in by_lane.values():
            for index, slot_id in enumerate(sorted(members, key=lambda s: self.slots[s].order)):
                self.slots[slot_id].order = float(index)

    def sort_layer(self, column: int, neighbours: dict[str, list[str]]) -> None:
        layer_ids = self.layers.get(column, [])

        def barycenter(slot_id: str) -> float:
            found = [self.position(n) for n in neighbours[slot_id]]
            return sum(found) / len(found) if found else self.position(slot_id)

        keyed = {s: (self.slots[s].lane, barycenter(s), self.slots[s].order) for s in layer_ids}
        layer_ids.sort(key=lambda s: keyed[s])
        self.renumber(layer_ids)

    def assign_rows(self) -> None:
        """Rows per lane and column, in the barycenter order: first aligned with a
        predecessor in the same lane, then relaxed towards the median of all same-lane
        neighbours (so a node pushed down by a crowded column can come back up)."""
        self.place_rows(lambda slot_id: self.up[slot_id], range(self.max_layer + 1))
        both = lambda slot_id: [*self.up[slot_id], *self.down[slot_id]]  # noqa: E731
        for _ in range(3):
            self.place_rows(both, range(self.max_layer, -1, -1))
            self.place_rows(both, range(self.max_layer + 1))
        self.lane_rows = [1] * self.lane_count
        for slot in self.slots.values():
            self.lane_rows[slot.lane] = max(self.lane_rows[slot.lane], slot.row + 1)

    def place_rows(self, neighbours, columns: Iterable[int]) -> None:
        for column in columns:
            by_lane: dict[int, list[str]] = {}
            for slot_id in self.layers.get(column, []):
                by_lane.setdefault(self.slots[slot_id].lane, []).append(slot_id)
            for lane, members in by_lane.items():
                members.sort(key=lambda s: self.slots[s].order)
                previous = -1
                for slot_id in members:
                    near = sorted(self.slots[n].row for n in neighbours(slot_id) if self.slots[n].lane == lane)
                    desired = near[(len(near) - 1) // 2] if near else 0
                    row = max(desired, previous + 1)
                    self.slots[slot_id].row = row
                    previous = row

    # -- 5. routes in abstract coordinates -------------------------------------------------------
    def abstract_y(self, slot_id: str) -> int:
        slot = self.slots[slot_id]
        return slot.lane * 1_000_000 + slot.row * 1_000 + 500

    def exit_y(self, edge: Edge) -> int:
        if edge.source in self.host:
            host = self.host[edge.source]
            return self.abstract_y(host) + 300 + self.attached[host].index(edge.source)
        return self.abstract_y(edge.source)

    def plan_routes(self, back: set[str]) -> None:
        """Which gap tracks and corridor tracks each edge uses (geometry comes later)."""
        self.verticals: dict[int, list[tuple[tuple, int, int]]] = {}  # gap -> (key, lo, hi)
        # gap -> key -> heights where the vertical turns towards the column on its left
        # ("L") or on its right ("R"); used to keep turning segments from overlapping.
        self.turns: dict[int, dict[tuple, dict[str, set[int]]]] = {}
        self.corridor_spans: dict[int, list[tuple[str, int, int]]] = {}  # lane -> (edge, first gap, last gap)
        self.plans: dict[str, dict] = {}
        for e in self.edges:
            s, t = self.node_of(e.source), e.target
            exit_gap, entry_gap = self.slots[s].layer, self.slots[t].layer - 1
            out_key = ("out", e.source) if self.out_degree.get(e.source, 0) > 1 else ("edge", e.id)
            in_key = ("in", t) if self.in_degree.get(t, 0) > 1 else ("edge", e.id)
            y0, yt = self.exit_y(e), self.abstract_y(t)
            if e.id in back:
                lane = self.slots[s].lane
                corridor = lane * 1_000_000 + 900_000 + len(self.corridor_spans.get(lane, []))
                self.corridor_spans.setdefault(lane, []).append((e.id, min(entry_gap, exit_gap), exit_gap))
                self.add_vertical(exit_gap, out_key, y0, corridor, left=(y0, corridor))
                self.add_vertical(entry_gap, in_key, corridor, yt, right=(corridor, yt))
                self.plans[e.id] = {"kind": "back", "exit": (exit_gap, out_key), "entry": (entry_gap, in_key)}
                continue
            chain = self.chains[e.id]
            if not chain:
                key = out_key if out_key[0] == "out" else in_key
                self.add_vertical(exit_gap, key, y0, yt, left=(y0,), right=(yt,))
                self.plans[e.id] = {"kind": "direct", "gaps": [(exit_gap, key)]}
                continue
            ys = [y0, *(self.abstract_y(d) for d in chain), yt]
            gaps = []
            for index, gap in enumerate(range(exit_gap, entry_gap + 1)):
                key = out_key if index == 0 else in_key if gap == entry_gap else ("edge", e.id)
                self.add_vertical(gap, key, ys[index], ys[index + 1], left=(ys[index],), right=(ys[index + 1],))
                gaps.append((gap, key))
            self.plans[e.id] = {"kind": "chain", "gaps": gaps}

    def add_vertical(self, gap: int, key: tuple, a: int, b: int, left: tuple[int, ...] = (),
                     right: tuple[int, ...] = ()) -> None:
        self.verticals.setdefault(gap, []).append((key, min(a, b), max(a, b)))
        turns = self.turns.setdefault(gap, {}).setdefault(key, {"L": set(), "R": set()})
        turns["L"].update(left)
        turns["R"].update(right)

    def assign_tracks(self) -> None:
        """Interval colouring per gap: overlapping verticals get different tracks."""
        self.track: dict[tuple[int, tuple], int] = {}
        self.gap_tracks: dict[int, int] = {}
        for gap, segments in self.verticals.items():
            merged: dict[tuple, tuple[int, int]] = {}
            for key, lo, hi in segments:
                old = merged.get(key)
                merged[key] = (min(lo, old[0]), max(hi, old[1])) if old else (lo, hi)
            ends: list[int] = []
            for key, (lo, hi) in sorted(merged.items(), key=lambda item: (item[1], str(item[0]))):
                free = next((i for i, end in enumerate(ends) if end < lo), None)
                if free is None:
                    free = len(ends)
                    ends.append(hi)
                else:
                    ends[free] = hi
                self.track[(gap, key)] = free
            self.gap_tracks[gap] = len(ends)
            self.order_tracks(gap, list(merged))
        self.corridor_track: dict[str, int] = {}
        self.lane_corridors = [0] * self.lane_count
        for lane, spans in self.corridor_spans.items():
            ends = []
            for edge_id, first, last in sorted(spans, key=lambda s: (s[1], s[2], s[0])):
                free = next((i for i, end in enumerate(ends) if end < first), None)
                if free is None:
                    free = len(ends)
                    ends.append(last)
                else:
                    ends[free] = last
                self.corridor_track[edge_id] = free
            self.lane_corridors[lane] = len(ends)

    def order_tracks(self, gap: int, keys: list[tuple]) -> None:
        """Reorder a gap's tracks so that, at any height, a flow turning in from the left
        column runs left of a flow turning out to the right column; otherwise their
        horizontal ends would lie on top of each other and seem to connect."""
        count = self.gap_tracks[gap]
        after: dict[int, set[int]] = {t: set() for t in range(count)}
        turns = self.turns.get(gap, {})
        for a in keys:
            for b in keys:
                ta, tb = self.track[(gap, a)], self.track[(gap, b)]
                if ta != tb and turns[a]["L"] & turns[b]["R"]:
                    after[ta].add(tb)
        order: list[int] = []
        placed: set[int] = set()
        while len(order) < count:
            ready = [t for t in range(count) if t not in placed
                     and not any(t in after[o] for o in range(count) if o not in placed and o != t)]
            if not ready:
                return  # contradictory wishes: keep the colouring as it is
            order.append(ready[0])
            placed.add(ready[0])
        position = {track: index for index, track in enumerate(order)}
        for key in keys:
            self.track[(gap, key)] = position[self.track[(gap, key)]]

    # -- geometry -------------------------------------------------------------------------------
    def node_size(self, node_id: str) -> tuple[int, int]:
        width, height = SIZES[self.nodes[node_id].kind]
        count = len(self.attached.get(node_id, []))
        if self.nodes[node_id].kind == "task" and count > 2:
            width = max(width, BOUNDARY_STEP * count + 10)
        return width, height

    def place(self) -> Diagram:
        columns = range(self.max_layer + 1)
        width = {c: max([self.node_size(s)[0] for s in self.layers.get(c, []) if self.slots[s].real] or [36])
                 for c in columns}
        gap_width = {g: max(GAP_MIN, 28 + self.gap_tracks.get(g, 0) * TRACK) for g in range(-1, self.max_layer + 1)}
        left = POOL_X + POOL_LABEL + (LANE_LABEL if self.lane_names else 0)
        self.gap_x: dict[int, int] = {}
        self.column_x: dict[int, int] = {}
        x = left
        for g in range(-1, self.max_layer + 1):
            self.gap_x[g] = x
            x += gap_width[g]
            if g + 1 in width:
                self.column_x[g + 1] = x
                x += width[g + 1]
        self.gap_width = gap_width
        self.column_width = width
        right = x
        self.lane_y: list[int] = []
        y = POOL_Y
        heights = []
        for lane in range(self.lane_count):
            self.lane_y.append(y)
            corridor = self.lane_corridors[lane]
            height = LANE_TOP + self.lane_rows[lane] * ROW + (corridor * TRACK + 8 if corridor else 0)
            heights.append(height)
            y += height
        diagram = Diagram(Rect(POOL_X, POOL_Y, right - POOL_X, y - POOL_Y))
        for lane, name in enumerate(self.lane_names):
            diagram.lanes[name] = Rect(POOL_X + POOL_LABEL, self.lane_y[lane], right - POOL_X - POOL_LABEL,
                                       heights[lane])
        for node_id in self.order:
            slot = self.slots[node_id]
            w, h = self.node_size(node_id)
            cx = self.column_x[slot.layer] + width[slot.layer] // 2
            cy = self.real_y(node_id)
            diagram.shapes[node_id] = Rect(cx - w // 2, cy - h // 2, w, h)
            for index, boundary in enumerate(self.attached.get(node_id, [])):
                host = diagram.shapes[node_id]
                bx = host.right - 25 - index * BOUNDARY_STEP
                diagram.shapes[boundary] = Rect(bx - BOUNDARY // 2, host.bottom - BOUNDARY // 2, BOUNDARY, BOUNDARY)
        self.diagram = diagram
        return diagram

    def real_y(self, slot_id: str) -> int:
        slot = self.slots[slot_id]
        return self.lane_y[slot.lane] + LANE_TOP + slot.row * ROW + SLOT // 2

    def corridor_y(self, lane: int, track: int) -> int:
        return self.lane_y[lane] + LANE_TOP + self.lane_rows[lane] * ROW + 4 + track * TRACK

    def track_x(self, gap: int, key: tuple) -> int:
        count = self.gap_tracks.get(gap, 1)
        first = self.gap_x[gap] + (self.gap_width[gap] - (count - 1) * TRACK) // 2
        return first + self.track.get((gap, key), 0) * TRACK

    def route(self, back: set[str]) -> None:
        shapes = self.diagram.shapes
        for e in self.edges:
            s, t = self.node_of(e.source), e.target
            source, target = shapes[e.source], shapes[t]
            ty = target.y + target.height // 2
            points: list[Point]
            if e.source in self.host:
                index = self.attached[s].index(e.source)
                stub = shapes[s].bottom + BOUNDARY // 2 + 8 + index * 8
                bx = source.x + BOUNDARY // 2
                points = [(bx, source.bottom), (bx, stub)]
                y = stub
            else:
                y = source.y + source.height // 2
                points = [(source.right, y)]
            plan = self.plans[e.id]
            if plan["kind"] == "back":
                exit_x = self.track_x(*plan["exit"])
                entry_x = self.track_x(*plan["entry"])
                corridor = self.corridor_y(self.slots[s].lane, self.corridor_track[e.id])
                points += [(exit_x, y), (exit_x, corridor), (entry_x, corridor), (entry_x, ty)]
            else:
                ys = [y, *(self.real_y(d) for d in self.chains[e.id]), ty]
                for index, (gap, key) in enumerate(plan["gaps"]):
                    x = self.track_x(gap, key)
                    points += [(x, ys[index]), (x, ys[index + 1])]
            points.append((target.x, ty))
            self.diagram.edges[e.id] = _simplify(points)

    def run(self) -> Diagram:
        back, discovered = self.find_back_edges()
        layer = self.assign_layers(back)
        self.build_grid(back, discovered, layer)
        self.plan_routes(back)
        self.assign_tracks()
        self.place()
        self.route(back)
        return self.diagram


def _simplify(points: list[Point]) -> list[Point]:
    """Drop repeated points and points in the middle of a straight run."""
    unique = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    kept = unique[:1]
    for i in range(1, len(unique) - 1):
        a, b, c = kept[-1], unique[i], unique[i + 1]
        if (a[0] == b[0] == c[0]) or (a[1] == b[1] == c[1]):
            continue
        kept.append(b)
    if len(unique) > 1:
        kept.append(unique[-1])
    return kept if len(kept) >= 2 else [*kept, *kept]
