"""What each of Flowdesk's overrides of SpiffWorkflow changes, shown with and without it.

Every test runs a small model on the runtime directly (no database), once as Flowdesk
runs it and once with the one override suspended, so that a SpiffWorkflow upgrade that
makes an override unnecessary, or breaks what it replaces, shows up here by name.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.runtime import ProcessRuntime, XmlDocument, overrides, parse_processes
from flowdesk.engine.runtime import clock as step_clock
from lxml import etree

from tests.support.models import HEADER


def runtime_of(key: str, body: str) -> ProcessRuntime:
    xml = HEADER + f'<bpmn:process id="{key}" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'
    parsed = parse_processes([XmlDocument(f"{key}.bpmn", etree.fromstring(xml.encode()))], [], [key])[key]
    return ProcessRuntime(parsed.spec, parsed.subprocess_specs)


def flow(id_: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{id_}" sourceRef="{source}" targetRef="{target}"/>'
    return (f'<bpmn:sequenceFlow id="{id_}" sourceRef="{source}" targetRef="{target}">'
            f'<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>')


# start -> count (script) -> more? -> count | end: each round adds two levels to the task tree
LOOP = f"""
    <bpmn:startEvent id="s"/>{flow("f1", "s", "count")}
    <bpmn:scriptTask id="count"><bpmn:script>done = done + 1</bpmn:script></bpmn:scriptTask>
    {flow("f2", "count", "more")}
    <bpmn:exclusiveGateway id="more" default="stop"/>
    {flow("again", "more", "count", "done &lt; rounds")}{flow("stop", "more", "e")}
    <bpmn:endEvent id="e"/>"""

# start -> wait (user task, with a boundary timer of one hour) -> end | late -> end
TIMER = f"""
    <bpmn:startEvent id="s"/>{flow("f1", "s", "wait")}
    <bpmn:userTask id="wait" name="Wait"/>{flow("f2", "wait", "e")}
    <bpmn:boundaryEvent id="late" attachedToRef="wait" cancelActivity="true">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>{flow("f3", "late", "e2")}
    <bpmn:endEvent id="e"/><bpmn:endEvent id="e2"/>"""


# A loop whose first element is a parallel split reached both from the start event and from
# the loop-back: "split" merges two flows, and waits for one token on each as BPMN says.
MERGING_SPLIT = f"""
    <bpmn:startEvent id="s"/>{flow("f0", "s", "split")}
    <bpmn:parallelGateway id="split"/>{flow("p1", "split", "a")}{flow("p2", "split", "b")}
    <bpmn:userTask id="a" name="A"/><bpmn:userTask id="b" name="B"/>
    {flow("p3", "a", "join")}{flow("p4", "b", "join")}
    <bpmn:parallelGateway id="join"/>{flow("f1", "join", "count")}
    <bpmn:scriptTask id="count"><bpmn:script>done = done + 1</bpmn:script></bpmn:scriptTask>
    {flow("f2", "count", "more")}
    <bpmn:exclusiveGateway id="more" default="stop"/>
    {flow("again", "more", "split", "done &lt; rounds")}{flow("stop", "more", "e")}
    <bpmn:endEvent id="e"/>"""


def test_every_override_is_installed_once_a_runtime_exists():
    runtime_of("loop", LOOP)
    assert overrides.installed()
    assert {o.name for o in overrides.OVERRIDES} == {
        "timer-clock", "task-iterator-depth", "bpmn-task-iterator-depth",
        "parallel-gateway-pruned-ancestry", "iterative-is-descendant-of", "multi-instance-body-scripts",
        "message-payload-merged", "cron-timer-cycles",
    }


def test_importing_the_runtime_changes_nothing_in_spiffworkflow():
    # Overrides are installed explicitly (ProcessEngine, ProcessRuntime), never by an import:
    # a process that only imports Flowdesk's runtime still runs plain SpiffWorkflow.
    probe = (
        "import datetime\n"
        "import flowdesk.engine.runtime as runtime\n"
        "from SpiffWorkflow.bpmn.specs.event_definitions import timer\n"
        "from SpiffWorkflow.util.task import TaskIterator\n"
        "assert not runtime.overrides.installed()\n"
        "assert timer.datetime is datetime.datetime\n"
        "assert 1000 in TaskIterator.__init__.__defaults__\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_an_unsupported_spiffworkflow_release_is_refused_at_start(monkeypatch):
    monkeypatch.setattr(overrides, "installed_version", lambda _name: "3.3.0")
    with pytest.raises(overrides.UnsupportedSpiffWorkflow, match=r"3\.3\.0.*3\.2\.x"):
        overrides.check_version()


def _fire_after_an_hour(runtime: ProcessRuntime) -> str | None:
    clock = FakeClock(datetime(2030, 1, 1, 9, 0, tzinfo=UTC))
    execution = runtime.start({}, clock)
    execution.run()
    clock.advance(hours=1, seconds=1)
    fired = execution.fire_due_timers()
    return fired[0] if fired else None


def test_timer_clock_makes_timers_follow_the_engines_clock():
    runtime = runtime_of("timer", TIMER)
    assert _fire_after_an_hour(runtime) == "late"
    with overrides.suspended("timer-clock"):
        # SpiffWorkflow's own timers read the wall clock: an hour of engine time is nothing,
        # and a timer set in 2030 is not due for years.
        assert _fire_after_an_hour(runtime) is None


def test_step_clock_is_what_spiffworkflows_timer_module_sees():
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    overrides.install()
    moment = datetime(2031, 5, 6, 7, 8, tzinfo=UTC)
    with step_clock.using(FakeClock(moment)):
        assert timer.datetime.now(UTC) == moment


def _deep_chain(levels: int):
    """A workflow whose task tree is one chain ``levels`` deep (what ~levels/2 rounds of a
    two-step loop leave behind before pruning), and the chain's last task."""
    from SpiffWorkflow.task import Task
    from SpiffWorkflow.util.task import TaskState

    workflow = runtime_of("loop", LOOP).start({"done": 0, "rounds": 1})._wf
    spec = workflow.spec.task_specs["count"]
    node = workflow.task_tree
    for _ in range(levels):
        node = Task(workflow, spec, parent=node, state=TaskState.COMPLETED)
    return workflow, node


