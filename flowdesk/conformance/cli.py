"""``flowdesk conformance DIR...``: the conformance runner from the command line."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer


def conformance(
    paths: Annotated[list[Path], typer.Argument(help="Folders of models (each folder with its DMN and form files).",
                                                exists=True, file_okay=False)],
    attempts: Annotated[int, typer.Option(help="Attempts per process, each trying other branches.", min=1)] = 3,
    min_deploy: Annotated[float | None, typer.Option(help="Exit 1 when fewer files deploy (a fraction, 0.95).")]
    = None,
    min_complete: Annotated[float | None, typer.Option(help="Exit 1 when fewer processes complete (0.85).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Only the table, no progress.")] = False,
) -> None:
    """Deploy every BPMN file of the folders, run each executable process as a tireless test
    user would (on a temporary in-process Flowdesk, through its HTTP API) and print, per file,
    whether it deployed and whether each process completed, waits (where) or failed (why)."""
    from . import run

    def progress(result) -> None:
        if not quiet and not as_json:
            shown = ", ".join(f"{p.key}: {p.status}" for p in result.processes) or "no executable process"
            typer.echo(f"{result.folder}/{result.file}: {'deployed' if result.deployed else 'NOT deployed'}; "
                       f"{shown}", err=True)

    report = run(paths, attempts=attempts, progress=progress)
    if as_json:
        typer.echo(json.dumps({"files": [asdict(f) for f in report.files], "deployed": report.deployed,
                               "completed": report.completed, "processes": len(report.processes)}, indent=2))
    else:
        typer.echo(report.table())
    failed = (min_deploy is not None and report.deploy_rate() < min_deploy) or (
        min_complete is not None and report.completion_rate() < min_complete)
    raise typer.Exit(1 if failed else 0)
