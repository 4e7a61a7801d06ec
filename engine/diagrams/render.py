"""BPMN 2.0 XML to SVG, as a pure function.

When the model carries diagram interchange (``bpmndi``: shapes with bounds, edges with
waypoints, as every modeller writes them), the diagram is drawn exactly where the modeller
put it: pools and lanes, tasks with their type markers, events with their definitions,
gateways, sub-processes, data objects, annotations, sequence and message flows with their
labels. A model without diagram interchange (hand-written or generated) gets a simple
automatic layout, the same that compiled YAML processes get (see :mod:`.layout`).

``states`` (element id -> ``completed`` | ``active`` | ``failed``) marks elements of a
running instance; each shape also carries ``data-element-id`` so a client can style it.
All text from the model is escaped: a model is an upload, and the SVG is served to browsers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from .labels import translated_names
from .layout import Attached, ShapeKind, layout
from .layout import Edge as LayoutEdge
from .layout import Node as LayoutNode

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
STATES = ("completed", "active", "failed")
WHITE_STROKE = ' style="stroke:#fff"'

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, load_dtd=False,
                          huge_tree=False)

TASKS = {"task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask",
         "manualTask", "callActivity"}
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = TASKS | SUBPROCESSES | EVENTS | GATEWAYS
EDGES = {"sequenceFlow", "messageFlow", "association", "dataInputAssociation", "dataOutputAssociation"}

STYLE = """
.shape{fill:#fff;stroke:#22242a;stroke-width:1.5}
.pool,.lane{fill:none;stroke:#22242a;stroke-width:1.5}
.band{fill:none;stroke:#22242a;stroke-width:1.5}
.group{fill:none;stroke:#22242a;stroke-width:1.5;stroke-dasharray:8 4 1 4}
.end .shape{stroke-width:4}
.call .shape,.boundary-inner{stroke-width:4}
.marker{fill:none;stroke:#22242a;stroke-width:1.5}
.marker.filled{fill:#22242a}
.flow{fill:none;stroke:#22242a;stroke-width:1.5}
.message-flow{stroke-dasharray:6 4}
.association{stroke-dasharray:2 4}
text{font-family:Arial,Helvetica,sans-serif;font-size:12px;fill:#22242a}
.title{font-size:13px}
.state-completed .shape{fill:#e7f6e7;stroke:#2e7d32}
.state-active .shape{fill:#e3effd;stroke:#1565c0;stroke-width:3}
.state-failed .shape{fill:#fdecea;stroke:#c62828;stroke-width:3}
"""


@dataclass
class Shape:
    id: str
    kind: str
    x: float
    y: float
    w: float
    h: float
    name: str = ""
    label: tuple[float, float, float, float] | None = None
    markers: tuple[str, ...] = ()
    expanded: bool = True
    horizontal: bool = True


@dataclass
class Edge:
    id: str
    kind: str
    points: list[tuple[float, float]]
    name: str = ""
    label: tuple[float, float, float, float] | None = None
    default: bool = False


@dataclass
class Drawing:
    shapes: list[Shape] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _float(value: str | None) -> float:
    try:
        number = float(value or 0)
    except ValueError:
        return 0.0
    return number if math.isfinite(number) else 0.0


def _bounds(element: etree._Element | None) -> tuple[float, float, float, float] | None:
    if element is None:
        return None
    b = element.find(f"{{{DC}}}Bounds")
    if b is None:
        return None
    return _float(b.get("x")), _float(b.get("y")), max(0.0, _float(b.get("width"))), max(0.0, _float(b.get("height")))


def _markers(element: etree._Element) -> tuple[str, ...]:
    """Event definitions and loop characteristics an element shows as markers."""
    found = []
    for child in element:
        name = _local(child)
        if name.endswith("EventDefinition"):
            found.append(name[: -len("EventDefinition")])
        elif name == "standardLoopCharacteristics":
            found.append("loop")
        elif name == "multiInstanceLoopCharacteristics":
            found.append("sequential" if child.get("isSequential") == "true" else "parallel")
    if element.get("cancelActivity") == "false":
        found.append("non-interrupting")
    if _local(element) in {"startEvent"} and element.get("isInterrupting") == "false":
        found.append("non-interrupting")
    return tuple(found)


def _kind(element: etree._Element) -> str:
    return _local(element)


# -- reading diagram interchange -----------------------------------------------------------------
def _pick_plane(root: etree._Element, process_key: str | None, index: dict[str, etree._Element]):
    planes = [p for p in root.iter(f"{{{BPMNDI}}}BPMNPlane") if p.find(f"{{{BPMNDI}}}BPMNShape") is not None]
    if not planes:
        return None

    def shows(plane) -> bool:
        target = index.get(plane.get("bpmnElement", ""))
        if target is None or process_key is None:
            return False
        if target.get("id") == process_key:
            return True
        return any(p.get("processRef") == process_key for p in target.iter(f"{{{MODEL}}}participant"))

    return next((p for p in planes if shows(p)), planes[0])


def _from_di(plane: etree._Element, index: dict[str, etree._Element]) -> Drawing:
    drawing = Drawing()
    defaults = {g.get("default") for g in index.values() if g.get("default")}
    for di in plane:
        name = _local(di)
        element = index.get(di.get("bpmnElement", ""))
        if name == "BPMNShape":
            bounds = _bounds(di)
            if bounds is None:
                continue
            kind = _kind(element) if element is not None else "unknown"
            label = di.find(f"{{{BPMNDI}}}BPMNLabel")
            text = ""
            if element is not None:
                text = element.get("name") or ""
                if kind == "textAnnotation":
                    node = element.find(f"{{{MODEL}}}text")
                    text = (node.text or "") if node is not None else ""
            expanded = di.get("isExpanded")
            drawing.shapes.append(Shape(
                id=di.get("bpmnElement", ""), kind=kind, x=bounds[0], y=bounds[1], w=bounds[2], h=bounds[3],
                name=text, label=_bounds(label), markers=_markers(element) if element is not None else (),
                expanded=(expanded == "true") if expanded is not None else kind in SUBPROCESSES and bounds[2] > 150,
                horizontal=di.get("isHorizontal", "true") != "false",
            ))
        elif name == "BPMNEdge":
            points = [(_float(w.get("x")), _float(w.get("y"))) for w in di.findall(f"{{{DI}}}waypoint")]
            if len(points) < 2:
                continue
            kind = _kind(element) if element is not None else "sequenceFlow"
            label = di.find(f"{{{BPMNDI}}}BPMNLabel")
            edge_id = di.get("bpmnElement", "")
            drawing.edges.append(Edge(edge_id, kind, points, (element.get("name") or "") if element is not None else "",
                                      _bounds(label), default=edge_id in defaults))
    return drawing


# -- automatic layout ----------------------------------------------------------------------------
# The band at the left of a pool or lane where its name runs vertically.
BAND = 30.0


def _shape_kind(kind: str) -> ShapeKind:
    if kind in EVENTS:
        return "event"
    if kind in GATEWAYS:
        return "gateway"
    return "task"


def _auto_layout(process: etree._Element) -> Drawing:
    """A model without diagram interchange, laid out by the layout engine that gives
    compiled YAML processes their diagrams (see :mod:`.layout`)."""
    elements = {el.get("id"): el for el in process if _local(el) in FLOW_NODES and el.get("id")}
    boundary = {k: v for k, v in elements.items() if _local(v) == "boundaryEvent"}
    lanes: dict[str, str] = {}
    lane_names: list[str] = []
    for lane in process.iter(f"{{{MODEL}}}lane"):
        if lane.find(f"{{{MODEL}}}childLaneSet") is not None:
            continue
        name = lane.get("name") or lane.get("id") or ""
        lane_names.append(name)
        for ref in lane.findall(f"{{{MODEL}}}flowNodeRef"):
            if ref.text:
                lanes[ref.text.strip()] = name
    placed = [k for k in elements if k not in boundary]
    # The walk starts at the start events, then takes the rest in document order.
    placed.sort(key=lambda k: _local(elements[k]) != "startEvent")
    nodes = [LayoutNode(k, _shape_kind(_local(elements[k])), lanes.get(k)) for k in placed]
    attached = [Attached(k, b.get("attachedToRef")) for k, b in boundary.items()
                if b.get("attachedToRef") in elements and b.get("attachedToRef") not in boundary]
    hosted = {a.id for a in attached}
    flows = [f for f in process if _local(f) == "sequenceFlow" and f.get("id")
             and f.get("sourceRef") in elements and f.get("targetRef") in elements
             and f.get("targetRef") not in boundary
             and (f.get("sourceRef") not in boundary or f.get("sourceRef") in hosted)]
    if not nodes:
        return Drawing()
    diagram = layout(nodes, [LayoutEdge(f.get("id"), f.get("sourceRef"), f.get("targetRef")) for f in flows],
                     attached, lane_names)
    drawing = Drawing()
    if lane_names:
        pool = diagram.pool
        drawing.shapes.append(Shape(process.get("id", ""), "participant", pool.x, pool.y, pool.width, pool.height,
                                    process.get("name") or process.get("id") or ""))
        for name, rect in diagram.lanes.items():
            drawing.shapes.append(Shape(f"lane:{name}", "lane", rect.x, rect.y, rect.width, rect.height, name))
    for node_id, rect in diagram.shapes.items():
        element = elements[node_id]
        drawing.shapes.append(Shape(node_id, _local(element), rect.x, rect.y, rect.width, rect.height,
                                    element.get("name") or "", markers=_markers(element), expanded=False))
    defaults = {el.get("default") for el in elements.values() if el.get("default")}
    for f in flows:
        points = diagram.edges.get(f.get("id"))
        if points:
            drawing.edges.append(Edge(f.get("id"), "sequenceFlow", [(float(x), float(y)) for x, y in points],
                                      f.get("name") or "", default=f.get("id") in defaults))
    return drawing


def _find_process(root: etree._Element, process_key: str | None) -> etree._Element | None:
    processes = list(root.iter(f"{{{MODEL}}}process"))
    if process_key is not None:
        for p in processes:
            if p.get("id") == process_key:
                return p
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    return (executable or processes or [None])[0]


# -- drawing -------------------------------------------------------------------------------------
def _attr(value: object) -> str:
    return quoteattr(str(value))


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _wrap(text: str, width: float, size: float = 12.0) -> list[str]:
    per_line = max(4, int(width / (size * 0.55)))
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        words, current = paragraph.split(), ""
        for word in words:
            while len(word) > per_line:
                if current:
                    lines.append(current)
                    current = ""
                lines.append(word[:per_line])
                word = word[per_line:]
            candidate = f"{current} {word}".strip()
            if len(candidate) > per_line and current:
                lines.append(current)
                current = word
            else:
                current = candidate
        if current:
            lines.append(current)
    return lines[:8]


def _text(lines: list[str], cx: float, top: float, anchor: str = "middle", css: str = "") -> str:
    if not lines:
        return ""
    spans = "".join(f'<tspan x="{_n(cx)}" dy="{0 if i == 0 else 14}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    klass = f' class="{css}"' if css else ""
    return f'<text{klass} x="{_n(cx)}" y="{_n(top + 11)}" text-anchor="{anchor}">{spans}</text>'


def _centred_text(text: str, x: float, y: float, w: float, h: float) -> str:
    lines = _wrap(text, w - 8)
    return _text(lines, x + w / 2, y + h / 2 - len(lines) * 7)


def _event_marker(markers: Iterable[str], cx: float, cy: float, r: float, throwing: bool) -> str:
    fill = " filled" if throwing else ""
    s = r * 0.5
    out = []
    for marker in markers:
        if marker == "message":
            x, y, w, h = cx - s, cy - s * 0.7, 2 * s, 1.4 * s
            flap = WHITE_STROKE if throwing else ""
            out.append(f'<rect class="marker{fill}" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}"/>'
                       f'<path class="marker" d="M{_n(x)} {_n(y)} L{_n(cx)} {_n(cy)} L{_n(x + w)} {_n(y)}"{flap}/>')
        elif marker == "timer":
            out.append(f'<circle class="marker" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(s * 1.2)}"/>'
                       f'<path class="marker" d="M{_n(cx)} {_n(cy - s)} L{_n(cx)} {_n(cy)} L{_n(cx + s * 0.7)} '
                       f'{_n(cy + s * 0.3)}"/>')
        elif marker == "signal":
            out.append(f'<path class="marker{fill}" d="M{_n(cx)} {_n(cy - s)} L{_n(cx + s)} {_n(cy + s * 0.8)} '
                       f'L{_n(cx - s)} {_n(cy + s * 0.8)} Z"/>')
        elif marker == "error":
            out.append(f'<path class="marker{fill}" d="M{_n(cx - s)} {_n(cy + s)} L{_n(cx - s * 0.4)} '
                       f'{_n(cy - s)} L{_n(cx + s * 0.2)} {_n(cy + s * 0.2)} L{_n(cx + s)} {_n(cy - s)} '
                       f'L{_n(cx + s * 0.4)} {_n(cy + s)} L{_n(cx - s * 0.2)} {_n(cy - s * 0.2)} Z"/>')
        elif marker == "terminate":
            out.append(f'<circle class="marker filled" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(s * 1.1)}"/>')
        elif marker in {"escalation", "compensate", "conditional", "link", "cancel"}:
            out.append(f'<text x="{_n(cx)}" y="{_n(cy + 4)}" text-anchor="middle">'
                       f'{escape(marker[0].upper())}</text>')
    return "".join(out)


def _task_marker(kind: str, x: float, y: float) -> str:
    x, y = x + 8, y + 8
    if kind == "userTask":
        return (f'<circle class="marker" cx="{_n(x + 7)}" cy="{_n(y + 4)}" r="4"/>'
                f'<path class="marker" d="M{_n(x)} {_n(y + 16)} Q{_n(x + 7)} {_n(y + 4)} {_n(x + 14)} '
                f'{_n(y + 16)} Z"/>')
    if kind == "serviceTask":
        return (f'<circle class="marker" cx="{_n(x + 7)}" cy="{_n(y + 7)}" r="6" stroke-dasharray="3 2"/>'
                f'<circle class="marker" cx="{_n(x + 7)}" cy="{_n(y + 7)}" r="2.5"/>')
    if kind == "scriptTask":
        return (f'<rect class="marker" x="{_n(x)}" y="{_n(y)}" width="12" height="15"/>'
                f'<path class="marker" d="M{_n(x + 3)} {_n(y + 4)} h6 M{_n(x + 3)} {_n(y + 8)} h6 '
                f'M{_n(x + 3)} {_n(y + 12)} h6"/>')
    if kind == "businessRuleTask":
        return (f'<rect class="marker" x="{_n(x)}" y="{_n(y)}" width="16" height="12"/>'
                f'<path class="marker" d="M{_n(x)} {_n(y + 4)} h16 M{_n(x + 5)} {_n(y + 4)} v8"/>')
    if kind in {"sendTask", "receiveTask"}:
        fill, flap = (" filled", WHITE_STROKE) if kind == "sendTask" else ("", "")
        return (f'<rect class="marker{fill}" x="{_n(x)}" y="{_n(y)}" width="16" height="11"/>'
                f'<path class="marker" d="M{_n(x)} {_n(y)} L{_n(x + 8)} {_n(y + 6)} L{_n(x + 16)} {_n(y)}"{flap}/>')
    if kind == "manualTask":
        return f'<path class="marker" d="M{_n(x)} {_n(y + 6)} h14 v6 h-14 Z M{_n(x + 3)} {_n(y + 6)} v-4 h8 v4"/>'
    return ""


def _bottom_markers(shape: Shape) -> str:
    cx, base = shape.x + shape.w / 2, shape.y + shape.h - 16
    out = []
    if shape.kind in SUBPROCESSES | {"callActivity"} and not shape.expanded:
        out.append(f'<rect class="marker" x="{_n(cx - 7)}" y="{_n(base)}" width="14" height="14"/>'
                   f'<path class="marker" d="M{_n(cx - 4)} {_n(base + 7)} h8 M{_n(cx)} {_n(base + 3)} v8"/>')
    if "loop" in shape.markers:
        out.append(f'<path class="marker" d="M{_n(cx + 10)} {_n(base + 11)} a6 6 0 1 0 -6 0"/>')
    if "parallel" in shape.markers:
        out.append(f'<path class="marker" d="M{_n(cx - 5)} {_n(base)} v12 M{_n(cx)} {_n(base)} v12 '
                   f'M{_n(cx + 5)} {_n(base)} v12"/>')
    if "sequential" in shape.markers:
        out.append(f'<path class="marker" d="M{_n(cx - 6)} {_n(base + 1)} h12 M{_n(cx - 6)} {_n(base + 6)} h12 '
                   f'M{_n(cx - 6)} {_n(base + 11)} h12"/>')
    if shape.kind == "adHocSubProcess":
        out.append(f'<text x="{_n(cx)}" y="{_n(base + 10)}" text-anchor="middle">~</text>')
    return "".join(out)


def _shape_svg(shape: Shape, state: str | None) -> str:
    x, y, w, h = shape.x, shape.y, shape.w, shape.h
    classes = ["element", shape.kind]
    if shape.kind == "endEvent":
        classes.append("end")
    if shape.kind == "callActivity":
        classes.append("call")
    if state in STATES:
        classes.append(f"state-{state}")
    body: list[str] = [f"<title>{escape(shape.name or shape.id)}</title>"]
    label_below = False
    if shape.kind in {"participant", "lane"}:
        css = "pool" if shape.kind == "participant" else "lane"
        body.append(f'<rect class="{css}" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}"/>')
        if shape.horizontal:
            body.append(f'<path class="band" d="M{_n(x + BAND)} {_n(y)} v{_n(h)}"/>' if shape.kind == "participant"
                        else "")
            lines = _wrap(shape.name, max(h - 10, 20))
            cx, cy = x + BAND / 2, y + h / 2
            body.append(f'<g transform="rotate(-90 {_n(cx)} {_n(cy)})">'
                        f'{_text(lines, cx, cy - len(lines) * 7 - 3, css="title")}</g>')
        else:
            body.append(_text(_wrap(shape.name, w - 10), x + w / 2, y + 6, css="title"))
    elif shape.kind in EVENTS:
        r = min(w, h) / 2
        cx, cy = x + w / 2, y + h / 2
        dash = ' stroke-dasharray="5 3"' if "non-interrupting" in shape.markers else ""
        body.append(f'<circle class="shape" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}"{dash}/>')
        if shape.kind in {"intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}:
            body.append(f'<circle class="shape" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(max(r - 3, 1))}"{dash}/>')
        throwing = shape.kind in {"endEvent", "intermediateThrowEvent"}
        body.append(_event_marker(shape.markers, cx, cy, r, throwing))
        label_below = True
    elif shape.kind in GATEWAYS:
        cx, cy = x + w / 2, y + h / 2
        body.append(f'<polygon class="shape" points="{_n(cx)},{_n(y)} {_n(x + w)},{_n(cy)} {_n(cx)},{_n(y + h)} '
                    f'{_n(x)},{_n(cy)}"/>')
        s = min(w, h) * 0.22
        if shape.kind == "exclusiveGateway":
            body.append(f'<path class="marker" style="stroke-width:3" d="M{_n(cx - s)} {_n(cy - s)} '
                        f'L{_n(cx + s)} {_n(cy + s)} M{_n(cx + s)} {_n(cy - s)} L{_n(cx - s)} {_n(cy + s)}"/>')
        elif shape.kind == "parallelGateway":
            body.append(f'<path class="marker" style="stroke-width:3" d="M{_n(cx)} {_n(cy - s * 1.3)} '
                        f'v{_n(s * 2.6)} M{_n(cx - s * 1.3)} {_n(cy)} h{_n(s * 2.6)}"/>')
        elif shape.kind == "inclusiveGateway":
            body.append(f'<circle class="marker" style="stroke-width:2.5" cx="{_n(cx)}" cy="{_n(cy)}" '
                        f'r="{_n(s * 1.2)}"/>')
        elif shape.kind == "eventBasedGateway":
            body.append(f'<circle class="marker" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(s * 1.4)}"/>'
                        f'<circle class="marker" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(s * 1.1)}"/>')
        elif shape.kind == "complexGateway":
            body.append(f'<path class="marker" style="stroke-width:3" d="M{_n(cx)} {_n(cy - s * 1.3)} '
                        f'v{_n(s * 2.6)} M{_n(cx - s * 1.3)} {_n(cy)} h{_n(s * 2.6)} M{_n(cx - s)} {_n(cy - s)} '
                        f'L{_n(cx + s)} {_n(cy + s)} M{_n(cx + s)} {_n(cy - s)} L{_n(cx - s)} {_n(cy + s)}"/>')
        label_below = True
    elif shape.kind in TASKS or shape.kind in SUBPROCESSES:
        body.append(f'<rect class="shape" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="10"/>')
        if shape.kind == "transaction":
            body.append(f'<rect class="shape" style="fill:none" x="{_n(x + 3)}" y="{_n(y + 3)}" '
                        f'width="{_n(max(w - 6, 0))}" height="{_n(max(h - 6, 0))}" rx="8"/>')
        body.append(_task_marker(shape.kind, x, y))
        body.append(_bottom_markers(shape))
        if shape.kind in SUBPROCESSES and shape.expanded:
            body.append(_text(_wrap(shape.name, w - 20), x + 10, y + 4, anchor="start"))
        elif shape.label is None:
            offset = 8 if shape.kind != "task" else 0  # clear of the type marker in the corner
            body.append(_centred_text(shape.name, x, y + offset, w, h - offset))
    elif shape.kind in {"dataObjectReference", "dataObject", "dataInput", "dataOutput"}:
        fold = min(w, h) * 0.3
        body.append(f'<path class="shape" d="M{_n(x)} {_n(y)} h{_n(w - fold)} l{_n(fold)} {_n(fold)} '
                    f'v{_n(h - fold)} h{_n(-w)} Z"/>')
        label_below = True
    elif shape.kind == "dataStoreReference":
        ry = h * 0.12
        body.append(f'<path class="shape" d="M{_n(x)} {_n(y + ry)} a{_n(w / 2)} {_n(ry)} 0 0 1 {_n(w)} 0 '
                    f'v{_n(h - 2 * ry)} a{_n(w / 2)} {_n(ry)} 0 0 1 {_n(-w)} 0 Z"/>'
                    f'<path class="marker" d="M{_n(x)} {_n(y + ry)} a{_n(w / 2)} {_n(ry)} 0 0 0 {_n(w)} 0"/>')
        label_below = True
    elif shape.kind == "textAnnotation":
        body.append(f'<path class="marker" d="M{_n(x + 10)} {_n(y)} h-10 v{_n(h)} h10"/>')
        body.append(_text(_wrap(shape.name, w - 10), x + 6, y + 2, anchor="start"))
    elif shape.kind == "group":
        body.append(f'<rect class="group" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="10"/>')
    else:
        body.append(f'<rect class="shape" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}"/>')
        body.append(_centred_text(shape.name, x, y, w, h))
    if shape.label is not None and shape.kind not in {"participant", "lane", "textAnnotation"} and shape.name:
        lx, ly, lw, _lh = shape.label
        body.append(_text(_wrap(shape.name, max(lw, 60) + 10), lx + lw / 2, ly - 2))
    elif label_below and shape.name:
        body.append(_text(_wrap(shape.name, max(w * 3, 90)), x + w / 2, y + h + 4))
    return (f'<g class={_attr(" ".join(classes))} data-element-id={_attr(shape.id)}>' + "".join(body) + "</g>")


def _edge_svg(edge: Edge, state: str | None) -> str:
    points = " ".join(f"{_n(px)},{_n(py)}" for px, py in edge.points)
    css = {"messageFlow": "flow message-flow", "association": "flow association",
           "dataInputAssociation": "flow association", "dataOutputAssociation": "flow association"}.get(
        edge.kind, "flow")
    start, end = {
        "sequenceFlow": ("", ' marker-end="url(#arrow)"'),
        "messageFlow": (' marker-start="url(#message-start)"', ' marker-end="url(#open-arrow)"'),
        "dataInputAssociation": ("", ' marker-end="url(#open-arrow)"'),
        "dataOutputAssociation": ("", ' marker-end="url(#open-arrow)"'),
    }.get(edge.kind, ("", ""))
    classes = f"connection {edge.kind}" + (f" state-{state}" if state in STATES else "")
    parts = [f'<g class={_attr(classes)} data-element-id={_attr(edge.id)}>',
             f"<title>{escape(edge.name or edge.id)}</title>",
             f'<polyline class="{css}" points="{points}"{start}{end}/>']
    if edge.default:
        (x1, y1), (x2, y2) = edge.points[0], edge.points[1]
        length = math.hypot(x2 - x1, y2 - y1) or 1
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        mx, my = x1 + ux * 10, y1 + uy * 10
        parts.append(f'<path class="marker" d="M{_n(mx - 5 * uy - 3 * ux)} {_n(my + 5 * ux - 3 * uy)} '
                     f'L{_n(mx + 5 * uy + 3 * ux)} {_n(my - 5 * ux + 3 * uy)}"/>')
    if edge.name:
        if edge.label is not None:
            lx, ly, lw, _lh = edge.label
            parts.append(_text(_wrap(edge.name, max(lw, 60) + 10), lx + lw / 2, ly - 2))
        else:
            middle = len(edge.points) // 2
            (ax, ay), (bx, by) = edge.points[middle - 1], edge.points[middle]
            parts.append(_text(_wrap(edge.name, 90), (ax + bx) / 2 + 4, (ay + by) / 2 - 16, anchor="start"))
    parts.append("</g>")
    return "".join(parts)


DEFS = (
    '<defs>'
    '<marker id="arrow" viewBox="0 0 20 20" refX="11" refY="10" markerWidth="10" markerHeight="10" '
    'orient="auto"><path d="M 1 5 L 11 10 L 1 15 Z" style="fill:#22242a;stroke:#22242a"/></marker>'
    '<marker id="open-arrow" viewBox="0 0 20 20" refX="11" refY="10" markerWidth="10" markerHeight="10" '
    'orient="auto"><path d="M 1 5 L 11 10 L 1 15" style="fill:none;stroke:#22242a;stroke-width:1.5"/></marker>'
    '<marker id="message-start" viewBox="0 0 20 20" refX="6" refY="6" markerWidth="20" markerHeight="20" '
    'orient="auto"><circle cx="6" cy="6" r="3.5" style="fill:#fff;stroke:#22242a"/></marker>'
    '</defs>'
)


def _draw(drawing: Drawing, states: Mapping[str, str], title: str) -> str:
    xs: list[float] = []
    ys: list[float] = []
    for s in drawing.shapes:
        xs += [s.x, s.x + s.w]
        ys += [s.y, s.y + s.h + (30 if s.kind in EVENTS | GATEWAYS else 0)]
        if s.label:
            xs += [s.label[0], s.label[0] + s.label[2]]
            ys += [s.label[1], s.label[1] + s.label[3]]
    for e in drawing.edges:
        xs += [p[0] for p in e.points]
        ys += [p[1] for p in e.points]
        if e.label:
            xs += [e.label[0], e.label[0] + e.label[2]]
            ys += [e.label[1], e.label[1] + e.label[3]]
    if not xs:
        xs, ys = [0.0, 200.0], [0.0, 60.0]
    pad = 20.0
    min_x, min_y = min(xs) - pad, min(ys) - pad
    width, height = max(xs) - min_x + pad, max(ys) - min_y + pad
    containers = [s for s in drawing.shapes if s.kind in {"participant", "lane", "group"}
                  or (s.kind in SUBPROCESSES and s.expanded)]
    others = [s for s in drawing.shapes if s not in containers]
    body = [_shape_svg(s, states.get(s.id)) for s in containers]
    body += [_edge_svg(e, states.get(e.id)) for e in drawing.edges]
    body += [_shape_svg(s, states.get(s.id)) for s in others]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram" '
        f'viewBox="{_n(min_x)} {_n(min_y)} {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}">'
        f"<title>{escape(title)}</title><style>{STYLE}</style>{DEFS}"
        f'<rect x="{_n(min_x)}" y="{_n(min_y)}" width="{_n(width)}" height="{_n(height)}" style="fill:#fff"/>'
        + "".join(body) + "</svg>"
    )


def render(bpmn: bytes, process_key: str | None = None, states: Mapping[str, str] | None = None,
           locale: str | None = None, names: Mapping[str, str] | None = None) -> str:
    """The diagram of a BPMN document as SVG text.

    ``process_key`` picks the process (and the diagram plane showing it) when the document
    has several; ``states`` marks elements (``completed``, ``active``, ``failed``);
    ``locale`` shows the names the model translates (labels.py), ``names`` (id -> name)
    replaces others (a lane's group by its display name)."""
    states = dict(states or {})
    try:
        root = etree.fromstring(bpmn, parser=_PARSER)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        return _draw(Drawing(), {}, "not a BPMN document")
    index = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")
             and etree.QName(el).namespace == MODEL}
    process = _find_process(root, process_key)
    labels = {**translated_names(index.values(), locale), **(names or {})}
    title = (labels.get(process.get("id")) or process.get("name") or process.get("id") or "") \
        if process is not None else "diagram"
    plane = _pick_plane(root, process_key, index)
    if plane is not None:
        return _draw(_relabelled(_from_di(plane, index), labels), states, title)
    if process is None:
        return _draw(Drawing(), {}, title)
    return _draw(_relabelled(_auto_layout(process), labels), states, title)


def _relabelled(drawing: Drawing, labels: Mapping[str, str]) -> Drawing:
    for shape in drawing.shapes:
        shape.name = labels.get(shape.id, shape.name)
    return drawing