def test_task_iterator_depth_lets_the_engine_see_tasks_below_level_1000():
    # A live task 1200 levels down (600 rounds of a loop within one step) was invisible to
    # SpiffWorkflow's iterators, and the instance looked completed with its data gone.
    from SpiffWorkflow.util.task import TaskIterator

    workflow, deepest = _deep_chain(1200)
    assert deepest in list(TaskIterator(workflow.task_tree))
    assert deepest in workflow.get_tasks()
    with overrides.suspended("task-iterator-depth"), overrides.suspended("bpmn-task-iterator-depth"):
        assert deepest not in list(TaskIterator(workflow.task_tree))
        assert deepest not in workflow.get_tasks()


def test_iterative_is_descendant_of_handles_trees_deeper_than_the_recursion_limit():
    workflow, deepest = _deep_chain(sys.getrecursionlimit() + 200)
    assert deepest.is_descendant_of(workflow.task_tree)
    with overrides.suspended("iterative-is-descendant-of"), pytest.raises(RecursionError):
        deepest.is_descendant_of(workflow.task_tree)


def _loop_through_a_merging_split(runtime: ProcessRuntime, rounds: int) -> tuple[str, int]:
    """Complete the user tasks one by one, storing and restoring the (pruned) state after
    every step as the engine does; return the status and rounds done when nothing is left."""
    execution = runtime.start({"done": 0, "rounds": rounds})
    execution.run()
    for _ in range(4 * rounds):
        execution = runtime.restore(execution.state())
        ready = execution.ready_human_task_ids()
        if not ready:
            break
        execution.complete_task(ready[0], {})
    return execution.status, execution.data()["done"]


def test_parallel_gateway_pruned_ancestry_lets_a_merging_split_fire_again_after_pruning():
    # The split's second token comes from the start event, which pruning has cut from the
    # tree by round 2; SpiffWorkflow's own check walks the tree for it and waits for ever.
    runtime = runtime_of("merging", MERGING_SPLIT)
    assert _loop_through_a_merging_split(runtime, 4) == ("completed", 4)
    with overrides.suspended("parallel-gateway-pruned-ancestry"):
        status, done = _loop_through_a_merging_split(runtime, 4)
    assert status == "running" and done < 4


