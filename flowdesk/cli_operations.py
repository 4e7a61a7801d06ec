"""``flowdesk instances suspend|resume|migrate|modify`` and ``flowdesk definitions suspend|resume``.

Registered on the command's sub-apps by :func:`register` (flowdesk/cli.py calls it), so
this module needs nothing from cli.py but what it is handed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

ActAs = Annotated[str, typer.Option("--user", "-u", help="Act as this user (default: the engine itself).")]
Reason = Annotated[str, typer.Option(help="Why: kept in the audit trail.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def register(instances_app: typer.Typer, definitions_app: typer.Typer, *, engine: Callable[[], Any],
             guard: Callable[[Callable], Callable], show: Callable[[Any, bool, Callable[[Any], None]], None]) -> None:
    """Add the operations commands (``engine`` builds the engine, ``guard`` turns engine
    errors into messages and exit code 1, ``show`` prints text or JSON)."""

    def status_line(value: dict) -> None:
        typer.echo(f"instance {value['id']}  {value['definition_key']} v{value['definition_version']}  "
                   f"{value['status']}")

    @instances_app.command("suspend")
    @guard
    def instances_suspend(instance_id: str, reason: Reason, user: ActAs = "system", as_json: JsonFlag = False) -> None:
        """Suspend an instance: its tasks refuse work, its jobs wait, messages are kept."""
        eng = engine()
        show(eng.operations.suspend_instance(instance_id, by=eng.identity.actor(user), reason=reason), as_json,
             status_line)

    @instances_app.command("resume")
    @guard
    def instances_resume(instance_id: str, reason: Reason = "", user: ActAs = "system",
                         as_json: JsonFlag = False) -> None:
        """Resume a suspended instance (timers that fell due meanwhile fire now)."""
        eng = engine()
        show(eng.operations.resume_instance(instance_id, by=eng.identity.actor(user), reason=reason), as_json,
             status_line)

    def definition_line(value: dict) -> None:
        state = "suspended" if value["suspended"] else "active"
        typer.echo(f"process {value['key']}: {state}")
        for label, key in (("suspended", "suspended_instances"), ("resumed", "resumed_instances")):
            if value.get(key):
                typer.echo(f"{label} {len(value[key])} instance(s): {', '.join(value[key])}")

    @definitions_app.command("suspend")
    @guard
    def definitions_suspend(
        key: str, reason: Reason, user: ActAs = "system",
        instances: Annotated[bool, typer.Option("--instances", help="Suspend its running instances too.")] = False,
        as_json: JsonFlag = False,
    ) -> None:
        """Refuse new instances of a process (every version)."""
        eng = engine()
        show(eng.operations.suspend_definition(key, by=eng.identity.actor(user), reason=reason,
                                               instances=instances), as_json, definition_line)

    @definitions_app.command("resume")
    @guard
    def definitions_resume(key: str, reason: Reason = "", user: ActAs = "system", as_json: JsonFlag = False) -> None:
        """Start instances of a process again, and resume the instances suspended with it."""
        eng = engine()
        show(eng.operations.resume_definition(key, by=eng.identity.actor(user), reason=reason), as_json,
             definition_line)

    def migration_report(value: dict) -> None:
        what = "would move" if value["dry_run"] else "moved"
        for row in value["instances"]:
            if row["ok"]:
                typer.echo(f"{row['id']}  ok")
            for problem in row["problems"]:
                typer.echo(f"{row['id']}  {problem['element_id'] or '-'}: {problem['message']}")
        ok = sum(1 for row in value["instances"] if row["ok"])
        count = ok if value["dry_run"] else value["migrated"]
        typer.echo(f"{value['definition_key']} v{value['from_version']} -> v{value['to_version']}: {what} "
                   f"{count} of {len(value['instances'])} instance(s)")

    @instances_app.command("migrate")
    @guard
    def instances_migrate(
        key: str,
        from_version: Annotated[int, typer.Option("--from", help="The version the instances run on.")],
        to_version: Annotated[int, typer.Option("--to", help="The version to move them to.")],
        instance: Annotated[list[str] | None, typer.Option(
            "--instance", "-i", help="An instance to move (repeat; default: every unfinished one).")] = None,
        map_: Annotated[list[str] | None, typer.Option(
            "--map", help="OLD=NEW: an element renamed or removed in the target version (repeat).")] = None,
        execute: Annotated[bool, typer.Option(
            "--execute", help="Move them; without it, only report what would happen (a dry run).")] = False,
        user: ActAs = "system", as_json: JsonFlag = False,
    ) -> None:
        """Move running instances of a process to another version (a dry run unless --execute).

        Exits 1 when an instance could not move (or would not)."""
        mapping = {}
        for pair in map_ or []:
            old, sep, new = pair.partition("=")
            if not sep or not old.strip() or not new.strip():
                raise typer.BadParameter(f"--map {pair!r}: write OLD=NEW")
            mapping[old.strip()] = new.strip()
        eng = engine()
        report = eng.operations.migrate(key, from_version, to_version, by=eng.identity.actor(user),
                                        instance_ids=instance or None, mapping=mapping, dry_run=not execute)
        show(report, as_json, migration_report)
        if not all(row["ok"] for row in report["instances"]):
            raise typer.Exit(1)

    @instances_app.command("modify")
    @guard
    def instances_modify(
        instance_id: str, reason: Reason,
        cancel: Annotated[list[str] | None, typer.Option(help="Cancel the active tasks of this element.")] = None,
        start_before: Annotated[list[str] | None, typer.Option(help="Start a token before this element.")] = None,
        start_after: Annotated[list[str] | None, typer.Option(help="Start a token after this element.")] = None,
        user: ActAs = "system", as_json: JsonFlag = False,
    ) -> None:
        """Repair an instance (admins): cancels first, then the starts, then it runs on."""
        instructions = ([{"cancel": e} for e in cancel or []] + [{"start_before": e} for e in start_before or []]
                        + [{"start_after": e} for e in start_after or []])
        eng = engine()
        show(eng.operations.modify_instance(instance_id, instructions, by=eng.identity.actor(user), reason=reason),
             as_json, status_line)
