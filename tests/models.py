"""Small BPMN documents built in tests, so each test shows the model it runs."""

from __future__ import annotations

from xml.sax.saxutils import escape

from flowdesk.engine.definitions.sources import SourceFile

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="https://flowdesk.dev/tests">\n'
)


def _props(**props: str) -> str:
    if not props:
        return ""
    inner = "".join(f'<spiffworkflow:property name="{k}" value="{escape(v, {chr(34): "&quot;"})}"/>'
                    for k, v in props.items())
    return f"<bpmn:extensionElements><spiffworkflow:properties>{inner}</spiffworkflow:properties></bpmn:extensionElements>"


def one_task_process(key: str = "one_task", lane: str = "clerks", form: str | None = None,
                     script: str = "result = 'done'", name: str = "One task", **task_props: str) -> SourceFile:
    """start -> user task (in ``lane``) -> script -> end."""
    props = dict(task_props)
    if form:
        props["formJsonSchemaFilename"] = form
    xml = HEADER + f"""
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane" name="{lane}">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>work</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>after</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:userTask id="work" name="Do the work">{_props(**props)}<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="after"/>
    <bpmn:scriptTask id="after" name="After"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    return SourceFile(f"{key}.bpmn", xml.encode())


def script_process(key: str, script: str) -> SourceFile:
    """start -> script -> end: the script runs as soon as the instance starts."""
    xml = HEADER + f"""
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="run"/>
    <bpmn:scriptTask id="run" name="Run"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="run" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    return SourceFile(f"{key}.bpmn", xml.encode())


def form_file(name: str, schema: str) -> SourceFile:
    return SourceFile(f"{name}.yaml", schema.encode())


AMOUNT_FORM = """
type: object
required: [amount]
additionalProperties: false
properties:
  amount: {type: number, minimum: 0}
  note: {type: string}
"""
