"""What every ``flowdesk`` command module shares: the engine, error handling, printing."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

import typer

from flowdesk.engine import values
from flowdesk.engine.config import Settings
from flowdesk.engine.errors import DefinitionInvalid, FlowdeskError, InvalidData

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

UserOption = Annotated[str, typer.Option("--user", "-u", help="Act as this user.")]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _fail_on_errors(func: Callable) -> Callable:
    """Turn engine errors into messages and exit code 1."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DefinitionInvalid as err:
            for problem in err.problems:
                _err(str(problem))
            _err(f"error: {err.detail}")
        except InvalidData as err:
            _err(f"error: {err.detail}" if not err.errors else "error: the data is not valid")
            for field_error in err.errors:
                _err(f"  {field_error.path or '/'}: {field_error.message}")
        except FlowdeskError as err:
            _err(f"error: {err.detail}")
        raise typer.Exit(1)

    return wrapper


def _engine(migrate: bool = True):
    from flowdesk.engine.process_engine import ProcessEngine

    return ProcessEngine(Settings.from_env(), migrate=migrate)


def _parse_data(raw: str) -> dict[str, Any]:
    try:
        data = values.loads(raw)
    except ValueError as err:
        raise InvalidData([], detail=f"--data is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise InvalidData([], detail="--data must be a JSON object")
    return data


def _print(value: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    if as_json:
        typer.echo(values.dumps(value, indent=2))
    else:
        render(value)


def _table(rows: list[dict], columns: list[str]) -> None:
    """Rows as a table; ids are never cut, whatever the terminal's width, so that they can be
    copied into the next command (other columns wrap instead)."""
    from rich.console import Console
    from rich.table import Column, Table

    def column(name: str) -> Column:
        if name == "id" or name.endswith("_id"):
            widest = max((len(str(row.get(name) or "")) for row in rows), default=0)
            return Column(name, no_wrap=True, min_width=max(widest, len(name)))
        return Column(name)

    table = Table(*(column(c) for c in columns))
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console().print(table)
