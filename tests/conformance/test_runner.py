"""The conformance runner on small models written here (no corpus needed)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flowdesk.conformance import run
from tests.support.dialects import bpmn, chain, flow
from tests.support.engines import quick_hashing

ZEEBE = 'modeler:executionPlatform="Camunda Cloud"'

REVIEW = f"""
  <bpmn:startEvent id="s"/>{chain("s", "review", "ok?")}
  <bpmn:userTask id="review"><bpmn:extensionElements><zeebe:userTask/></bpmn:extensionElements></bpmn:userTask>
  <bpmn:exclusiveGateway id="ok?"/>
  {flow("again", "ok?", "fix", '= outcome = "rework"')}{flow("done", "ok?", "notify", '= outcome = "accepted"')}
  <bpmn:userTask id="fix"/>{flow("back", "fix", "review")}
  <bpmn:serviceTask id="notify"><bpmn:extensionElements><zeebe:taskDefinition type="notify"/></bpmn:extensionElements>
  </bpmn:serviceTask>{chain("notify", "reply", "wait", "e")}
  <bpmn:receiveTask id="reply" messageRef="m"/>
  <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>
    <bpmn:timeDuration>P3D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="e"/>"""
MESSAGE = ('<bpmn:message id="m" name="reply"><bpmn:extensionElements>'
           '<zeebe:subscription correlationKey="=ticket"/></bpmn:extensionElements></bpmn:message>')


def write(folder: Path, *files) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for file in files:
        (folder / file.name).write_bytes(file.content)
    return folder


def test_a_process_is_driven_through_forms_gateways_workers_messages_and_timers(tmp_path):
    folder = write(tmp_path / "models", bpmn("review.bpmn", REVIEW, MESSAGE, key="review", attrs=ZEEBE))
    with quick_hashing():
        report = run([folder])
    (result,) = report.files
    assert result.deployed and [(p.key, p.status) for p in result.processes] == [("review", "completed")]


def test_a_file_that_does_not_deploy_is_reported_with_why(tmp_path):
    broken = bpmn("broken.bpmn", f'<bpmn:startEvent id="s"/>{chain("s", "c")}'
                                 '<bpmn:callActivity id="c" calledElement="nowhere"/>')
    folder = write(tmp_path / "models", broken)
    with quick_hashing():
        report = run([folder])
    (result,) = report.files
    assert not result.deployed and "calls 'nowhere'" in result.problems[0]
    assert [(p.key, p.status) for p in result.processes] == [("p", "not-deployed")]
    assert report.deploy_rate() == 0 and "files deployed: 0/1" in report.table()


def test_the_command_prints_the_table_and_holds_thresholds(tmp_path):
    from flowdesk.cli import app

    folder = write(tmp_path / "models", bpmn("review.bpmn", REVIEW, MESSAGE, key="review", attrs=ZEEBE))
    with quick_hashing():
        ok = CliRunner().invoke(app, ["conformance", str(folder), "--quiet", "--min-complete", "1.0"])
        assert ok.exit_code == 0, ok.output
        assert "executable processes completed: 1/1" in ok.output
        broken = write(tmp_path / "broken", bpmn("b.bpmn", '<bpmn:startEvent id="s"/><bpmn:callActivity id="c" '
                                                           'calledElement="x"/>' + chain("s", "c")))
        refused = CliRunner().invoke(app, ["conformance", str(broken), "--quiet", "--min-deploy", "0.5"])
        assert refused.exit_code == 1
