"""`leadflow followup policies list | import FILE | export`, `leadflow followup due`: follow-up policies from the
command line, and a look at the timers waiting for the worker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadflow.followup import scorecard_cli

app = typer.Typer(help="Follow-up: policies (due times, reminders, escalation, reassignment) and due timers.",
                  no_args_is_help=True)
policies_app = typer.Typer(help="Follow-up policies: list, import, export.", no_args_is_help=True)
app.add_typer(policies_app, name="policies")
app.command("norms")(scorecard_cli.norms)
app.command("scorecard")(scorecard_cli.figures)


def _fail(exc) -> None:
    for error in exc.errors:
        typer.echo(f"{error.field}: {error.reason}", err=True)
    raise typer.Exit(1) from None


@policies_app.command("list")
def list_policies() -> None:
    """The policies in the order they are tried, then the default."""
    from leadflow.console import open_db
    from leadflow.followup import policies, service

    _, _, factory = open_db()
    with factory() as session:
        rows = service.policy_rows(session=session)
        for row in rows:
            extra = [f"remind {row.remind_before_minutes} min before" if row.remind_before_minutes else "no reminder",
                     "escalate" if row.escalate else "no escalation"]
            if row.reassign_after_hours:
                extra.append(f"reassign {row.reassign_after_hours} h after due")
            if row.task_kind:
                extra.append(f"task: {row.task_kind}")
            typer.echo(f"{row.position + 1}. {row.name}{'' if row.active else ' (inactive)'}: {row.hours} h "
                       f"({row.clock}) when {row.when or 'every lead'}; {', '.join(extra)}")
        default = policies.DEFAULT
        typer.echo(f"{'otherwise' if rows else 'every lead'}: {default.name}: {default.hours} h ({default.clock}); "
                   f"remind {default.remind_before_minutes} min before, escalate, no reassignment")


@policies_app.command("import")
def import_policies(path: Annotated[Path, typer.Argument(help="the policies as YAML or JSON: {policies: [...]} or "
                                                         "a list (docs/followup.md)")]) -> None:
    """Replace every policy with the file's, in its order (nothing changes when one is wrong)."""
    from leadflow.console import open_db
    from leadflow.errors import Invalid
    from leadflow.followup import service
    from leadflow.scoring import rule_sets as documents

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"cannot read {path}: {exc}", err=True)
        raise typer.Exit(1) from None
    _, _, factory = open_db()
    with factory() as session:
        try:
            document = documents.parse_text(text, "json" if path.suffix.lower() == ".json" else None)
            if isinstance(document, dict) and set(document) == {"policies"}:
                document = document["policies"]
            rows = service.import_policies(document, session=session, actor="cli")
        except Invalid as exc:
            _fail(exc)
        session.commit()
        typer.echo(f"{len(rows)} follow-up policies saved")


@policies_app.command("export")
def export_policies(out: Annotated[Path | None, typer.Argument(help="file to write (.yaml or .json); default: "
                                                                "stdout")] = None,
                    fmt: Annotated[str | None, typer.Option("--format", help="yaml or json")] = None) -> None:
    """Write the policies as YAML or JSON, ready to edit and import again."""
    from leadflow.console import open_db
    from leadflow.followup import service
    from leadflow.scoring import rule_sets as documents

    fmt = fmt or ("json" if out is not None and out.suffix == ".json" else "yaml")
    if fmt not in ("yaml", "json"):
        typer.echo("--format: yaml or json", err=True)
        raise typer.Exit(1)
    _, _, factory = open_db()
    with factory() as session:
        text = documents.export_text({"policies": service.export_policies(session=session)}, fmt)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, "utf-8")
        typer.echo(f"follow-up policies written to {out}")


@app.command("due")
def due(limit: Annotated[int, typer.Option(min=1, max=10000)] = 20) -> None:
    """The timers due now (what the worker's next pass steps), soonest first."""
    from leadflow import clock
    from leadflow.console import open_db
    from leadflow.followup import queries

    _, _, factory = open_db()
    with factory() as session:
        rows = queries.due_timers(session=session, moment=clock.now(), limit=limit)
    for followup_id, next_at, step in rows:
        typer.echo(f"{followup_id}\t{step}\t{clock.as_utc(next_at).isoformat()}")
    if not rows:
        typer.echo("no follow-up timer is due")
