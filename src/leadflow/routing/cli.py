"""`leadflow routing import | export | preview | versions | activate | capacity | route`: routing from the command
line (integrators script it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Routing rules: import, export, preview, activate; capacities; route queued leads.",
                  no_args_is_help=True)


def _fail(exc) -> None:
    for error in exc.errors:
        typer.echo(f"{error.field}: {error.reason}", err=True)
    raise typer.Exit(1) from None


def _read(path: Path):
    from leadflow.scoring import rule_sets as documents

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"cannot read {path}: {exc}", err=True)
        raise typer.Exit(1) from None
    return documents.parse_text(text, "json" if path.suffix.lower() == ".json" else None)


@app.command("import")
def import_rules(path: Annotated[Path, typer.Argument(help="the rules as YAML or JSON (docs/routing.md)")],
                 activate: Annotated[bool, typer.Option("--activate/--draft", help="use them at once (default) or "
                                                        "keep them as a draft version")] = True,
                 notes: Annotated[str | None, typer.Option(help="why, for the version history")] = None) -> None:
    """Save a file of routing rules as a new version (and make it the active one)."""
    from leadflow.console import open_db
    from leadflow.errors import Invalid
    from leadflow.routing import service

    _, _, factory = open_db()
    with factory() as session:
        try:
            row = service.save_rule_set(_read(path), session=session, actor="cli", notes=notes, activate=activate)
        except Invalid as exc:
            _fail(exc)
        session.commit()
        rules = len(row.definition.get("rules", []))
        typer.echo(f"routing rules v{row.version} saved ({rules} rules, {row.status})")


@app.command("export")
def export_rules(out: Annotated[Path | None, typer.Argument(help="file to write (.yaml or .json); default: "
                                                            "stdout")] = None,
                 version: Annotated[int | None, typer.Option(help="a version; default: the active one")] = None,
                 fmt: Annotated[str | None, typer.Option("--format", help="yaml or json")] = None) -> None:
    """Write the routing rules as YAML or JSON, ready to edit and import again."""
    from leadflow.console import open_db
    from leadflow.errors import NotFound
    from leadflow.routing import rules, service
    from leadflow.scoring import rule_sets as documents

    fmt = fmt or ("json" if out is not None and out.suffix == ".json" else "yaml")
    if fmt not in ("yaml", "json"):
        typer.echo("--format: yaml or json", err=True)
        raise typer.Exit(1)
    _, _, factory = open_db()
    with factory() as session:
        try:
            row = service.get_version(version, session=session) if version is not None else \
                service.active_rule_set(session=session)
        except NotFound as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        definition = row.definition if row is not None else rules.dump(rules.empty())
    text = documents.export_text(definition, fmt)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, "utf-8")
        typer.echo(f"routing rules {'v' + str(row.version) if row else '(none active)'} written to {out}", err=True)


@app.command("preview")
def preview(path: Annotated[Path | None, typer.Argument(help="rules to try; default: the active ones")] = None
            ) -> None:
    """Where the open leads nobody owns would go under these rules; nothing is written."""
    from leadflow.console import open_db
    from leadflow.errors import Invalid
    from leadflow.routing import service

    _, _, factory = open_db()
    with factory() as session:
        try:
            found = service.preview(_read(path) if path else None, session=session)
        except Invalid as exc:
            _fail(exc)
        session.rollback()
    typer.echo(f"{found['leads']} open leads without an owner" + (" (the first 20,000)" if found["capped"] else ""))
    for target in found["targets"]:
        rules = ", ".join(f"{rule}: {count}" for rule, count in target["rules"].items())
        typer.echo(f"  {target['count']:>7}  {target['target']}  ({rules})")


@app.command("versions")
def versions() -> None:
    """Every version of the rules, newest first."""
    from leadflow.console import open_db
    from leadflow.routing import service

    _, _, factory = open_db()
    with factory() as session:
        for row in service.versions(session=session):
            typer.echo(f"v{row.version}  {row.status:<8} {len(row.definition.get('rules', [])):>4} rules  "
                       f"{row.created_at:%Y-%m-%d %H:%M}  {row.created_by}  {row.notes or ''}".rstrip())


@app.command("activate")
def activate(version: Annotated[int, typer.Argument(help="the version to use from now on")]) -> None:
    from leadflow.console import open_db
    from leadflow.errors import Invalid, NotFound
    from leadflow.routing import service

    _, _, factory = open_db()
    with factory() as session:
        try:
            row = service.activate_version(version, session=session, actor="cli")
        except NotFound as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        except Invalid as exc:
            _fail(exc)
        session.commit()
        typer.echo(f"routing rules v{row.version} active")


@app.command("capacity")
def capacity(email: Annotated[str, typer.Argument(help="the salesperson's email")],
             max_open: Annotated[int | None, typer.Option("--max-open", min=0, help="at most this many open "
                                                          "leads")] = None,
             max_per_day: Annotated[int | None, typer.Option("--max-per-day", min=0, help="at most this many new "
                                                             "leads a day")] = None,
             weight: Annotated[int | None, typer.Option(min=0, max=100, help="their share of a team's leads (0: "
                                                         "none from team rules)")] = None,
             no_limits: Annotated[bool, typer.Option("--no-limits", help="remove both limits")] = False) -> None:
    """Show, or change, how many leads routing may give someone and their weight in their team's round robin; only
    the options given change."""
    from leadflow.console import open_db
    from leadflow.errors import Invalid
    from leadflow.people import queries as people_queries
    from leadflow.routing import service

    _, _, factory = open_db()
    with factory() as session:
        user = people_queries.users_by_email([email], session=session).get(email.strip().lower())
        if user is None:
            typer.echo(f"no user with the email {email}", err=True)
            raise typer.Exit(1)
        current = service.capacities(session=session).get(user.id)
        values = {"max_open": current.max_open if current else None,
                  "max_per_day": current.max_per_day if current else None, "weight": current.weight if current else 1}
        if no_limits:
            values.update(max_open=None, max_per_day=None)
        given = {"max_open": max_open, "max_per_day": max_per_day, "weight": weight}
        values.update({name: value for name, value in given.items() if value is not None})
        if no_limits or any(value is not None for value in given.values()):
            try:
                service.set_capacity(user.id, session=session, **values)
            except Invalid as exc:
                _fail(exc)
            session.commit()
    shown = {name: "no limit" if value is None else value for name, value in values.items()}
    typer.echo(f"{user.email}: at most {shown['max_open']} open, {shown['max_per_day']} new a day, "
               f"weight {shown['weight']}")


@app.command("route")
def route(queue: Annotated[str | None, typer.Option(help="route again the leads waiting in this queue")] = None
          ) -> None:
    """Route again the open leads waiting in a queue (all queues when none is named): after someone came back
    from leave, or after new rules."""
    from rich.progress import Progress

    from leadflow.console import open_db
    from leadflow.routing import service

    _, _, factory = open_db()
    with factory() as session:
        ids = service.queued_lead_ids(queue, session=session)
    placed = 0
    with Progress(transient=True) as progress:
        task = progress.add_task("routing", total=len(ids))
        for start in range(0, len(ids), 500):
            with factory() as session:
                routed = service.route(ids[start:start + 500], session=session, trigger="reroute", actor="cli")
                session.commit()
            placed += sum(1 for r in routed if r.decision.owner is not None and r.assignment_id)
            progress.advance(task, len(ids[start:start + 500]))
    typer.echo(f"{len(ids)} queued lead{'s' if len(ids) != 1 else ''} routed again: {placed} now "
               f"{'have' if placed != 1 else 'has'} an owner")
