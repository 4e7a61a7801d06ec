"""What the CLI prints for people: tables whose ids can be copied back into a command."""

from __future__ import annotations

import uuid

from flowdesk.cli_support import _table


def test_ids_are_printed_whole_in_a_narrow_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    ids = [str(uuid.uuid4()) for _ in range(3)]
    rows = [{"id": i, "name": "Approve the purchase requisition of the plant in Suzhou", "instance_id": i,
             "assignee": "finance_controller_lead"} for i in ids]

    _table(rows, ["id", "name", "instance_id", "assignee"])

    printed = capsys.readouterr().out
    for full in ids:
        assert full in printed
    assert "…" not in printed.split("name")[0]


def test_a_deployment_is_attributed_to_the_person_named_or_the_os_user(tmp_path, monkeypatch):
    import getpass

    from flowdesk.engine.config import Settings
    from flowdesk.engine.identity import SYSTEM
    from flowdesk.engine.process_engine import ProcessEngine
    from typer.testing import CliRunner

    from flowdesk.cli import app
    from tests.support.paths import leave_request_files

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FLOWDESK_DATABASE_URL", url)
    monkeypatch.setattr(getpass, "getuser", lambda: "CORP\\jane doe")
    files = list(leave_request_files())
    runner = CliRunner()
    assert runner.invoke(app, ["deploy", *map(str, files)]).exit_code == 0
    changed = tmp_path / "changed"
    changed.mkdir()
    for file in files:
        (changed / file.name).write_bytes(file.read_bytes().replace(b"Leave requested", b"Leave asked for"))
    assert runner.invoke(app, ["deploy", str(changed), "--as", "li.wei"]).exit_code == 0

    engine = ProcessEngine(Settings(database_url=url, definitions=()), migrate=False)
    try:
        events = engine.history.audit_events(by=SYSTEM, type="definition.deployed").items
    finally:
        engine.close()
    assert [e["actor"] for e in events] == ["CORP_jane_doe", "li.wei"]
