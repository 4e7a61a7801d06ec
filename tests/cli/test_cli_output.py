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
