"""A validated process model as BPMN 2.0 XML that SpiffWorkflow runs and modelers open.

The output is plain BPMN plus the Spiff extensions Flowdesk reads (README "Modelling
conventions"): lanes named after groups, ``spiffworkflow:property`` for forms, candidate
groups, assignee, due date, priority and separation of duties,
``spiffworkflow:calledDecisionId`` for decisions, ``spiffworkflow:serviceTaskOperator``
for connectors, and SpiffWorkflow's message extensions (``messagePayload``,
``messageVariable``, ``processVariableCorrelation``) next to standard correlation keys
and properties. It validates against the BPMN 2.0 XSD and carries a diagram (BPMNDI)
from `layout`, so the same file serves the engine, the diagram view and export.

Two choices keep run-time behaviour equal to what the YAML says:

- An exclusive gateway takes the first branch, in YAML order, whose condition holds.
  SpiffWorkflow tries outgoing flows in the order of their targets' height in the
  diagram, so from the second conditional branch on each condition is compiled with the
  earlier ones negated: ``not (a) and (b)``. The order of the drawing cannot change
  which branch is taken.
- Timer literals are written as bare ISO 8601 text, as the standard and other tools
  expect; the deployment translates them for SpiffWorkflow like any BPMN timer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lxml import etree

from ...diagrams.layout import Attached, Diagram, Edge, Node, layout
from ...forms import task_rules
from .. import summary as summaries
from ..model import DOCUMENTATION_I18N, NAME_I18N, OUTCOME
from .flows import Flow, derive_flows
from .model import ANY_ERROR, STARTER_NAMES, Boundary, ForEach, ProcessModel, Step, Timer
from .naming import IdAllocator

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "spiffworkflow": SPIFF, "xsi": XSI}
TARGET_NAMESPACE = "https://flowdesk.dev/processes"

_TAGS = {
    "user": "userTask", "script": "scriptTask", "service": "serviceTask", "decide": "businessRuleTask",
    "call": "callActivity", "send": "intermediateThrowEvent", "receive": "intermediateCatchEvent",
    "wait": "intermediateCatchEvent", "exclusive": "exclusiveGateway", "inclusive": "inclusiveGateway",
    "parallel": "parallelGateway", "end": "endEvent",
}
_SHAPES = {"user": "task", "script": "task", "service": "task", "decide": "task", "call": "task",
           "exclusive": "gateway", "inclusive": "gateway", "parallel": "gateway"}


def _b(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def _s(tag: str) -> str:
    return f"{{{SPIFF}}}{tag}"


@dataclass(frozen=True)
class CompiledBpmn:
    """BPMN XML and, for every element id in it, the YAML line it came from."""

    content: bytes
    element_lines: dict[str, int]
    diagram: Diagram


def compile_process(model: ProcessModel) -> CompiledBpmn:
    """Compile a model that has passed validation (see module doc)."""
    return _Writer(model).write()


class _Writer:
    def __init__(self, model: ProcessModel) -> None:
        self.model = model
        self.flows = derive_flows(model)
        self.lines: dict[str, int] = {}
        taken = [model.key, model.start.id, *(s.id for s in model.steps), *(b.id for b in model.boundaries())]
        taken += [s.for_each.item for s in model.steps if s.for_each]
        taken += [s.for_each.collect for s in model.steps if s.for_each and s.for_each.collect]
        taken += [p.name for m in model.messages.values() for p in m.correlation]
        self.ids = IdAllocator(taken)
        self.flow_ids = [self.ids.allocate(f"flow_{f.source}_{f.target}") for f in self.flows]
        self.incoming: dict[str, list[str]] = {}
        self.outgoing: dict[str, list[str]] = {}
        for flow, flow_id in zip(self.flows, self.flow_ids, strict=True):
            self.outgoing.setdefault(flow.source, []).append(flow_id)
            self.incoming.setdefault(flow.target, []).append(flow_id)
        self.message_ids = {name: self.ids.allocate(f"message_{name}") for name in model.messages}
        codes = sorted({s.error for s in model.steps if s.error}
                       | {b.error for b in model.boundaries() if b.error and b.error != ANY_ERROR})
        self.error_ids = {code: self.ids.allocate(f"error_{code}") for code in codes}

    def line(self, element_id: str, line: int) -> str:
        self.lines[element_id] = line
        return element_id

    # -- document --------------------------------------------------------------------------------
    def write(self) -> CompiledBpmn:
        model = self.model
        root = etree.Element(_b("definitions"), nsmap=NSMAP)
        root.set("id", self.line(self.ids.allocate(f"{model.key}_definitions"), model.line))
        root.set("targetNamespace", TARGET_NAMESPACE)
        root.set("exporter", "Flowdesk YAML compiler")
        collaboration_id = self.line(self.ids.allocate(f"{model.key}_collaboration"), model.line)
        pool_id = self.line(self.ids.allocate(f"{model.key}_pool"), model.line)
        collaboration = etree.SubElement(root, _b("collaboration"), id=collaboration_id)
        etree.SubElement(collaboration, _b("participant"), id=pool_id, name=model.title, processRef=model.key)
        self.correlation_keys(collaboration)
        self.messages(root)
        self.errors(root)
        self.correlation_properties(root)
        process = etree.SubElement(root, _b("process"), id=self.line(model.key, model.line), name=model.title,
                                   isExecutable="true")
        self.documentation(process, model.documentation)
        self.translations(process, model.name_i18n, model.documentation_i18n)
        self.properties(process, {"supervisingGroups": ",".join(model.supervisors) or None})
        lane_ids = self.lanes(process)
        self.start(process)
        for step in model.steps:
            self.step(process, step)
            for boundary in step.boundaries:
                self.boundary(process, step, boundary)
        for flow, flow_id in zip(self.flows, self.flow_ids, strict=True):
            self.sequence_flow(process, flow, flow_id)
        diagram = self.diagram(root, collaboration_id, pool_id, lane_ids)
        content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        return CompiledBpmn(content, dict(self.lines), diagram)

    def documentation(self, parent: etree._Element, text: str | None) -> None:
        if text:
            etree.SubElement(parent, _b("documentation")).text = text.strip()

    def translations(self, parent: etree._Element, names: dict[str, str], documentation: dict[str, str]) -> None:
        """Translated titles and descriptions, as JSON-valued properties that inspection reads."""
        def encoded(texts: dict[str, str]) -> str | None:
            return json.dumps(texts, ensure_ascii=False, sort_keys=True) if texts else None

        self.properties(parent, {NAME_I18N: encoded(names), DOCUMENTATION_I18N: encoded(documentation)})

    @staticmethod
    def rules(rules: tuple) -> str | None:
        """Validation rules as the JSON list inspection reads (``validationRules``)."""
        return json.dumps([rule for rule, _line in rules], ensure_ascii=False) if rules else None

    def extensions(self, parent: etree._Element) -> etree._Element:
        found = parent.find(_b("extensionElements"))
        return found if found is not None else etree.SubElement(parent, _b("extensionElements"))

    def properties(self, parent: etree._Element, values: dict[str, str | None]) -> None:
        present = {k: v for k, v in values.items() if v}
        if not present:
            return
        extensions = self.extensions(parent)
        container = extensions.find(_s("properties"))
        if container is None:
            container = etree.SubElement(extensions, _s("properties"))
        for name, value in present.items():
            etree.SubElement(container, _s("property"), name=name, value=value)

    def connections(self, element: etree._Element, element_id: str) -> None:
        for flow_id in self.incoming.get(element_id, []):
            etree.SubElement(element, _b("incoming")).text = flow_id
        for flow_id in self.outgoing.get(element_id, []):
            etree.SubElement(element, _b("outgoing")).text = flow_id

    # -- root elements ---------------------------------------------------------------------------
    def messages(self, root: etree._Element) -> None:
        for name, message in self.model.messages.items():
            etree.SubElement(root, _b("message"), id=self.line(self.message_ids[name], message.line), name=name)

    def errors(self, root: etree._Element) -> None:
        for code, error_id in self.error_ids.items():
            etree.SubElement(root, _b("error"), id=self.line(error_id, self.model.line), name=code, errorCode=code)

    def correlation_keys(self, collaboration: etree._Element) -> None:
        """One correlation key per correlated message, named after it."""
        for name, message in self.model.messages.items():
            if not message.correlation:
                continue
            key = etree.SubElement(collaboration, _b("correlationKey"), name=name)
            for prop in message.correlation:
                etree.SubElement(key, _b("correlationPropertyRef")).text = prop.name

    def correlation_properties(self, root: etree._Element) -> None:
        properties: dict[str, list[tuple[str, str, int]]] = {}
        for name, message in self.model.messages.items():
            for prop in message.correlation:
                properties.setdefault(prop.name, []).append((name, prop.payload, prop.line))
        for prop_name, uses in properties.items():
            element = etree.SubElement(root, _b("correlationProperty"), id=self.line(prop_name, uses[0][2]),
                                       name=prop_name)
            for message_name, expression, _line in uses:
                retrieval = etree.SubElement(element, _b("correlationPropertyRetrievalExpression"),
                                             messageRef=self.message_ids[message_name])
                etree.SubElement(retrieval, _b("messagePath")).text = expression

    # -- process ---------------------------------------------------------------------------------
    def lanes(self, process: etree._Element) -> dict[str, str]:
        if not self.model.lanes:
            return {}
        members: dict[str, list[str]] = {lane: [] for lane in self.model.lanes}
        members.setdefault(self.model.start.lane or next(iter(members)), []).append(self.model.start.id)
        for step in self.model.steps:
            lane = step.lane or next(iter(members))
            members[lane].append(step.id)
            members[lane].extend(b.id for b in step.boundaries)
        lane_set = etree.SubElement(process, _b("laneSet"),
                                    id=self.line(self.ids.allocate(f"{self.model.key}_lanes"), self.model.line))
        lane_ids = {}
        for lane_id, lane in self.model.lanes.items():
            element_id = self.line(self.ids.allocate(f"lane_{lane_id}"), lane.line)
            lane_ids[lane_id] = element_id
            element = etree.SubElement(lane_set, _b("lane"), id=element_id, name=lane.group)
            for node_id in members[lane_id]:
                etree.SubElement(element, _b("flowNodeRef")).text = node_id
        return lane_ids

    def start(self, process: etree._Element) -> None:
        start = self.model.start
        element = etree.SubElement(process, _b("startEvent"), id=self.line(start.id, start.line))
        if start.name:
            element.set("name", start.name)
        self.documentation(element, start.documentation)
        self.properties(element, {"formJsonSchemaFilename": start.form,
                                  task_rules.PROPERTY: self.rules(start.validate)})
        self.translations(element, dict(start.name_i18n), dict(start.documentation_i18n))
        self.connections(element, start.id)
        if start.message:
            definition = self.message_definition(element, start.id, start.message, start.line)
            variable = start.variable or start.message
            etree.SubElement(self.extensions(definition), _s("messageVariable")).text = variable
        elif start.timer is not None:
            self.timer_definition(element, start.id, start.timer)

    def step(self, process: etree._Element, step: Step) -> None:
        element = etree.SubElement(process, _b(_TAGS[step.kind]), id=self.line(step.id, step.line), name=step.title)
        self.documentation(element, step.documentation)
        if step.kind == "user":
            separate = ", ".join("@starter" if s in STARTER_NAMES else s for s in step.separate_from)
            self.properties(element, {
                "formJsonSchemaFilename": step.form, "candidateGroups": ", ".join(step.groups),
                "assignee": step.assignee, "dueDate": step.due, "priority": step.priority,
                "separateFrom": separate, task_rules.PROPERTY: self.rules(step.validate),
                summaries.PROPERTY: summaries.encode(summaries.merged(list(self.model.summary), list(step.summary))),
            })
        self.translations(element, step.name_i18n, step.documentation_i18n)
        if step.kind == "service":
            operator = etree.SubElement(self.extensions(element), _s("serviceTaskOperator"), id=step.connector or "")
            if step.result:
                operator.set("resultVariable", step.result)
            parameters = etree.SubElement(operator, _s("parameters"))
            for parameter in step.parameters:
                etree.SubElement(parameters, _s("parameter"), id=parameter.name, type=parameter.type,
                                 value=parameter.value)
        elif step.kind == "decide":
            etree.SubElement(self.extensions(element), _s("calledDecisionId")).text = step.table
        elif step.kind == "end" and step.outcome:
            self.properties(element, {OUTCOME: step.outcome})
        elif step.kind == "call":
            element.set("calledElement", step.process or "")
        elif step.kind in ("exclusive", "inclusive") and step.default is not None:
            default_index = next(i for i, f in enumerate(self.flows) if f.source == step.id and f.default)
            element.set("default", self.flow_ids[default_index])
        self.connections(element, step.id)
        if step.for_each is not None:
            self.for_each(element, step.for_each)
        if step.kind == "script":
            script = etree.SubElement(element, _b("script"))
            script.text = step.code
        elif step.kind == "send" and step.message:
            definition = self.message_definition(element, step.id, step.message, step.line)
            if step.payload:
                etree.SubElement(self.extensions(definition), _s("messagePayload")).text = step.payload
        elif step.kind == "receive" and step.message:
            self.receive_definition(element, step.id, step.message, step.variable, step.line)
        elif step.kind == "wait" and step.timer is not None:
            self.timer_definition(element, step.id, step.timer)
        elif step.kind == "end" and step.error:
            etree.SubElement(element, _b("errorEventDefinition"),
                             id=self.line(self.ids.allocate(f"{step.id}_error_definition"), step.line),
                             errorRef=self.error_ids[step.error])

    def for_each(self, element: etree._Element, each: ForEach) -> None:
        loop = etree.SubElement(element, _b("multiInstanceLoopCharacteristics"),
                                isSequential="true" if each.sequential else "false")
        etree.SubElement(loop, _b("loopDataInputRef")).text = each.items
        if each.into:
            etree.SubElement(loop, _b("loopDataOutputRef")).text = each.into
        etree.SubElement(loop, _b("inputDataItem"), id=self.line(each.item, each.line), name=each.item)
        if each.collect:
            etree.SubElement(loop, _b("outputDataItem"), id=self.line(each.collect, each.line), name=each.collect)
        if each.until:
            condition = etree.SubElement(loop, _b("completionCondition"))
            condition.set(f"{{{XSI}}}type", "bpmn:tFormalExpression")
            condition.text = each.until

    def boundary(self, process: etree._Element, step: Step, boundary: Boundary) -> None:
        element = etree.SubElement(process, _b("boundaryEvent"), id=self.line(boundary.id, boundary.line),
                                   attachedToRef=step.id, cancelActivity="true" if boundary.interrupting else "false")
        if boundary.name:
            element.set("name", boundary.name)
        self.translations(element, dict(boundary.name_i18n), {})
        self.connections(element, boundary.id)
        if boundary.kind == "timer" and boundary.timer is not None:
            self.timer_definition(element, boundary.id, boundary.timer)
        elif boundary.kind == "error":
            definition = etree.SubElement(
                element, _b("errorEventDefinition"),
                id=self.line(self.ids.allocate(f"{boundary.id}_definition"), boundary.line))
            if boundary.error and boundary.error != ANY_ERROR:
                definition.set("errorRef", self.error_ids[boundary.error])
        elif boundary.kind == "message" and boundary.message:
            self.receive_definition(element, boundary.id, boundary.message, boundary.variable, boundary.line)

    def message_definition(self, element: etree._Element, owner: str, message: str, line: int) -> etree._Element:
        return etree.SubElement(element, _b("messageEventDefinition"),
                                id=self.line(self.ids.allocate(f"{owner}_definition"), line),
                                messageRef=self.message_ids[message])

    def receive_definition(self, element: etree._Element, owner: str, message: str, variable: str | None,
                           line: int) -> None:
        """A message catch: where the payload goes, and how this instance's correlation
        values are read from its own data (so only its messages are caught)."""
        definition = self.message_definition(element, owner, message, line)
        extensions = self.extensions(definition)
        etree.SubElement(extensions, _s("messageVariable")).text = variable or message
        for prop in self.model.messages[message].correlation:
            correlation = etree.SubElement(extensions, _s("processVariableCorrelation"))
            etree.SubElement(correlation, _s("propertyId")).text = prop.name
            etree.SubElement(correlation, _s("expression")).text = prop.process

    def timer_definition(self, element: etree._Element, owner: str, timer: Timer) -> None:
        definition = etree.SubElement(element, _b("timerEventDefinition"),
                                      id=self.line(self.ids.allocate(f"{owner}_definition"), timer.line))
        tag = {"duration": "timeDuration", "date": "timeDate", "cycle": "timeCycle"}[timer.kind]
        value = etree.SubElement(definition, _b(tag))
        value.set(f"{{{XSI}}}type", "bpmn:tFormalExpression")
        value.text = timer.value

    def sequence_flow(self, process: etree._Element, flow: Flow, flow_id: str) -> None:
        element = etree.SubElement(process, _b("sequenceFlow"), id=self.line(flow_id, flow.line),
                                   sourceRef=flow.source, targetRef=flow.target)
        if flow.name:
            element.set("name", flow.name)
        condition = self.condition(flow)
        if condition is not None:
            expression = etree.SubElement(element, _b("conditionExpression"))
            expression.set(f"{{{XSI}}}type", "bpmn:tFormalExpression")
            expression.text = condition

    def condition(self, flow: Flow) -> str | None:
        """The flow's condition; for an exclusive gateway, guarded by the branches before it."""
        if flow.condition is None:
            return None
        gateway = self.model.step(flow.source)
        if gateway is None or gateway.kind != "exclusive":
            return flow.condition
        earlier = []
        for branch in gateway.branches:
            if branch.condition == flow.condition and branch.target == flow.target:
                break
            if branch.condition is not None:
                earlier.append(branch.condition)
        if not earlier:
            return flow.condition
        return " and ".join([*(f"not ({c.strip()})" for c in earlier), f"({flow.condition.strip()})"])

    # -- diagram ---------------------------------------------------------------------------------
    def diagram(self, root: etree._Element, collaboration_id: str, pool_id: str,
                lane_ids: dict[str, str]) -> Diagram:
        model = self.model
        nodes = [Node(model.start.id, "event", model.start.lane)]
        nodes += [Node(s.id, _SHAPES.get(s.kind, "event"), s.lane) for s in model.steps]
        attached = [Attached(b.id, b.host) for b in model.boundaries()]
        edges = [Edge(flow_id, f.source, f.target) for f, flow_id in zip(self.flows, self.flow_ids, strict=True)]
        drawing = layout(nodes, edges, attached, list(model.lanes))
        bpmn_diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram",
                                        id=self.ids.allocate(f"{model.key}_diagram"))
        plane = etree.SubElement(bpmn_diagram, f"{{{BPMNDI}}}BPMNPlane", id=self.ids.allocate(f"{model.key}_plane"),
                                 bpmnElement=collaboration_id)
        self.shape(plane, pool_id, drawing.pool, horizontal=True)
        for lane_id, rect in drawing.lanes.items():
            self.shape(plane, lane_ids[lane_id], rect, horizontal=True)
        for element_id, rect in drawing.shapes.items():
            step = model.step(element_id)
            self.shape(plane, element_id, rect, marker=step is not None and step.kind == "exclusive")
        for flow_id, points in drawing.edges.items():
            edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=self.ids.allocate(f"{flow_id}_di"),
                                    bpmnElement=flow_id)
            for x, y in points:
                etree.SubElement(edge, f"{{{DI}}}waypoint", x=str(x), y=str(y))
        return drawing

    def shape(self, plane: etree._Element, element_id: str, rect, horizontal: bool = False,
              marker: bool = False) -> None:
        shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", id=self.ids.allocate(f"{element_id}_di"),
                                 bpmnElement=element_id)
        if horizontal:
            shape.set("isHorizontal", "true")
        if marker:
            shape.set("isMarkerVisible", "true")
        etree.SubElement(shape, f"{{{DC}}}Bounds", x=str(rect.x), y=str(rect.y), width=str(rect.width),
                         height=str(rect.height))
