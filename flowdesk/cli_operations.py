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
