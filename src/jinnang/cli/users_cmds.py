"""`jinnang users …`: the people who sign in to the pages, and the API keys of machine clients."""
from __future__ import annotations

import sys
from typing import Annotated

import typer

from jinnang.cli.app import users_app
from jinnang.core.errors import InputError
from jinnang.core.settings import get_settings


def _engine():
    from jinnang.core.db import open_engine

    return open_engine(get_settings().db_url)


def _fail(exc: InputError) -> typer.Exit:
    typer.echo(f"error: {exc.field}: {exc.message}", err=True)
    return typer.Exit(2)


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        typer.echo("error: password: nothing on standard input (--password-stdin)", err=True)
        raise typer.Exit(2)
    return password


@users_app.command("add")
def add(name: Annotated[str, typer.Argument(help="the user name to sign in with")],
        role: Annotated[str, typer.Option(help="rep, manager or admin")],
        rep_id: Annotated[str | None, typer.Option("--rep-id", help="a rep's id on documents and accounts")] = None,
        team: Annotated[str, typer.Option(help="team ids, comma separated (a manager sees its reps)")] = "",
        display_name: Annotated[str | None, typer.Option("--display-name")] = None,
        password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")]
        = False) -> None:
    """Create a user. Without --password-stdin the user can sign in only through OIDC."""
    from jinnang.core.users import add_user

    password = _read_password() if password_stdin else None
    try:
        user = add_user(_engine(), name, role=role, password=password, rep_id=rep_id,
                        teams=[t for t in team.split(",") if t.strip()], display_name=display_name)
    except InputError as exc:
        raise _fail(exc) from None
    typer.echo(f"added {user.username} ({user.role}" + (f", rep {user.rep_id}" if user.rep_id else "")
               + (f", teams {', '.join(user.teams)}" if user.teams else "") + ")")


@users_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every user with role, rep id, teams and whether they may sign in."""
    import json

    from jinnang.core.users import list_users

    for user in list_users(_engine()):
        if as_json:
            typer.echo(json.dumps({"username": user.username, "display_name": user.display_name, "role": user.role,
                                   "rep_id": user.rep_id, "teams": list(user.teams), "active": user.active},
                                  ensure_ascii=False))
        else:
            typer.echo(f"{user.username:20} {user.role:8} {user.rep_id or '-':10} {','.join(user.teams) or '-':20} "
                       f"{'active' if user.active else 'disabled'}  {user.display_name}")


@users_app.command("passwd")
def passwd(name: str, password_stdin: Annotated[bool, typer.Option("--password-stdin")] = True) -> None:
    """Set a user's password (read from stdin) and end their sessions."""
    from jinnang.core.sessions import end_sessions_of
    from jinnang.core.users import update_user

    try:
        update_user(_engine(), name, password=_read_password())
    except InputError as exc:
        raise _fail(exc) from None
    end_sessions_of(_engine(), name)
    typer.echo(f"password of {name} changed; their sessions ended")


@users_app.command("disable")
def disable(name: str) -> None:
    """Stop a user from signing in and end their sessions (their data stays)."""
    from jinnang.core.sessions import end_sessions_of
    from jinnang.core.users import update_user

    try:
        update_user(_engine(), name, active=False)
    except InputError as exc:
        raise _fail(exc) from None
    end_sessions_of(_engine(), name)
    typer.echo(f"{name} disabled")
