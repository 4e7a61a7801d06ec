"""``flowdesk compile`` and ``flowdesk validate`` on YAML: BPMN to standard output or a
file, FILE:LINE: message on standard error, exit codes 0, 1 and 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from lxml import etree
from typer.testing import CliRunner

from flowdesk.cli import app
from tests.support.definitions import EXAMPLE, YAML_FIXTURES

EXAMPLE_FILE = EXAMPLE / "expense_claim.yaml"


@pytest.fixture
def cli(tmp_path):
    runner = CliRunner()

    def run(*args: str, expect: int = 0):
        result = runner.invoke(app, list(args), env={"FLOWDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"})
        assert result.exit_code == expect, (result.exit_code, result.stdout, result.stderr, result.exception)
        return result

    return run


def test_compile_writes_the_bpmn_to_standard_output(cli):
    result = cli("compile", str(EXAMPLE_FILE))
    root = etree.fromstring(result.stdout.encode())
    assert root.find("{*}process").get("id") == "expense_claim"
    assert "approval_level.dmn is written only with -o" in result.stderr


def test_compile_writes_to_a_file_and_inline_decision_tables_beside_it(cli, tmp_path):
    out = tmp_path / "out" / "claim.bpmn"
    out.parent.mkdir()
    result = cli("compile", str(EXAMPLE_FILE), "-o", str(out))
    assert result.stdout == ""
    assert etree.parse(str(out)).getroot().find("{*}process").get("id") == "expense_claim"
    assert (out.parent / "approval_level.dmn").is_file()


def test_compile_turns_a_decision_file_into_dmn(cli, tmp_path):
    table = tmp_path / "levels.yaml"
    table.write_text("decision: levels\ninputs: [amount]\noutputs: [level]\nrules:\n  - then: {level: low}\n")
    result = cli("compile", str(table))
    assert etree.fromstring(result.stdout.encode()).find("{*}decision").get("id") == "levels"


def test_compile_reports_every_problem_as_file_line_message_and_exits_1(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("process: bad\nsteps:\n  - user: a\n    priority: 300\n    next: nowhere\n")
    result = cli("compile", str(bad), expect=1)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{bad}:4: step 'a': `priority` must be a whole number 0-100, a ${{...}} expression or =expression",
        f"{bad}:5: step 'a' leads to 'nowhere', which is not a step of this process",
        "error: 2 problems in the definitions",
    ]


def test_compile_refuses_a_form_and_a_missing_file(cli):
    result = cli("compile", str(EXAMPLE / "expense_details.yaml"), expect=1)
    assert "not a YAML process or decision table" in result.stderr
    assert "does not exist" in cli("compile", "missing.yaml", expect=2).stderr


def test_validate_takes_a_folder_with_yaml_forms_and_decisions(cli):
    assert cli("validate", str(EXAMPLE)).stdout == "ok: expense_claim (expense_claim.yaml)\n"


def test_validate_reports_yaml_lines_from_a_real_process(tmp_path):
    """Run as a user would: a new Python process, exit code 1, problems on standard error."""
    broken = tmp_path / "expense_claim.yaml"
    broken.write_text(EXAMPLE_FILE.read_text().replace("to: approve}", "to: aprove}"))
    forms = [str(p) for p in EXAMPLE.glob("expense_d*.yaml")] + [str(EXAMPLE / "expense_payment.yaml")]
    env = {**os.environ, "FLOWDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}"}
    result = subprocess.run([sys.executable, "-m", "flowdesk", "validate", str(broken), *forms], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[0] == ("expense_claim.yaml:22: step 'needs_approval' leads to 'aprove', "
                                             "which is not a step of this process (did you mean 'approve'?)")


def test_kitchen_sink_compiles_from_the_command_line(cli, tmp_path):
    cli("compile", str(YAML_FIXTURES / "kitchen_sink.yaml"), "-o", str(tmp_path / "sink.bpmn"))
    assert (tmp_path / "route.dmn").is_file()
