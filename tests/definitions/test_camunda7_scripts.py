"""Camunda 7 scripts in Groovy, JavaScript or JUEL that only read, compute and store
variables run as sandbox Python; anything more stays refused with its line."""

from __future__ import annotations

import pytest
from flowdesk.engine.definitions.dialects.scripts import NotTranslatable, translate_script
from flowdesk.engine.errors import DefinitionInvalid

from tests.support.dialects import Driver, bpmn, chain


@pytest.fixture
def run(engine, clock) -> Driver:
    return Driver(engine, clock)


def test_groovy_script_reading_and_storing_variables_runs_and_keeps_its_locals_to_itself(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "add", "t", "e")}
      <bpmn:scriptTask id="add" scriptFormat="groovy"><bpmn:script><![CDATA[
        // add the counter to the running sum
        def instance = execution.getProcessInstance()
        def int total = instance.getVariable("sum")
        println "adding " + step
        instance.setVariable("sum", total + step)
      ]]></bpmn:script></bpmn:scriptTask>
      <bpmn:userTask id="t"/>
      <bpmn:endEvent id="e"/>"""
    result = run.deploy(bpmn("add.bpmn", body))
    assert any("groovy script is read as Python" in w.message and "log lines are dropped" in w.message
               for w in result.warnings)
    instance = run.start(data={"sum": 10, "step": 5})
    assert run.instance(instance["id"])["data"] == {"sum": 15, "step": 5}


def test_javascript_listener_and_juel_script_with_a_result_variable(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "grade", "t", "e")}
      <bpmn:scriptTask id="grade" scriptFormat="juel" camunda:resultVariable="passed">
        <bpmn:script>#{{score >= 50}}</bpmn:script></bpmn:scriptTask>
      <bpmn:userTask id="t"><bpmn:extensionElements><camunda:taskListener event="create">
        <camunda:script scriptFormat="javascript">var label = passed ? "pass" : "fail"; task.setVariable("label", label);</camunda:script>
      </camunda:taskListener></bpmn:extensionElements></bpmn:userTask>
      <bpmn:endEvent id="e"/>"""
    run.deploy(bpmn("grade.bpmn", body))
    instance = run.start(data={"score": 70})
    assert run.complete(instance["id"], "t")["data"] == {"score": 70, "passed": True, "label": "pass"}


def test_an_empty_groovy_script_passes_through(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "noop", "e")}
      <bpmn:scriptTask id="noop" scriptFormat="groovy"><bpmn:script></bpmn:script></bpmn:scriptTask>
      <bpmn:endEvent id="e"/>"""
    run.deploy(bpmn("noop.bpmn", body))
    assert run.start()["status"] == "completed"


@pytest.mark.parametrize("script", [
    "for (i in 1..3) { x = i }",
    "x = new Date()",
    "execution.removeVariable('x')",
    "def f = { a -> a * 2 }",
])
def test_scripts_beyond_reading_computing_and_storing_are_not_guessed_at(script):
    with pytest.raises(NotTranslatable):
        translate_script(script, "groovy")


def test_a_groovy_script_doing_more_is_refused_with_its_line(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "calc", "e")}
      <bpmn:scriptTask id="calc" scriptFormat="groovy"><bpmn:script>x = new Date()</bpmn:script></bpmn:scriptTask>
      <bpmn:endEvent id="e"/>"""
    with pytest.raises(DefinitionInvalid) as err:
        run.deploy(bpmn("calc.bpmn", body))
    (problem,) = err.value.problems
    assert problem.line and "script task 'calc' is written in 'groovy'" in problem.message


def test_a_mapping_parameter_given_as_a_one_expression_javascript_script(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "t", "e")}
      <bpmn:userTask id="t"><bpmn:extensionElements><camunda:inputOutput>
        <camunda:outputParameter name="total">
          <camunda:script scriptFormat="JavaScript">price * quantity;</camunda:script></camunda:outputParameter>
      </camunda:inputOutput></bpmn:extensionElements></bpmn:userTask>
      <bpmn:endEvent id="e"/>"""
    result = run.deploy(bpmn("total.bpmn", body))
    assert any("parameter 'total': the javascript expression is read as Python" in w.message
               for w in result.warnings)
    instance = run.start(data={"price": 3, "quantity": 4})
    assert run.complete(instance["id"], "t")["data"]["total"] == 12


def test_a_mapping_parameter_script_doing_more_than_one_expression_is_refused(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "t", "e")}
      <bpmn:userTask id="t"><bpmn:extensionElements><camunda:inputOutput>
        <camunda:outputParameter name="sex">
          <camunda:script scriptFormat="JavaScript">var user = S(response); user.prop("sex")</camunda:script>
        </camunda:outputParameter>
      </camunda:inputOutput></bpmn:extensionElements></bpmn:userTask>
      <bpmn:endEvent id="e"/>"""
    with pytest.raises(DefinitionInvalid) as err:
        run.deploy(bpmn("sex.bpmn", body))
    (problem,) = err.value.problems
    assert problem.line and "parameter 'sex' is a 'javascript' script" in problem.message
