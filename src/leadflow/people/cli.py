"""`leadflow user create|list|password|deactivate` and `leadflow team create|list`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from leadflow.errors import Conflict, Invalid, NotFound
from leadflow.people import roles

user_app = typer.Typer(help="People who sign in to the web app.", no_args_is_help=True)
team_app = typer.Typer(help="Sales, marketing and telemarketing teams.", no_args_is_help=True)


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option("--email", help="the address they sign in with")],
    role: Annotated[str, typer.Option("--role", help=f"one of {', '.join(roles.ROLES)}")],
    name: Annotated[str, typer.Option("--name", help="full name")] = "",
    team: Annotated[str | None, typer.Option("--team", help="the team's name (see `leadflow team list`)")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
) -> None:
    """Create a user; prints a generated password (once) unless one comes on stdin."""
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.people import service as people_service

    generated = not password_stdin
    password = people_service.generate_password() if generated else sys.stdin.readline().rstrip("\r\n")
    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            user = people_service.create_user(session=session, email=email, role=role, name=name, team=team,
                                              password=password)
    except (Invalid, Conflict, NotFound) as exc:
        _fail(exc)
    typer.echo(f"user {user.id} created: {user.email} ({user.role})"
               + ("; the generated password (shown only now) is on stdout" if generated else ""), err=True)
    if generated:
        sys.stdout.write(password + "\n")


@user_app.command("list")
def user_list() -> None:
    """Every user: id, email, name, role, team, active, last sign-in."""
    from leadflow.console import open_db
    from leadflow.people import service as people_service

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        teams = {t.id: t.name for t in people_service.list_teams(session=session)}
        for user in people_service.list_users(session=session):
            typer.echo("\t".join([str(user.id), user.email, user.name or "-", user.role,
                                  teams.get(user.team_id, "-"), "active" if user.is_active else "deactivated",
                                  f"last sign-in {user.last_login_at or 'never'}"]))


@user_app.command("deactivate")
def user_deactivate(email: Annotated[str, typer.Argument(help="the user's email")]) -> None:
    """Deactivate a user: they cannot sign in, their sessions end and their API keys stop working."""
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.people import service as people_service

    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            user = people_service.deactivate_user(people_service.user_by_email(email, session=session), session=session)
    except NotFound as exc:
        _fail(exc)
    typer.echo(f"user {user.email} deactivated", err=True)


@user_app.command("password")
def user_password(
    email: Annotated[str, typer.Argument(help="the user's email")],
    prompt: Annotated[bool, typer.Option("--prompt", help="type the new password (asked twice, not shown)")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
) -> None:
    """Set a new password (generated and printed once, unless typed or on stdin) and unlock the account; the
    user's sign-in sessions end."""
    from leadflow.console import open_db
    from leadflow.db import reading, unit_of_work
    from leadflow.people import service as people_service
    from leadflow.people import signin

    if prompt and password_stdin:
        typer.echo("error: give --prompt or --password-stdin, not both", err=True)
        raise typer.Exit(2)
    _, _, factory = open_db()
    try:
        with reading(factory)() as session:  # an unknown address is refused before anything is asked
            people_service.user_by_email(email, session=session)
    except (Invalid, NotFound) as exc:
        _fail(exc)
    generated = not (prompt or password_stdin)
    if prompt:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True, err=True)
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = people_service.generate_password()
    try:
        with unit_of_work(factory) as session:
            user = signin.set_password(session, people_service.user_by_email(email, session=session), password)
    except (Invalid, NotFound) as exc:
        _fail(exc)
    note = "" if user.is_active else " (the account is deactivated: it cannot sign in until reactivated)"
    typer.echo(f"password of {user.email} set; the account is unlocked and its sessions ended{note}"
               + ("; the generated password (shown only now) is on stdout" if generated else ""), err=True)
    if generated:
        sys.stdout.write(password + "\n")


@team_app.command("create")
def team_create(
    name: Annotated[str, typer.Option("--name", help="the team's name")],
    kind: Annotated[str, typer.Option("--kind", help=f"one of {', '.join(roles.TEAM_KINDS)}")] = "sales",
    manager: Annotated[str | None, typer.Option("--manager", help="the manager's email")] = None,
    shared: Annotated[bool, typer.Option("--members-see-each-other/--private",
                                         help="whether sales reps see their teammates' leads")] = False,
) -> None:
    """Create a team; add people with `leadflow user create --team NAME`."""
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.people import service as people_service

    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            team = people_service.create_team(session=session, name=name, kind=kind, manager=manager,
                                              members_see_each_other=shared)
    except (Invalid, Conflict, NotFound) as exc:
        _fail(exc)
    typer.echo(f"team {team.id} created: {team.name} ({team.kind})", err=True)


@team_app.command("list")
def team_list() -> None:
    """Every team: id, name, kind, manager, whether members see each other's leads."""
    from leadflow.console import open_db
    from leadflow.people import service as people_service

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        emails = {u.id: u.email for u in people_service.list_users(session=session)}
        for team in people_service.list_teams(session=session):
            typer.echo("\t".join([str(team.id), team.name, team.kind, emails.get(team.manager_id, "-"),
                                  "shared" if team.members_see_each_other else "private"]))