# -- multi-instance body scripts --------------------------------------------------------------------
# The collection is computed by the body's own script (flowdesk:bodyPreScript), once, before
# the instances exist; each instance runs the activity's scripts.
BODY = f"""
    <bpmn:startEvent id="s"/>{flow("f1", "s", "each")}
    <bpmn:scriptTask id="each"><bpmn:extensionElements>
        <spiffworkflow:postScript>doubled = item * 2</spiffworkflow:postScript></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true" spiffworkflow:scriptsOnInstances="true">
        <bpmn:extensionElements><flowdesk:bodyPreScript>items = [1, 2, 3]</flowdesk:bodyPreScript>
        </bpmn:extensionElements>
        <bpmn:loopDataInputRef>items</bpmn:loopDataInputRef><bpmn:loopDataOutputRef>out</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="item"/><bpmn:outputDataItem id="doubled"/>
      </bpmn:multiInstanceLoopCharacteristics>
      <bpmn:script>pass</bpmn:script></bpmn:scriptTask>
    {flow("f2", "each", "e")}<bpmn:endEvent id="e"/>"""


def _namespaced(body: str) -> str:
    return body.replace("<bpmn:startEvent", '<bpmn:startEvent xmlns:flowdesk="urn:flowdesk:bpmn:1.0"', 1)


def test_multi_instance_body_scripts_compute_the_collection_before_the_instances():
    body = BODY.replace("<bpmn:multiInstanceLoopCharacteristics",
                        '<bpmn:multiInstanceLoopCharacteristics xmlns:flowdesk="urn:flowdesk:bpmn:1.0"')
    execution = runtime_of("body", body).start({"out": []})
    execution.run()
    assert execution.status == "completed" and execution.data()["out"] == [2, 4, 6]
    with overrides.suspended("multi-instance-body-scripts"):
        # the body's script is read by the parser: a spec parsed without it has no collection
        execution = runtime_of("body", body).start({"out": []})
        execution.run()
        assert execution.status == "failed"


# -- message payloads ---------------------------------------------------------------------------
WAIT = f"""
    <bpmn:startEvent id="s"/>{flow("f1", "s", "wait")}
    <bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
    {flow("f2", "wait", "e")}<bpmn:endEvent id="e"/>"""


def _paid(runtime: ProcessRuntime) -> dict:
    execution = runtime.start({})
    execution.run()
    assert execution.deliver_message("paid", {"amount": 7}, {})
    return execution.data()


def test_message_payload_merged_puts_the_message_variables_into_the_instance():
    xml = (HEADER + '<bpmn:message id="m" name="paid"/><bpmn:process id="pay" isExecutable="true">'
           + WAIT + "</bpmn:process></bpmn:definitions>")
    parsed = parse_processes([XmlDocument("pay.bpmn", etree.fromstring(xml.encode()))], [], ["pay"])["pay"]
    runtime = ProcessRuntime(parsed.spec, parsed.subprocess_specs)
    assert _paid(runtime) == {"amount": 7}
    with overrides.suspended("message-payload-merged"):
        assert _paid(runtime) == {}


# -- cron timer cycles --------------------------------------------------------------------------
CRON = f"""
    <bpmn:startEvent id="s"/>{flow("f1", "s", "work")}
    <bpmn:userTask id="work" name="Work"/>{flow("f2", "work", "e")}<bpmn:endEvent id="e"/>
    <bpmn:boundaryEvent id="remind" attachedToRef="work" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeCycle>"0 0 9 * * ?"</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>{flow("f3", "remind", "e2")}<bpmn:endEvent id="e2"/>"""


def test_cron_timer_cycles_fire_on_their_schedule():
    runtime = runtime_of("cron", CRON)
    clock = FakeClock(datetime(2030, 1, 1, 8, 0, tzinfo=UTC))
    execution = runtime.start({}, clock)
    execution.run()
    (wait,) = execution.waiting_timers()
    assert wait.due_at == datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    clock.advance(hours=1, seconds=1)
    assert execution.fire_due_timers() == ["remind"]
    (wait,) = execution.waiting_timers()
    assert wait.due_at == datetime(2030, 1, 2, 9, 0, tzinfo=UTC)  # the next day at nine
    with overrides.suspended("cron-timer-cycles"):
        execution = runtime.start({}, clock)
        execution.run()
        assert execution.status == "failed"  # SpiffWorkflow reads ISO 8601 intervals only
