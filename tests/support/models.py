"""Small BPMN documents built in code, so each test shows the model it runs."""

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


# -- looping models: by the time the interesting part (a join, a multi-instance, a timer, a call
# activity) runs, the finished history above it has been pruned from the stored state ---------
LANE = '<bpmn:laneSet id="ls"><bpmn:lane id="l" name="clerks">{refs}</bpmn:lane></bpmn:laneSet>'


def process(key: str, body: str, refs: tuple[str, ...]) -> SourceFile:
    lanes = LANE.format(refs="".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs))
    xml = HEADER + f'<bpmn:process id="{key}" isExecutable="true">{lanes}{body}</bpmn:process></bpmn:definitions>'
    return SourceFile(f"{key}.bpmn", xml.encode())


def flow(id_: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{id_}" sourceRef="{source}" targetRef="{target}"/>'
    return (f'<bpmn:sequenceFlow id="{id_}" sourceRef="{source}" targetRef="{target}">'
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
            '</bpmn:sequenceFlow>')


# work (user) -> count (script) -> more? -> work | end
def loop_around(inner: str, first: str, last: str, refs: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    body = f"""
    <bpmn:startEvent id="s"/>
    {flow("f0", "s", first)}
    {inner}
    {flow("f8", last, "count")}
    <bpmn:scriptTask id="count"><bpmn:script>done = done + 1</bpmn:script></bpmn:scriptTask>
    {flow("f9", "count", "more")}
    <bpmn:exclusiveGateway id="more" default="stop"/>
    {flow("again", "more", first, "done &lt; rounds")}
    {flow("stop", "more", "e")}
    <bpmn:endEvent id="e"/>
    """
    return body, ("s", "count", "more", "e", *refs)


LOOP = process("loop", *loop_around('<bpmn:userTask id="work" name="Work"/>', "work", "work", ("work",)))

PARALLEL = process("parallel", *loop_around(f"""
    <bpmn:parallelGateway id="split"/>
    {flow("p1", "split", "a")}{flow("p2", "split", "b")}{flow("p3", "split", "c")}
    <bpmn:userTask id="a" name="A"/><bpmn:userTask id="b" name="B"/><bpmn:scriptTask id="c"><bpmn:script>c_ran = done</bpmn:script></bpmn:scriptTask>
    {flow("p4", "a", "join")}{flow("p5", "b", "join")}{flow("p6", "c", "join")}
    <bpmn:parallelGateway id="join"/>
    """, "split", "join", ("split", "a", "b", "c", "join")))

INCLUSIVE = process("inclusive", *loop_around(f"""
    <bpmn:inclusiveGateway id="split" default="i3"/>
    {flow("i1", "split", "a", "done % 2 == 0")}{flow("i2", "split", "b", "done % 3 == 0")}{flow("i3", "split", "c")}
    <bpmn:userTask id="a" name="A"/><bpmn:userTask id="b" name="B"/><bpmn:userTask id="c" name="C"/>
    {flow("i4", "a", "join")}{flow("i5", "b", "join")}{flow("i6", "c", "join")}
    <bpmn:inclusiveGateway id="join"/>
    """, "split", "join", ("split", "a", "b", "c", "join")))

MI = """
    <bpmn:scriptTask id="reset"><bpmn:script>results = []</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="m1" sourceRef="reset" targetRef="item"/>
    <bpmn:userTask id="item" name="Item">
      <bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}">
        <bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>
        <bpmn:loopDataOutputRef>results</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="thing" name="thing"/>
        <bpmn:outputDataItem id="answer" name="answer"/>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    """
MULTI = process("multi", *loop_around(MI.format(sequential="false"), "reset", "item", ("reset", "item")))
SEQUENTIAL = process("multi", *loop_around(MI.format(sequential="true"), "reset", "item", ("reset", "item")))

TIMER = process("timer", *loop_around(f"""
    <bpmn:userTask id="work" name="Work"/>
    <bpmn:boundaryEvent id="late" attachedToRef="work" cancelActivity="true">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    {flow("t1", "late", "escalate")}
    <bpmn:scriptTask id="escalate"><bpmn:script>escalated = escalated + 1</bpmn:script></bpmn:scriptTask>
    {flow("t2", "escalate", "merge")}{flow("t3", "work", "merge")}
    <bpmn:exclusiveGateway id="merge"/>
    """, "work", "merge", ("work", "late", "escalate", "merge")))

CALLER = process("caller", *loop_around('<bpmn:callActivity id="call" calledElement="callee"/>', "call", "call",
                                        ("call",)))
CALLEE = process("callee", f"""
    <bpmn:startEvent id="cs"/>{flow("c1", "cs", "inner")}
    <bpmn:userTask id="inner" name="Inner"/>{flow("c2", "inner", "mark")}
    <bpmn:scriptTask id="mark"><bpmn:script>called = called + 1</bpmn:script></bpmn:scriptTask>{flow("c3", "mark", "ce")}
    <bpmn:endEvent id="ce"/>""", ("cs", "inner", "mark", "ce"))
