"""``flowdesk users ...``: accounts from the command line, against the configured database.

Works before any server runs, like ``users create``. The CLI acts as the engine itself;
changes reach running servers within ``FLOWDESK_AUTH_CACHE_SECONDS`` (API keys at once).
"""

from __future__ import annotations

from typing import Annotated

import typer

from flowdesk.cli_support import JsonFlag, _engine, _fail_on_errors, _print, _table
from flowdesk.engine.identity import SYSTEM

users_app = typer.Typer(no_args_is_help=True, help="Manage users and their groups.")
api_keys_app = typer.Typer(no_args_is_help=True, help="API keys of integration accounts.")
users_app.add_typer(api_keys_app, name="api-keys")


def _groups(raw: str) -> list[str]:
    return [g.strip() for g in raw.split(",") if g.strip()]


@users_app.command("create")
@_fail_on_errors
def users_create(
    name: str,
    password: Annotated[str, typer.Option(help="At least 8 characters.")],
    groups: Annotated[str, typer.Option(help="Comma-separated groups.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create a user (works before any server runs)."""
    created = _engine().identity.create_user(name, password, _groups(groups), by=SYSTEM)
    _print(created, as_json,
           lambda v: typer.echo(f"created {v['username']} in {', '.join(v['groups']) or 'no groups'}"))


@users_app.command("list")
@_fail_on_errors
def users_list(as_json: JsonFlag = False) -> None:
    """List users with their groups and whether they are active."""
    engine, users, cursor = _engine(), [], None
    while True:
        page = engine.identity.list_users(by=SYSTEM, limit=500, cursor=cursor)
        users.extend(page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    _print(users, as_json, lambda rows: _table(
        [{**r, "groups": ",".join(r["groups"])} for r in rows], ["username", "groups", "active", "email"]))


@users_app.command("groups")
@_fail_on_errors
def users_groups(
    name: str,
    groups: Annotated[str, typer.Argument(help="Comma-separated groups; they replace the user's groups.")],
    as_json: JsonFlag = False,
) -> None:
    """Replace a user's groups."""
    changed = _engine().identity.set_user_groups(name, _groups(groups), by=SYSTEM)
    _print(changed, as_json, lambda v: typer.echo(f"{v['username']} is in {', '.join(v['groups']) or 'no groups'}"))


@users_app.command("set-password")
@_fail_on_errors
def users_set_password(
    name: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          help="At least 8 characters (asked for when left out).")],
) -> None:
    """Set a user's password."""
    _engine().accounts.set_password(name, password, by=SYSTEM)
    typer.echo(f"password of {name} set")


@users_app.command("deactivate")
@_fail_on_errors
def users_deactivate(
    name: str,
    reassign_to: Annotated[str | None, typer.Option(
        "--reassign-to", help="Hand the user's open tasks to this user (default: back to their groups).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Deactivate a user: no more logins, their tokens and API keys stop working, their
    open tasks go back to their groups (or to --reassign-to)."""
    result = _engine().accounts.deactivate(name, by=SYSTEM, reassign_to=reassign_to)

    def render(value: dict) -> None:
        where = f"to {reassign_to}" if reassign_to else "back to their candidate groups"
        typer.echo(f"deactivated {value['username']}; {len(value['tasks_moved'])} open tasks went {where}")
        for task in value["tasks_moved"]:
            typer.echo(f"  {task['id']}  {task['name']}")

    _print(result, as_json, render)


@users_app.command("reactivate")
@_fail_on_errors
def users_reactivate(name: str, as_json: JsonFlag = False) -> None:
    """Let a deactivated user log in again."""
    _print(_engine().accounts.reactivate(name, by=SYSTEM), as_json,
           lambda v: typer.echo(f"reactivated {v['username']}"))


@api_keys_app.command("create")
@_fail_on_errors
def api_keys_create(
    user: str,
    name: Annotated[str, typer.Option("--name", help="What the key is for, e.g. 'ERP connector'.")],
    as_json: JsonFlag = False,
) -> None:
    """Make an API key for an integration account; the key is printed once, never again."""
    created = _engine().accounts.create_api_key(user, name, by=SYSTEM)

    def render(value: dict) -> None:
        typer.echo(f"API key {value['id']} ({value['name']}) for {value['username']}")
        typer.echo(value["key"])
        typer.echo("Keep the key now: it is stored hashed and cannot be shown again.", err=True)

    _print(created, as_json, render)


@api_keys_app.command("list")
@_fail_on_errors
def api_keys_list(user: str, as_json: JsonFlag = False) -> None:
    """A user's API keys (without the keys)."""
    _print(_engine().accounts.list_api_keys(user, by=SYSTEM), as_json,
           lambda rows: _table(rows, ["id", "name", "prefix", "created_at", "last_used_at", "active"]))


@api_keys_app.command("revoke")
@_fail_on_errors
def api_keys_revoke(user: str, key_id: str, as_json: JsonFlag = False) -> None:
    """Revoke an API key: it stops working at once."""
    _print(_engine().accounts.revoke_api_key(user, key_id, by=SYSTEM), as_json,
           lambda v: typer.echo(f"revoked API key {v['id']} ({v['name']})"))
